package io.registrybridge.bridge.training;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.registrybridge.training.CannedContainers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Runs the AOT training in-process, as the image build does, and checks what the real daemon
 * registered in the fake Consul through the fake Docker engine. It fails when the daemon and the
 * fakes drift apart (a new endpoint, another JSON shape), which would otherwise only show as a
 * failed image build or, worse, a cache that no longer covers the start-up path.
 */
class AotTrainingTest {
  private static final String H = AotTraining.HOSTNAME;
  private static AotTraining.Result result;

  @BeforeAll
  static void train() throws Exception {
    result = AotTraining.train(System.err, Duration.ofSeconds(60));
  }

  @Test
  void registersOneServicePerExposedPortOfEveryRunningContainer() {
    assertThat(result.firstSync().keySet()).containsExactlyInAnyOrderElementsOf(
        AotTraining.serviceIds(CannedContainers.initial()));
    assertThat(result.firstSync()).hasSize(20)
        .containsKeys(H + ":productpage:9080", H + ":web-4:80", H + ":coredns:53",
            H + ":coredns:53:udp", H + ":api-gateway:8080", H + ":api-gateway:8443")
        .doesNotContainKeys(H + ":node-exporter:9100"); // SERVICE_IGNORE
    assertThat(result.firstSync().keySet()).noneMatch(id -> id.contains("batch-worker"));
  }

  @Test
  void registrationsCarryNamesTagsProtocolAndTheContainerAddress() {
    JsonNode productpage = result.firstSync().get(H + ":productpage:9080");
    assertThat(productpage.path("Service").asText()).isEqualTo("productpage");
    assertThat(texts(productpage.path("Tags"))).containsExactly("version|v1");
    assertThat(productpage.path("Meta").path("protocol").asText()).isEqualTo("http");
    assertThat(productpage.path("Port").asInt()).isEqualTo(9080);
    assertThat(productpage.path("Address").asText()).startsWith("172.17.0.");

    JsonNode web = result.firstSync().get(H + ":web-1:80"); // from labels
    assertThat(web.path("Service").asText()).isEqualTo("web");
    assertThat(texts(web.path("Tags"))).containsExactly("frontend", "zone-a");

    JsonNode tls = result.firstSync().get(H + ":api-gateway:8443");
    assertThat(tls.path("Service").asText()).isEqualTo("gateway-tls");
    assertThat(tls.path("Meta").path("protocol").asText()).isEqualTo("https");

    JsonNode db = result.firstSync().get(H + ":postgres:5432"); // on a user-defined network
    assertThat(db.path("Address").asText()).isEqualTo("172.20.0.5");
    assertThat(db.path("Meta").path("owner").asText()).isEqualTo("team-data");
    assertThat(db.path("Meta").toString()).doesNotContain("not-a-secret");
  }

  @Test
  void eventsRemoveTheDestroyedContainerAndAddTheStartedOne() {
    Map<String, JsonNode> after = result.afterEvents();
    assertThat(after).doesNotContainKey(H + ":reviews-v3:9080")
        .containsKey(H + ":ratings-v2:9080")
        .hasSize(result.firstSync().size());
    assertThat(after.get(H + ":ratings-v2:9080").path("Service").asText()).isEqualTo("ratings");
  }

  @Test
  void scrapesTheBridgesOwnMetrics() {
    assertThat(result.metrics()).contains("registry_bridge_sink_writes_total",
        "registry_bridge_source_events_total");
  }

  @Test
  void staysShortEnoughForAnImageBuild() {
    assertThat(result.total()).isLessThan(Duration.ofSeconds(30));
  }

  private static List<String> texts(JsonNode array) {
    List<String> values = new ArrayList<>();
    StreamSupport.stream(array.spliterator(), false).forEach(n -> values.add(n.asText()));
    return values;
  }
}
