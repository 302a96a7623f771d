package io.registrybridge.tests;

import static io.registrybridge.source.kubernetes.KubernetesFixtures.NS;
import static io.registrybridge.source.kubernetes.KubernetesFixtures.apply;
import static io.registrybridge.source.kubernetes.KubernetesFixtures.endpoint;
import static io.registrybridge.source.kubernetes.KubernetesFixtures.pod;
import static io.registrybridge.source.kubernetes.KubernetesFixtures.port;
import static io.registrybridge.source.kubernetes.KubernetesFixtures.service;
import static io.registrybridge.source.kubernetes.KubernetesFixtures.slice;
import static io.registrybridge.source.kubernetes.KubernetesFixtures.slicePort;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.registrybridge.core.SinkReconciler;
import io.registrybridge.source.kubernetes.KubernetesFixtures;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bridge as the daemon runs it, {@code -source=kubernetes} against fabric8's mock API server
 * (CRUD mode, watches) into a real Consul agent and an {@code istio-dir://} mesh directory at
 * once. Every object is created by hand, as on an API server without controllers: deleting a
 * Service leaves its slices behind, which is how such a server behaves too.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesToConsulIT {
  private static final Duration CONVERGE = Duration.ofSeconds(60);
  private static final String HOST = "e2e-k8s";
  private static final String NODE = "k8s-sync";
  private static final String REVIEWS = "e2e-reviews";
  private static final String RATINGS = "e2e-ratings";
  private static final String REVIEWS_V1 = HOST + ":" + NS + "." + REVIEWS + ":10.2.0.1:80";
  private static final String REVIEWS_V2 = HOST + ":" + NS + "." + REVIEWS + ":10.2.0.2:80";
  private static final String RATINGS_1 = HOST + ":" + NS + "." + RATINGS + ":10.2.1.1:7070";
  private static final ObjectMapper JSON = new ObjectMapper();

  KubernetesMockServer server;
  KubernetesClient client;
  @TempDir Path dir;
  private Path mesh;
  private ConsulAgent consul;
  private RunningBridge bridge;

  @BeforeEach
  void setUp() throws IOException {
    consul = ConsulAgent.started();
    mesh = Files.createDirectory(dir.resolve("mesh"));
    KubernetesFixtures.serveEndpointSlices(server);
    apply(client, pod("reviews-v1", Map.of("app", REVIEWS, "version", "v1")));
    apply(client, pod("reviews-v2", Map.of("app", REVIEWS, "version", "v2")));
    apply(client, pod("reviews-v3", Map.of("app", REVIEWS, "version", "v3")));
    apply(client, pod("ratings-1", Map.of("app", RATINGS)));
    // consul-k8s's annotations, as a Service migrated from its catalog sync carries them.
    apply(client, service(REVIEWS, Map.of("consul.hashicorp.com/service-tags", "primary",
        "consul.hashicorp.com/service-meta-team", "books",
        "consul.hashicorp.com/service-weight", "22"), port("http", 80, 9080)));
    apply(client, reviewsSlice(endpoint("10.2.0.1", "reviews-v1"),
        endpoint("10.2.0.2", "reviews-v2"),
        endpoint("10.2.0.3", "reviews-v3", false, false)));
    ServicePort h2c = port("main", 7070, 7070);
    h2c.setAppProtocol("kubernetes.io/h2c"); // the protocol from appProtocol, not the name
    apply(client, service(RATINGS, Map.of(), h2c));
    apply(client, slice(RATINGS, RATINGS + "-a", "IPv4", List.of(slicePort("main", 7070)),
        endpoint("10.2.1.1", "ratings-1")));
  }

  @AfterEach
  void tearDown() {
    if (bridge != null) {
      bridge.close();
    }
    consul.close();
  }

  private static EndpointSlice reviewsSlice(io.fabric8.kubernetes.api.model.discovery.v1.Endpoint
      ... endpoints) {
    return slice(REVIEWS, REVIEWS + "-a", "IPv4", List.of(slicePort("http", 9080)), endpoints);
  }

  // --- Consul, read over its HTTP API ------------------------------------------------------------

  /** The synthetic node's services by ID; empty when the node has none or does not exist. */
  private Map<String, JsonNode> nodeServices() {
    JsonNode node = consul.json("/v1/catalog/node/" + NODE);
    Map<String, JsonNode> byId = new TreeMap<>();
    if (!node.isNull()) {
      node.get("Services").fields().forEachRemaining(e -> byId.put(e.getKey(), e.getValue()));
    }
    return byId;
  }

  /** Raft index of each registration's last change: unchanged means not written. */
  private Map<String, Long> modifyIndexes() {
    Map<String, Long> indexes = new TreeMap<>();
    nodeServices().forEach((id, s) -> indexes.put(id, s.get("ModifyIndex").asLong()));
    return indexes;
  }

  /**
   * What a registration says, field by field, without Consul's bookkeeping (indexes, proxy and
   * connect defaults) and with the content hash checked for form and taken out of the meta.
   */
  private static JsonNode registration(JsonNode service) {
    JsonNode meta = service.get("Meta").deepCopy();
    assertThat(meta.get("registry-bridge-hash").asText()).matches("[0-9a-f]{16}");
    ((com.fasterxml.jackson.databind.node.ObjectNode) meta).remove("registry-bridge-hash");
    return JSON.createObjectNode()
        .put("ID", service.get("ID").asText())
        .put("Service", service.get("Service").asText())
        .put("Address", service.get("Address").asText())
        .put("Port", service.get("Port").asInt())
        .<com.fasterxml.jackson.databind.node.ObjectNode>set("Tags", service.get("Tags"))
        .<com.fasterxml.jackson.databind.node.ObjectNode>set("Meta", meta)
        .set("Weights", service.get("Weights"));
  }

  private static JsonNode parse(String json) {
    try {
      return JSON.readTree(json.replace('\'', '"'));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The meta every Kubernetes instance carries, then this endpoint's own keys. */
  private static String meta(String service, String pod, String own) {
    return "{'external-source':'kubernetes','external-k8s-ns':'" + NS + "',"
        + "'external-k8s-service':'" + service + "','external-k8s-node-name':'node-1',"
        + "'external-k8s-ref-kind':'Pod','external-k8s-ref-name':'" + pod + "',"
        + "'registry-bridge-owner':'" + HOST + "','registry-bridge-source':'kubernetes',"
        + own + "}";
  }

  private static JsonNode reviews(String id, String address, String pod, String version) {
    return parse("{'ID':'" + id + "','Service':'" + REVIEWS + "','Address':'" + address + "',"
        + "'Port':9080,'Tags':['primary','app|" + REVIEWS + "','version|" + version + "','k8s'],"
        + "'Meta':" + meta(REVIEWS, pod, "'app':'" + REVIEWS + "','version':'" + version + "',"
        + "'team':'books','port-http':'80','protocol':'http'") + ","
        + "'Weights':{'Passing':22,'Warning':1}}");
  }

  private long writes() {
    return bridge.bridge().sinkStatus().stream().mapToLong(SinkReconciler.Status::writes).sum();
  }

  /** When the Consul sink last finished a sync, a full read-back included. */
  private Instant consulSynced() {
    return bridge.bridge().sinkStatus().stream().filter(s -> s.sink().startsWith("consul"))
        .map(SinkReconciler.Status::lastSuccess).findFirst().orElse(Instant.MIN);
  }

  // --- the mesh directory ------------------------------------------------------------------------

  private Set<String> meshFiles() throws IOException {
    try (Stream<Path> list = Files.list(mesh)) {
      return list.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yaml"))
          .collect(Collectors.toCollection(TreeSet::new));
    }
  }

  @SuppressWarnings("unchecked")
  private List<Map<String, Object>> meshList(String file, String field) throws IOException {
    try (InputStream in = Files.newInputStream(mesh.resolve(file))) {
      GenericKubernetesResource entry = Serialization.unmarshal(in,
          GenericKubernetesResource.class);
      return (List<Map<String, Object>>) ((Map<String, Object>) entry.getAdditionalProperties()
          .get("spec")).get(field);
    }
  }

  @Test
  void readyEndpointsBecomeExactCatalogRegistrationsAndMeshEndpointsAndLeaveExactly()
      throws Exception {
    Path kubeconfig = MockKubeconfig.write(dir, client);
    bridge = RunningBridge.start(Map.of("KUBECONFIG", kubeconfig.toString()),
        "-source=kubernetes", "-hostname=" + HOST, "-verify-interval=1",
        "-retry-interval=200", "-retry-max-interval=1000", consul.uri(), "istio-dir://" + mesh);

    // Ready endpoints only: reviews-v3 is not ready.
    await().atMost(CONVERGE).until(() -> nodeServices().keySet()
        .equals(Set.of(REVIEWS_V1, REVIEWS_V2, RATINGS_1)));
    JsonNode node = consul.json("/v1/catalog/node/" + NODE).get("Node");
    assertThat(node.get("Node").asText()).isEqualTo(NODE);
    assertThat(node.get("Address").asText()).isEqualTo("127.0.0.1");
    assertThat(node.get("Meta")).isEqualTo(parse("{'external-source':'kubernetes'}"));
    Map<String, JsonNode> services = nodeServices();
    assertThat(registration(services.get(REVIEWS_V1)))
        .isEqualTo(reviews(REVIEWS_V1, "10.2.0.1", "reviews-v1", "v1"));
    assertThat(registration(services.get(REVIEWS_V2)))
        .isEqualTo(reviews(REVIEWS_V2, "10.2.0.2", "reviews-v2", "v2"));
    // No weight annotation: nothing sent, so Consul's catalog shows its own defaults.
    assertThat(registration(services.get(RATINGS_1))).isEqualTo(parse("{'ID':'" + RATINGS_1
        + "','Service':'" + RATINGS + "','Address':'10.2.1.1','Port':7070,"
        + "'Tags':['app|" + RATINGS + "','k8s'],'Meta':" + meta(RATINGS, "ratings-1",
        "'app':'" + RATINGS + "','port-main':'7070','protocol':'http2'") + ","
        + "'Weights':{'Passing':1,'Warning':1}}"));
    // Instances from elsewhere are not the local agent's services.
    assertThat(consul.services()).isEmpty();

    // The mesh feed: the same instances, version labels on the endpoints.
    String reviewsFile = REVIEWS + ".service.consul.yaml";
    String ratingsFile = RATINGS + ".service.consul.yaml";
    await().atMost(CONVERGE).until(() -> meshFiles().equals(Set.of(reviewsFile, ratingsFile)));
    assertThat(meshList(reviewsFile, "ports")).containsExactly(
        Map.of("name", "http-80", "number", 80, "protocol", "HTTP"));
    assertThat(meshList(reviewsFile, "endpoints")).containsExactlyInAnyOrder(
        Map.of("address", "10.2.0.1", "ports", Map.of("http-80", 9080),
            "labels", Map.of("app", REVIEWS, "version", "v1")),
        Map.of("address", "10.2.0.2", "ports", Map.of("http-80", 9080),
            "labels", Map.of("app", REVIEWS, "version", "v2")));
    assertThat(meshList(ratingsFile, "ports")).containsExactly(
        Map.of("name", "http2-7070", "number", 7070, "protocol", "HTTP2"));

    // Steady state: a Service change that alters no instance, then full read-backs: no writes.
    await().atMost(CONVERGE).until(() -> bridge.bridge().sinkStatus().stream()
        .allMatch(s -> s.convergedOnce() && s.backlog() == 0));
    Map<String, Long> indexes = modifyIndexes();
    long writes = writes();
    Service touched = client.services().inNamespace(NS).withName(REVIEWS).get();
    touched.getMetadata().getAnnotations().put("example.com/unrelated", "1");
    apply(client, touched);
    Instant afterTouch = Instant.now();
    await().atMost(CONVERGE).until(() -> consulSynced().isAfter(afterTouch));
    Instant afterOneVerify = consulSynced();
    await().atMost(CONVERGE).until(() -> consulSynced().isAfter(afterOneVerify));
    assertThat(writes()).isEqualTo(writes);
    assertThat(modifyIndexes()).isEqualTo(indexes);

    // Scale down: v2 leaves; v1 is not rewritten.
    apply(client, reviewsSlice(endpoint("10.2.0.1", "reviews-v1")));
    await().atMost(CONVERGE).until(() -> nodeServices().keySet()
        .equals(Set.of(REVIEWS_V1, RATINGS_1)));
    assertThat(modifyIndexes()).containsEntry(REVIEWS_V1, indexes.get(REVIEWS_V1))
        .containsEntry(RATINGS_1, indexes.get(RATINGS_1));
    await().atMost(CONVERGE).until(() -> meshList(reviewsFile, "endpoints").stream()
        .map(e -> e.get("address")).toList().equals(List.of("10.2.0.1")));

    // Readiness flips: not ready leaves, ready again comes back as it was.
    apply(client, reviewsSlice(endpoint("10.2.0.1", "reviews-v1", false, false)));
    await().atMost(CONVERGE).until(() -> nodeServices().keySet().equals(Set.of(RATINGS_1)));
    await().atMost(CONVERGE).until(() -> meshFiles().equals(Set.of(ratingsFile)));
    apply(client, reviewsSlice(endpoint("10.2.0.1", "reviews-v1")));
    await().atMost(CONVERGE).until(() -> nodeServices().keySet()
        .equals(Set.of(REVIEWS_V1, RATINGS_1)));
    assertThat(registration(nodeServices().get(REVIEWS_V1)))
        .isEqualTo(reviews(REVIEWS_V1, "10.2.0.1", "reviews-v1", "v1"));

    // The Service goes; its slice stays (no controller removes it) and registers nothing.
    client.services().inNamespace(NS).withName(REVIEWS).delete();
    await().atMost(CONVERGE).until(() -> nodeServices().keySet().equals(Set.of(RATINGS_1)));
    await().atMost(CONVERGE).until(() -> meshFiles().equals(Set.of(ratingsFile)));
    assertThat(consul.json("/v1/catalog/service/" + REVIEWS)).isEmpty();
    assertThat(modifyIndexes()).containsEntry(RATINGS_1, indexes.get(RATINGS_1));
    assertThat(consul.services()).isEmpty();
  }
  @Test
  void consulK8sNamingFlagsNameTheInstancesAndTheMeshHostsAlike() throws Exception {
    // A ratings name annotation: consul-k8s puts neither the prefix nor the suffix on it.
    Service ratings = client.services().inNamespace(NS).withName(RATINGS).get();
    ratings.getMetadata().setAnnotations(Map.of("consul.hashicorp.com/service-name", "stars"));
    apply(client, ratings);
    Path kubeconfig = MockKubeconfig.write(dir, client);
    bridge = RunningBridge.start(Map.of("KUBECONFIG", kubeconfig.toString()),
        "-source=kubernetes", "-hostname=" + HOST, "-consul-service-prefix=k8s-",
        "-add-k8s-namespace-suffix", consul.uri(), "istio-dir://" + mesh);

    String reviews = "k8s-" + REVIEWS + "-" + NS;
    // The IDs do not depend on the names.
    await().atMost(CONVERGE).until(() -> nodeServices().keySet()
        .equals(Set.of(REVIEWS_V1, REVIEWS_V2, RATINGS_1)));
    assertThat(nodeServices()).extractingFromEntries(e -> e.getValue().get("Service").asText())
        .containsExactlyInAnyOrder(reviews, reviews, "stars");
    await().atMost(CONVERGE).until(() -> meshFiles().equals(
        Set.of(reviews + ".service.consul.yaml", "stars.service.consul.yaml")));
  }
}
