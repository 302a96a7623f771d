package io.registrybridge.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What operators rely on: probes, metrics, and removing everything on shutdown when asked. */
class OperationsIT {
  private static final Duration CONVERGE = Duration.ofSeconds(30);
  private final String host = "it-" + UUID.randomUUID().toString().substring(0, 8);
  private final HttpClient http = HttpClient.newHttpClient();
  private final List<RunningBridge> bridges = new ArrayList<>();
  private Workloads workloads;
  private ConsulAgent consul;

  @BeforeEach
  void setUp() {
    workloads = new Workloads();
    consul = ConsulAgent.onFreePort();
  }

  @AfterEach
  void tearDown() {
    bridges.forEach(RunningBridge::close);
    workloads.close();
    consul.close();
  }

  private RunningBridge bridge(String... flags) {
    List<String> args = new ArrayList<>(List.of("-hostname", host, "-explicit",
        "-retry-interval", "200", "-retry-max-interval", "1000", "-http-listen",
        "127.0.0.1:0"));
    args.addAll(List.of(flags));
    args.add(consul.uri());
    RunningBridge bridge = RunningBridge.start(args.toArray(String[]::new));
    bridges.add(bridge);
    return bridge;
  }

  private HttpResponse<String> get(RunningBridge bridge, String path) throws Exception {
    int port = bridge.bridge().httpPort().orElseThrow();
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void probesAndMetricsFollowTheControlPlane() throws Exception {
    String name = workloads.prefix("ops");
    workloads.start(new Workloads.Spec(name).publish(80).env("SERVICE_NAME", name));
    RunningBridge bridge = bridge();

    // Consul is not up yet: alive, not ready, and the failures show in the metrics.
    assertThat(get(bridge, "/healthz").statusCode()).isEqualTo(200);
    await().atMost(CONVERGE).untilAsserted(() -> {
      HttpResponse<String> ready = get(bridge, "/readyz");
      assertThat(ready.statusCode()).isEqualTo(503);
      assertThat(ready.body()).contains("waiting for sinks: consul");
      assertThat(get(bridge, "/metrics").body())
          .containsPattern("registry_bridge_sink_failures_total\\{sink=\"consul\"} [1-9]")
          .containsPattern("registry_bridge_sink_backlog\\{sink=\"consul\"} [1-9]");
    });

    consul.start();

    await().atMost(CONVERGE).untilAsserted(() -> {
      assertThat(get(bridge, "/readyz").statusCode()).isEqualTo(200);
      assertThat(consul.servicesNamed(name)).containsOnlyKeys(host + ":" + name + ":80");
    });
    String metrics = get(bridge, "/metrics").body();
    assertThat(metrics)
        .containsPattern("registry_bridge_sink_writes_total\\{op=\"create\",sink=\"consul\"} 1")
        .containsPattern("registry_bridge_sink_services\\{sink=\"consul\"} 1")
        .containsPattern("registry_bridge_sink_backlog\\{sink=\"consul\"} 0")
        .containsPattern("registry_bridge_desired_services 1")
        .containsPattern("registry_bridge_source_listings_total\\{source=\"docker\"} [1-9]")
        .contains("jvm_memory_used_bytes");

    workloads.start(new Workloads.Spec(name + "-2").publish(80)
        .env("SERVICE_NAME", name + "-2"));
    await().atMost(CONVERGE).untilAsserted(() -> assertThat(get(bridge, "/metrics").body())
        .containsPattern(
            "registry_bridge_source_events_total\\{source=\"docker\",type=\"start\"} [1-9]"));
    assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
            + bridge.bridge().httpPort().orElseThrow() + "/healthz"))
        .POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(405);
  }

  @Test
  void deregistersEverythingItOwnsOnShutdownWhenAsked() {
    consul.start();
    String name = workloads.prefix("bye");
    workloads.start(new Workloads.Spec(name).publish(80).env("SERVICE_NAME", name));
    consul.client().agentClient().register(org.kiwiproject.consul.model.agent.ImmutableRegistration
        .builder().id(name + "-foreign").name(name + "-foreign").port(1).build());
    RunningBridge bridge = bridge("-deregister-on-shutdown");
    await().atMost(CONVERGE).untilAsserted(() -> assertThat(consul.servicesNamed(name).keySet())
        .isEqualTo(Set.of(host + ":" + name + ":80", name + "-foreign")));

    bridge.close();

    // Its own service is gone at once; the one it does not own stays.
    assertThat(consul.servicesNamed(name).keySet()).isEqualTo(Set.of(name + "-foreign"));
  }
}
