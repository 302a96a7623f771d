package io.registrybridge.tests;

import io.registrybridge.sink.consul.CountingProxy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.kiwiproject.consul.model.health.HealthCheck;

/**
 * A bridge restarted over a Consul that holds exactly what runs writes nothing, containers with a
 * Docker HEALTHCHECK included: every write goes through a counting proxy, and the new bridge's
 * first listing and full sync make none for this test's containers.
 */
class RestartWritesNothingIT {
  private static final Duration CONVERGE = Duration.ofSeconds(60);

  private final String host = "it-" + UUID.randomUUID().toString().substring(0, 8);
  private final HttpClient http = HttpClient.newHttpClient();
  private Workloads workloads;
  private ConsulAgent consul;
  private RunningBridge bridge;

  @BeforeEach
  void setUp() {
    workloads = new Workloads();
    consul = ConsulAgent.started();
  }

  @AfterEach
  void tearDown() {
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

  private int readyz() throws Exception {
    int port = bridge.bridge().httpPort().orElseThrow();
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz"))
        .build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  @Test
  void aRestartedBridgeOverAnUnchangedConsulWritesNothing() throws Exception {
    String name = workloads.prefix("restart");
    for (int n = 1; n <= 2; n++) {
      workloads.start(new Workloads.Spec(name + "-" + n).expose(9080)
          .env("SERVICE_NAME", name).healthCheck("echo fine", Duration.ofMillis(500)));
    }
    workloads.start(new Workloads.Spec(name + "-3").expose(9080).env("SERVICE_NAME", name));
    String[] ids = {host + ":" + name + "-1:9080", host + ":" + name + "-2:9080",
        host + ":" + name + "-3:9080"};
    bridge = RunningBridge.start("-hostname", host, "-internal", "-explicit", consul.uri());
    await().atMost(CONVERGE).ignoreExceptions().untilAsserted(() -> {
      assertThat(consul.servicesNamed(name)).containsOnlyKeys(ids);
      assertThat(check(ids[0]).getStatus()).isEqualTo("passing");
      assertThat(check(ids[1]).getStatus()).isEqualTo("passing");
    });
    bridge.close(); // like a SIGKILL: the registrations stay
    bridge = null;

    try (CountingProxy proxy = new CountingProxy("http://localhost:" + consul.port())) {
      bridge = RunningBridge.start("-hostname", host, "-internal", "-explicit",
          "-http-listen", "127.0.0.1:0", proxy.consulUri());
      // Ready: the first listing is complete and the full sync after it is done.
      await().atMost(CONVERGE).until(() -> readyz() == 200);

      // Other tests' containers may come and go on this engine meanwhile: only ours count.
      assertThat(proxy.writes()).filteredOn(write -> write.contains(name)).isEmpty();
      assertThat(proxy.reads()).contains("GET /v1/agent/services");
      bridge.close();
      bridge = null;
    }
    assertThat(consul.servicesNamed(name)).containsOnlyKeys(ids);
    assertThat(check(ids[0]).getStatus()).isEqualTo("passing");
  }
}
