package io.registrybridge.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kiwiproject.consul.model.health.HealthCheck;

/**
 * A container's Docker HEALTHCHECK mirrored into Consul and the mesh, against the real engine
 * and a real agent: Docker's {@code health_status} event is followed by the Consul check within
 * a second, and a critical endpoint leaves the ServiceEntry until it recovers.
 */
class DockerHealthIT {
  private static final Duration CONVERGE = Duration.ofSeconds(30);
  /** The bound, from Docker's event to the status in Consul. */
  private static final Duration FOLLOW = Duration.ofSeconds(1);
  private static final String PROBE =
      "if [ -f /tmp/sick ]; then echo sick; exit 1; fi; echo fine";

  private final String host = "it-" + UUID.randomUUID().toString().substring(0, 8);
  @TempDir Path dir;
  private Workloads workloads;
  private ConsulAgent consul;
  private RunningBridge bridge;
  private final BlockingQueue<String> healthEvents = new LinkedBlockingQueue<>();
  private ResultCallback.Adapter<Event> events;

  @BeforeEach
  void setUp() {
    workloads = new Workloads();
    consul = ConsulAgent.started();
  }

  @AfterEach
  void tearDown() throws IOException {
    if (events != null) {
      events.close();
    }
    if (bridge != null) {
      bridge.close();
    }
    workloads.close();
    consul.close();
  }

  private HealthCheck check(String serviceId) {
    return consul.client().agentClient().getChecks()
        .get("service:" + serviceId + ":docker-health");
  }

  @SuppressWarnings("unchecked")
  private List<Object> endpointAddresses(String file) throws IOException {
    try (InputStream in = Files.newInputStream(dir.resolve(file))) {
      var entry = Serialization.unmarshal(in, GenericKubernetesResource.class);
      var spec = (Map<String, Object>) entry.getAdditionalProperties().get("spec");
      return ((List<Map<String, Object>>) spec.get("endpoints")).stream()
          .map(e -> e.get("address")).toList();
    }
  }

  /** Waits for the engine to report {@code status} for the container, as the bridge sees it. */
  private void awaitDockerEvent(String status) throws InterruptedException {
    String event;
    do {
      event = healthEvents.poll(60, TimeUnit.SECONDS);
      assertThat(event).as("health_status: " + status + " from Docker").isNotNull();
    } while (!event.equals("health_status: " + status));
  }

  @Test
  void consulAndTheMeshFollowDockersHealthWithinASecond() throws Exception {
    String name = workloads.prefix("health");
    String checked = workloads.start(new Workloads.Spec(name + "-1").expose(9080)
        .env("SERVICE_NAME", name).env("SERVICE_PROTOCOL", "http")
        .healthCheck(PROBE, Duration.ofMillis(250)));
    String plain = workloads.start(new Workloads.Spec(name + "-2").expose(9080)
        .env("SERVICE_NAME", name).env("SERVICE_PROTOCOL", "http"));
    events = workloads.docker().eventsCmd().withContainerFilter(checked)
        .withEventFilter("health_status")
        .exec(new ResultCallback.Adapter<>() {
          @Override
          public void onNext(Event event) {
            healthEvents.add(event.getAction());
          }
        });
    bridge = RunningBridge.start("-hostname", host, "-internal", "-explicit",
        consul.uri(), "istio-dir://" + dir);

    String checkedId = host + ":" + name + "-1:9080";
    String plainId = host + ":" + name + "-2:9080";
    String file = name + ".service.consul.yaml";
    String checkedIp = workloads.ip(checked, "bridge");
    String plainIp = workloads.ip(plain, "bridge");
    await().atMost(CONVERGE).ignoreExceptions().untilAsserted(() -> {
      assertThat(check(checkedId).getStatus()).isEqualTo("passing");
      assertThat(endpointAddresses(file)).containsExactlyInAnyOrder(checkedIp, plainIp);
    });
    // Only a container with a HEALTHCHECK gets the mirrored check.
    assertThat(check(plainId)).isNull();
    assertThat(check(checkedId).getName()).isEqualTo("Docker health");
    healthEvents.clear();

    workloads.exec(checked, "touch /tmp/sick");
    awaitDockerEvent("unhealthy");
    await().atMost(FOLLOW).pollInterval(Duration.ofMillis(20)).untilAsserted(() ->
        assertThat(check(checkedId).getStatus()).isEqualTo("critical"));
    assertThat(check(checkedId).getOutput()).contains("sick");
    await().atMost(CONVERGE).untilAsserted(() ->
        assertThat(endpointAddresses(file)).containsExactly(plainIp));
    // The registration itself stays: Consul's health API is what hides it.
    assertThat(consul.servicesNamed(name)).containsOnlyKeys(checkedId, plainId);

    workloads.exec(checked, "rm /tmp/sick");
    awaitDockerEvent("healthy");
    await().atMost(FOLLOW).pollInterval(Duration.ofMillis(20)).untilAsserted(() ->
        assertThat(check(checkedId).getStatus()).isEqualTo("passing"));
    assertThat(check(checkedId).getOutput()).contains("fine");
    await().atMost(CONVERGE).untilAsserted(() ->
        assertThat(endpointAddresses(file)).containsExactlyInAnyOrder(checkedIp, plainIp));
  }
}
