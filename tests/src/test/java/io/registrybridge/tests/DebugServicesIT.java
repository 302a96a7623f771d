package io.registrybridge.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code /debug/services} answers "why is my service (not) there?" against the real engine and a
 * real Consul: one instance written, one Consul rejected, one the mesh holds back (unhealthy),
 * one container ignored, and one retrying while Consul is down, each with its reason.
 */
class DebugServicesIT {
  private static final Duration CONVERGE = Duration.ofSeconds(30);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String host = "dbg-" + UUID.randomUUID().toString().substring(0, 8);
  private final List<RunningBridge> bridges = new ArrayList<>();
  private Workloads workloads;
  @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir;
  private ConsulAgent consul;

  @BeforeEach
  void setUp() {
    workloads = new Workloads();
    consul = ConsulAgent.started();
  }

  @AfterEach
  void tearDown() {
    bridges.forEach(RunningBridge::close);
    workloads.close();
    consul.close();
  }

  @Test
  void everyInstanceSaysWhereItStandsAndIgnoredContainersSayWhy() throws Exception {
    String web = workloads.prefix("web");
    String script = workloads.prefix("script");
    String quiet = workloads.prefix("quiet");
    String webId = workloads.start(new Workloads.Spec(web).env("SERVICE_NAME", web)
        .env("SERVICE_TAGS", "a,b").env("SERVICE_PROTOCOL", "http")
        .env("DB_PASSWORD", "hunter2").expose(80));
    workloads.start(new Workloads.Spec(script).env("SERVICE_NAME", script)
        .env("SERVICE_CHECK_SCRIPT", "true").expose(81));
    workloads.start(new Workloads.Spec(quiet).env("SERVICE_NAME", quiet));
    String sick = workloads.prefix("sick");
    workloads.start(new Workloads.Spec(sick).env("SERVICE_NAME", sick).expose(83)
        .healthCheck("exit 1", Duration.ofMillis(500)));
    RunningBridge bridge = RunningBridge.start("-hostname", host, "-internal",
        "-retry-interval", "200", "-retry-max-interval", "1000",
        "-http-listen", "127.0.0.1:0", consul.uri(), "istio-dir://" + dir);
    bridges.add(bridge);
    int port = bridge.bridge().httpPort().orElseThrow();
    String webServiceId = host + ":" + web + ":80";

    await().atMost(CONVERGE).untilAsserted(() -> assertThat(
        get(port, "/debug/services?name=" + web).path("services").path(0).path("sinks")
            .path("consul").path("state").asText()).isEqualTo("written"));
    JsonNode written = get(port, "/debug/services?name=" + web);
    assertThat(written.path("complete").asBoolean()).isTrue();
    JsonNode service = written.path("services").get(0);
    assertThat(written.path("services")).hasSize(1);
    assertThat(service.path("id").asText()).isEqualTo(webServiceId);
    assertThat(service.path("source").asText()).isEqualTo("docker");
    assertThat(service.path("origin").asText()).isEqualTo("docker:" + web);
    assertThat(service.path("object").asText())
        .isEqualTo("container " + web + " (" + webId.substring(0, 12) + ")");
    assertThat(JSON.convertValue(service.path("attributes"), java.util.Map.class))
        .containsOnlyKeys("SERVICE_NAME", "SERVICE_TAGS", "SERVICE_PROTOCOL");
    assertThat(service.path("instance").path("address").asText())
        .isEqualTo(workloads.ip(webId, "bridge"));
    assertThat(service.path("instance").path("protocol").asText()).isEqualTo("http");
    assertThat(service.path("sinks").path("consul").path("hash").asText())
        .isEqualTo(service.path("hash").asText());
    await().atMost(CONVERGE).untilAsserted(() -> assertThat(
        get(port, "/debug/services?name=" + web).path("services").path(0).path("sinks")
            .path("mesh-dir").path("state").asText()).isEqualTo("written"));
    // The same page by ID, and never a variable that is not an attribute.
    assertThat(get(port, "/debug/services?id=" + webServiceId).path("services").get(0)
        .path("id").asText()).isEqualTo(webServiceId);
    assertThat(get(port, "/debug/services").toString()).doesNotContain("hunter2",
        "DB_PASSWORD");

    await().atMost(CONVERGE).untilAsserted(() -> assertThat(
        get(port, "/debug/services?name=" + script).path("services").path(0).path("sinks")
            .path("consul").path("state").asText()).isEqualTo("rejected"));
    assertThat(get(port, "/debug/services?name=" + script).path("services").get(0)
        .path("sinks").path("consul").path("why").asText())
        .startsWith("Consul rejected it (HTTP 500)").contains("Scripts are disabled");

    // Docker says it is unhealthy: Consul holds it with a critical check, the mesh leaves it out.
    await().atMost(CONVERGE).untilAsserted(() -> assertThat(
        get(port, "/debug/services?name=" + sick).path("services").path(0).path("sinks")
            .path("mesh-dir").path("state").asText()).isEqualTo("held"));
    JsonNode held = get(port, "/debug/services?name=" + sick).path("services").get(0);
    assertThat(held.path("sinks").path("mesh-dir").path("why").asText())
        .startsWith("unhealthy: service '" + sick + "': instance " + held.path("id").asText());
    assertThat(held.path("sinks").path("consul").path("state").asText()).isEqualTo("written");
    assertThat(held.path("instance").path("health").asText()).isEqualTo("critical");

    JsonNode ignored = get(port, "/debug/services?name=" + quiet);
    assertThat(ignored.path("services")).isEmpty();
    assertThat(ignored.path("ignored")).hasSize(1);
    assertThat(ignored.path("ignored").get(0).path("why").asText())
        .isEqualTo("SERVICE_NAME: the container exposes and publishes no port; nothing"
            + " registered (EXPOSE or --expose one, or publish one with -p)");

    // Consul goes away; a new container waits, and says why and when it is tried again.
    consul.close();
    String late = workloads.prefix("late");
    workloads.start(new Workloads.Spec(late).env("SERVICE_NAME", late).expose(82));
    await().atMost(CONVERGE).untilAsserted(() -> {
      JsonNode consulState = get(port, "/debug/services?name=" + late).path("services")
          .path(0).path("sinks").path("consul");
      assertThat(consulState.path("state").asText()).isEqualTo("retrying");
      assertThat(consulState.path("why").asText()).isNotBlank();
      assertThat(consulState.has("nextAttempt")).isTrue();
    });
    // What was written before still says so.
    assertThat(get(port, "/debug/services?name=" + web).path("services").get(0).path("sinks")
        .path("consul").path("state").asText()).isIn("written", "retrying");
  }

  private static JsonNode get(int port, String path) throws IOException, InterruptedException {
    HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(path).isEqualTo(200);
    return JSON.readTree(response.body());
  }
}
