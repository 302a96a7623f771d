package io.registrybridge.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real containers, the Docker source, and the mesh sink's directory transport together: the
 * ServiceEntry files istiod would read from {@code configSources: fs://}.
 */
class DockerToMeshIT {
  private static final Duration CONVERGE = Duration.ofSeconds(30);
  private final String host = "it-" + UUID.randomUUID().toString().substring(0, 8);
  @TempDir Path dir;
  private Workloads workloads;
  private RunningBridge bridge;

  @BeforeEach
  void setUp() {
    workloads = new Workloads();
  }

  @AfterEach
  void tearDown() {
    if (bridge != null) {
      bridge.close();
    }
    workloads.close();
  }

  /** This test's files; containers of other runs on the same engine may add their own. */
  private Set<String> files() throws IOException {
    try (Stream<Path> list = Files.list(dir)) {
      return list.map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".yaml") && n.contains(workloads.prefix("")))
          .collect(Collectors.toCollection(TreeSet::new));
    }
  }

  private GenericKubernetesResource read(String file) throws IOException {
    try (InputStream in = Files.newInputStream(dir.resolve(file))) {
      return Serialization.unmarshal(in, GenericKubernetesResource.class);
    }
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> list(GenericKubernetesResource entry, String field) {
    return (List<Map<String, Object>>) ((Map<String, Object>) entry.getAdditionalProperties()
        .get("spec")).get(field);
  }

  @Test
  void containersBecomeProtocolAwareServiceEntriesAndLeaveWithThem() throws Exception {
    String reviews = workloads.prefix("reviews");
    String ratings = workloads.prefix("ratings");
    String v1 = workloads.start(new Workloads.Spec(reviews + "-v1").expose(9080)
        .env("SERVICE_NAME", reviews).env("SERVICE_TAGS", "version|v1")
        .env("SERVICE_PROTOCOL", "http"));
    String v2 = workloads.start(new Workloads.Spec(reviews + "-v2").expose(9080)
        .env("SERVICE_NAME", reviews).env("SERVICE_TAGS", "version|v2")
        .env("SERVICE_PROTOCOL", "http"));
    String rating = workloads.start(new Workloads.Spec(ratings).expose(9080)
        .env("SERVICE_NAME", ratings).env("SERVICE_PROTOCOL", "grpc"));
    bridge = RunningBridge.start("-hostname", host, "-internal", "-explicit",
        "istio-dir://" + dir);

    String reviewsFile = reviews + ".service.consul.yaml";
    String ratingsFile = ratings + ".service.consul.yaml";
    await().atMost(CONVERGE).untilAsserted(
        () -> assertThat(files()).isEqualTo(Set.of(reviewsFile, ratingsFile)));
    // The first listing reports containers as they are inspected, and an entry that does not
    // exist yet is written at once: it may hold one of the two instances for a moment.
    await().atMost(CONVERGE).untilAsserted(
        () -> assertThat(list(read(reviewsFile), "endpoints")).hasSize(2));

    GenericKubernetesResource entry = read(reviewsFile);
    assertThat(entry.getApiVersion()).isEqualTo("networking.istio.io/v1alpha3");
    assertThat(entry.getKind()).isEqualTo("ServiceEntry");
    assertThat(entry.getMetadata().getLabels())
        .containsEntry("app.kubernetes.io/managed-by", "registry-bridge")
        .containsEntry("registry-bridge.io/owner", host);
    assertThat(list(entry, "ports")).containsExactly(
        Map.of("name", "http-9080", "number", 9080, "protocol", "HTTP"));
    assertThat(list(entry, "endpoints")).containsExactlyInAnyOrder(
        Map.of("address", workloads.ip(v1, "bridge"),
            "labels", Map.of("app", reviews, "version", "v1")),
        Map.of("address", workloads.ip(v2, "bridge"),
            "labels", Map.of("app", reviews, "version", "v2")));
    assertThat(list(read(ratingsFile), "ports")).containsExactly(
        Map.of("name", "grpc-9080", "number", 9080, "protocol", "GRPC"));
    assertThat(list(read(ratingsFile), "endpoints")).extracting(e -> e.get("address"))
        .containsExactly(workloads.ip(rating, "bridge"));

    workloads.stop(v2);
    await().atMost(CONVERGE).untilAsserted(() -> assertThat(list(read(reviewsFile), "endpoints"))
        .extracting(e -> e.get("address")).containsExactly(workloads.ip(v1, "bridge")));

    workloads.stop(v1);
    await().atMost(CONVERGE).untilAsserted(
        () -> assertThat(files()).isEqualTo(Set.of(ratingsFile)));
  }
}
