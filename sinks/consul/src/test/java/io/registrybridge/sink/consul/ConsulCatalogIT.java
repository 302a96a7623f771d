package io.registrybridge.sink.consul;

import static io.registrybridge.sink.consul.ConsulSinkIT.complete;
import static io.registrybridge.sink.consul.ConsulSinkIT.state;
import static org.assertj.core.api.Assertions.assertThat;

import io.registrybridge.core.Placement;
import io.registrybridge.core.ServiceCheck;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.SyncResult;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * Instances from elsewhere against one real dev-mode Consul: registered through the catalog API
 * on the synthetic node, with the agent path's guarantees. Steady state is checked on Consul's
 * side too: the registrations' ModifyIndex must not move.
 */
@Testcontainers
class ConsulCatalogIT {
  private static final String OWNER = "k8s-bridge";
  private static final String NODE = "k8s-sync";
  private static final String EAST = "k8s-east-" + Long.toHexString(System.nanoTime());
  private static final String WEST = "k8s-west-" + Long.toHexString(System.nanoTime());

  // WARN: a dev agent logs every catalog write at DEBUG, which makes bulk tests slow.
  @Container static final GenericContainer<?> CONSUL =
      ConsulContainers.devAgent("log_level = \"WARN\"");

  private ConsulHttp consul;
  private ConsulSink sink;

  @BeforeEach
  void emptyConsul() {
    consul = ConsulContainers.http(CONSUL);
    consul.services().keySet().forEach(consul::deregister);
    consul.catalogDeregisterNode(NODE);
    consul.catalogDeregisterNode(EAST);
    consul.catalogDeregisterNode(WEST);
    sink = sink();
  }

  @AfterEach
  void closeSink() {
    sink.close();
  }

  private static ConsulSink sink() {
    return ConsulSinkFactory.create(
        ConsulSinkConfig.fromUri(ConsulContainers.uri(CONSUL), Map.of(), OWNER));
  }

  static ServiceInstance reviews() {
    return ServiceInstance.builder("k8s:default:reviews-v2-abc:9080", "reviews")
        .address("10.1.0.7").port(9080).protocol("http").tags(List.of("k8s", "version|v2"))
        .meta(Map.of("external-source", "kubernetes", "external-k8s-ns", "default"))
        .checks(List.of(ServiceCheck.of(ServiceCheck.Type.TCP, "10.1.0.7:9080")))
        .placement(Placement.ELSEWHERE).source("kubernetes").build();
  }

  static ServiceInstance ratings() {
    return ServiceInstance.builder("k8s:default:ratings-xyz:9080", "ratings")
        .address("10.1.0.8").port(9080).protocol("grpc").placement(Placement.ELSEWHERE)
        .source("kubernetes").build();
  }

  private static String hash(ServiceInstance instance) {
    return RegistrationMapper.forCatalog(OWNER).map(instance).hash();
  }

  @Test
  void registersExactlyWhatIsDesiredOnTheSyntheticNode() {
    assertThat(sink.sync(complete(reviews(), ratings()))).isEqualTo(new SyncResult(2, 0, 0));

    Map<String, Object> node = consul.catalogNode(NODE);
    assertThat(asMap(node.get("Node")))
        .containsEntry("Node", NODE)
        .containsEntry("Address", "127.0.0.1")
        .containsEntry("Meta", Map.of("external-source", "kubernetes"));
    Map<String, Map<String, Object>> services = consul.nodeServices(NODE);
    assertThat(services).containsOnlyKeys(reviews().id(), ratings().id());
    assertThat(services.get(reviews().id()))
        .containsEntry("ID", reviews().id())
        .containsEntry("Service", "reviews")
        .containsEntry("Address", "10.1.0.7")
        .containsEntry("Port", 9080)
        .containsEntry("Tags", List.of("k8s", "version|v2"))
        .containsEntry("Meta", Map.of("external-source", "kubernetes",
            "external-k8s-ns", "default", "protocol", "http", "registry-bridge-owner", OWNER,
            "registry-bridge-source", "kubernetes", "registry-bridge-hash", hash(reviews())));
    assertThat(services.get(ratings().id()))
        .containsEntry("Service", "ratings")
        .containsEntry("Address", "10.1.0.8")
        .containsEntry("Tags", List.of())
        .containsEntry("Meta", Map.of("protocol", "grpc", "registry-bridge-owner", OWNER,
            "registry-bridge-source", "kubernetes", "registry-bridge-hash", hash(ratings())));
    // No checks anywhere: nothing would run them on this node.
    assertThat(consul.nodeChecks(NODE)).isEmpty();
    assertThat(consul.services()).isEmpty();
  }

  @Test
  void updatesAndRemovesWithOneWriteEachAndNothingAtSteadyState() {
    sink.sync(complete(reviews(), ratings()));
    Map<String, Object> indexes = modifyIndexes();

    assertThat(sink.sync(complete(reviews(), ratings()))).isEqualTo(SyncResult.NOTHING);
    assertThat(sink.apply(Set.of(reviews().id(), ratings().id()), complete(reviews(), ratings())))
        .isEqualTo(SyncResult.NOTHING);
    assertThat(modifyIndexes()).isEqualTo(indexes);

    ServiceInstance moved = reviews().toBuilder().address("10.1.0.9").tags(List.of("v3")).build();
    assertThat(sink.apply(Set.of(moved.id()), complete(moved, ratings())))
        .isEqualTo(new SyncResult(0, 1, 0));
    assertThat(consul.nodeServices(NODE).get(moved.id()))
        .containsEntry("Address", "10.1.0.9")
        .containsEntry("Tags", List.of("v3"));
    assertThat(modifyIndexes().get(ratings().id())).isEqualTo(indexes.get(ratings().id()));

    assertThat(sink.apply(Set.of(ratings().id()), state(false, moved)))
        .isEqualTo(SyncResult.NOTHING);
    assertThat(consul.nodeServices(NODE)).containsOnlyKeys(moved.id(), ratings().id());

    assertThat(sink.apply(Set.of(ratings().id()), complete(moved)))
        .isEqualTo(new SyncResult(0, 0, 1));
    assertThat(consul.nodeServices(NODE)).containsOnlyKeys(moved.id());
  }

  @Test
  void aRestartedSinkAdoptsEverythingWithoutAWrite() {
    sink.sync(complete(reviews(), ratings()));
    Map<String, Object> indexes = modifyIndexes();
    sink.close();

    // A new leader after failover: first single changes, then its full sync.
    sink = sink();
    assertThat(sink.apply(Set.of(reviews().id()), complete(reviews(), ratings())))
        .isEqualTo(SyncResult.NOTHING);
    assertThat(sink.sync(complete(reviews(), ratings()))).isEqualTo(SyncResult.NOTHING);

    assertThat(modifyIndexes()).isEqualTo(indexes);
  }

  @Test
  void sharesTheNodeWithoutTouchingWhatIsNotOurs() {
    // Another tool created the node first, and keeps a service there with no Meta at all.
    consul.catalogRegister(Map.of("Node", NODE, "Address", "192.0.2.1",
        "NodeMeta", Map.of("owner", "someone-else"),
        "Service", Map.of("ID", "theirs", "Service", "theirs", "Port", 1)));
    consul.catalogRegister(Map.of("Node", NODE, "Address", "192.0.2.1", "SkipNodeUpdate", true,
        "Service", Map.of("ID", ratings().id(), "Service", "squatter", "Port", 2,
            "Meta", Map.of("registry-bridge-owner", "another-bridge"))));
    Map<String, Map<String, Object>> before = consul.nodeServices(NODE);

    assertThat(sink.sync(complete(reviews(), ratings()))).isEqualTo(new SyncResult(1, 0, 0));
    assertThat(sink.sync(complete())).isEqualTo(new SyncResult(0, 0, 1));

    assertThat(consul.nodeServices(NODE)).isEqualTo(before);
    assertThat(asMap(consul.catalogNode(NODE).get("Node")))
        .containsEntry("Address", "192.0.2.1")
        .containsEntry("Meta", Map.of("owner", "someone-else"));
  }

  @Test
  void mixedPlacementsGoToTheirOwnPlaceAndAnInstanceCanMove() {
    ServiceInstance db = ConsulSinkIT.db();
    assertThat(sink.sync(complete(db, reviews()))).isEqualTo(new SyncResult(2, 0, 0));
    assertThat(consul.services()).containsOnlyKeys(db.id());
    assertThat(consul.nodeServices(NODE)).containsOnlyKeys(reviews().id());

    ServiceInstance here = reviews().toBuilder().placement(Placement.THIS_HOST).build();
    assertThat(sink.apply(Set.of(here.id()), complete(db, here)))
        .isEqualTo(new SyncResult(1, 0, 1));
    assertThat(consul.services()).containsOnlyKeys(db.id(), here.id());
    // On the agent it has its check again.
    assertThat(consul.checks()).containsOnlyKeys("service:" + here.id() + ":1");
    assertThat(consul.nodeServices(NODE)).isEmpty();

    assertThat(sink.apply(Set.of(here.id()), complete(db, reviews())))
        .isEqualTo(new SyncResult(1, 0, 1));
    assertThat(consul.services()).containsOnlyKeys(db.id());
    assertThat(consul.checks()).isEmpty();
    assertThat(consul.nodeServices(NODE)).containsOnlyKeys(reviews().id());
    assertThat(sink.sync(complete(db, reviews()))).isEqualTo(SyncResult.NOTHING);
  }

  @Test
  void manyInstancesGoOutInBulkAndAreReadBackInOne() {
    // Read by the one lookup of the other services that replaces a lookup before each create.
    consul.catalogRegister(Map.of("Node", NODE, "Address", "192.0.2.1",
        "Service", Map.of("ID", "k8s:default:pod-7:80", "Service", "theirs", "Port", 1)));
    Map<String, ServiceInstance> many = new HashMap<>();
    for (int i = 0; i < 200; i++) {
      ServiceInstance instance = ServiceInstance.builder("k8s:default:pod-" + i + ":80", "svc")
          .address("10.2." + (i / 250) + "." + (i % 250 + 1)).port(80)
          .placement(Placement.ELSEWHERE).build();
      many.put(instance.id(), instance);
    }
    ServiceInstance[] all = new ArrayList<>(many.values()).toArray(ServiceInstance[]::new);

    assertThat(sink.sync(complete(all))).isEqualTo(new SyncResult(199, 0, 0));
    assertThat(consul.nodeServices(NODE).keySet()).isEqualTo(many.keySet());
    assertThat(consul.nodeServices(NODE).get("k8s:default:pod-7:80"))
        .containsEntry("Service", "theirs");
    try (ConsulSink restarted = sink()) {
      assertThat(restarted.sync(complete(all))).isEqualTo(SyncResult.NOTHING);
    }
  }

  /**
   * Two sources, each naming its own node (two clusters with their own {@code -k8s-consul-node},
   * or another source next to Kubernetes): each node is created with its source's name as
   * {@code external-source}, holds exactly its instances, is left alone at steady state, even by
   * a restarted bridge, and keeps nothing once its instances go, though nothing names it then.
   */
  @Test
  void instancesOfTwoSourcesGoOnTheNodesTheyNameAndLeaveThemEmpty() throws Exception {
    ServiceInstance east = reviews().toBuilder().node(EAST).build();
    ServiceInstance eastToo = ServiceInstance.builder("k8s:default:details-1:9080", "details")
        .address("10.1.0.9").port(9080).placement(Placement.ELSEWHERE).node(EAST)
        .source("kubernetes").build();
    ServiceInstance west = ratings().toBuilder().node(WEST).source("static").build();

    assertThat(sink.sync(complete(east, eastToo, west))).isEqualTo(new SyncResult(3, 0, 0));

    assertThat(asMap(consul.catalogNode(EAST).get("Node")))
        .containsEntry("Node", EAST)
        .containsEntry("Address", "127.0.0.1")
        .containsEntry("Meta", Map.of("external-source", "kubernetes"));
    assertThat(asMap(consul.catalogNode(WEST).get("Node")))
        .containsEntry("Node", WEST)
        .containsEntry("Address", "127.0.0.1")
        .containsEntry("Meta", Map.of("external-source", "static"));
    assertThat(consul.nodeServices(EAST)).containsOnlyKeys(east.id(), eastToo.id());
    assertThat(consul.nodeServices(WEST)).containsOnlyKeys(west.id());
    assertThat(consul.nodeServices(WEST).get(west.id())).containsEntry("Meta", Map.of(
        "protocol", "grpc", "registry-bridge-owner", OWNER, "registry-bridge-source", "static",
        "registry-bridge-hash", hash(west)));
    assertThat(consul.catalogNode(NODE)).as("the default node").isNull();
    assertThat(consul.services()).isEmpty();

    // Steady state, also after a restart: reads only.
    Map<String, Object> indexes = modifyIndexes(EAST, WEST);
    String consulUrl = ConsulContainers.httpUrl(CONSUL);
    try (CountingProxy proxy = new CountingProxy(consulUrl)) {
      assertThat(sink.sync(complete(east, eastToo, west))).isEqualTo(SyncResult.NOTHING);
      try (ConsulSink restarted = ConsulSinkFactory.create(
          ConsulSinkConfig.fromUri(proxy.consulUri(), Map.of(), OWNER))) {
        assertThat(restarted.apply(Set.of(east.id(), west.id()), complete(east, eastToo, west)))
            .isEqualTo(SyncResult.NOTHING);
        assertThat(restarted.sync(complete(east, eastToo, west))).isEqualTo(SyncResult.NOTHING);
        assertThat(proxy.writes()).isEmpty();
        assertThat(proxy.reads()).contains("GET /v1/catalog/node/" + EAST,
            "GET /v1/catalog/node/" + WEST, "GET /v1/catalog/node/" + NODE);
      }
    }
    assertThat(modifyIndexes(EAST, WEST)).hasSize(3).isEqualTo(indexes);

    // The west source's instance goes; then everything: no desired instance names either node.
    assertThat(sink.apply(Set.of(west.id()), complete(east, eastToo)))
        .isEqualTo(new SyncResult(0, 0, 1));
    assertThat(consul.nodeServices(WEST)).isEmpty();
    assertThat(consul.nodeServices(EAST)).containsOnlyKeys(east.id(), eastToo.id());
    assertThat(sink.sync(complete())).isEqualTo(new SyncResult(0, 0, 2));
    assertThat(consul.nodeServices(EAST)).isEmpty();
    assertThat(consul.nodeServices(WEST)).isEmpty();
    assertThat(consul.catalogNode(NODE)).isNull();
  }

  private static ServiceInstance endpoint(int n) {
    return ServiceInstance.builder("k8s:default:svc-" + n + ":8080", "svc-" + (n % 7))
        .address("10.2." + (n / 256) + "." + (n % 256)).port(8080).protocol("http")
        .tags(List.of("k8s", "n|" + n)).meta(Map.of("external-source", "kubernetes",
            "external-k8s-ns", "default", "index", String.valueOf(n)))
        .placement(Placement.ELSEWHERE).source("kubernetes").build();
  }

  /**
   * A full sync's creates (and a later sync's updates) go in transactions of 64 (the ModifyIndex
   * they share shows it), and Consul holds exactly what one PUT each would have written.
   */
  @Test
  void aFullSyncWritesInTransactionsExactlyWhatOnePutEachWould() {
    List<ServiceInstance> desired = new ArrayList<>();
    for (int n = 0; n < 150; n++) {
      desired.add(endpoint(n));
    }
    assertThat(sink.sync(complete(desired.toArray(ServiceInstance[]::new))))
        .isEqualTo(new SyncResult(150, 0, 0));
    assertExactly(desired);
    // One PUT that creates the node, then 64 + 64 + 21 in three transactions.
    assertThat(Set.copyOf(modifyIndexes().values())).hasSize(4);

    List<ServiceInstance> moved = desired.stream().map(i -> i.toBuilder().port(9090).build())
        .toList();
    assertThat(sink.sync(complete(moved.toArray(ServiceInstance[]::new))))
        .isEqualTo(new SyncResult(0, 150, 0));
    assertExactly(moved);
    assertThat(Set.copyOf(modifyIndexes().values())).hasSizeLessThanOrEqualTo(4);
  }

  private void assertExactly(List<ServiceInstance> desired) {
    Map<String, Map<String, Object>> services = consul.nodeServices(NODE);
    assertThat(services).hasSize(desired.size());
    for (ServiceInstance instance : desired) {
      Map<String, Object> meta = new HashMap<>(instance.meta());
      meta.putAll(Map.of("protocol", "http", "registry-bridge-owner", OWNER,
          "registry-bridge-source", "kubernetes", "registry-bridge-hash", hash(instance)));
      assertThat(services.get(instance.id())).as(instance.id())
          .containsEntry("ID", instance.id())
          .containsEntry("Service", instance.name())
          .containsEntry("Address", instance.address())
          .containsEntry("Port", instance.port())
          .containsEntry("Tags", instance.tags())
          .containsEntry("Meta", meta)
          .containsEntry("Weights", Map.of("Passing", 1, "Warning", 1));
    }
    assertThat(consul.nodeChecks(NODE)).isEmpty();
  }

  /** Consul rolls back a transaction with one bad registration; the others are still written. */
  @Test
  void aTransactionWithOneRegistrationConsulRefusesStillWritesTheOthers() {
    List<ServiceInstance> desired = new ArrayList<>();
    for (int n = 0; n < 10; n++) {
      desired.add(endpoint(n));
    }
    // A reserved meta key (sources drop it; this one got through): Consul refuses it.
    ServiceInstance refused = endpoint(5).toBuilder().meta(Map.of("consul-secret", "s3cr3t"))
        .build();
    desired.set(5, refused);

    assertThat(sink.sync(complete(desired.toArray(ServiceInstance[]::new))))
        .isEqualTo(new SyncResult(9, 0, 0));
    List<ServiceInstance> written = new ArrayList<>(desired);
    written.remove(refused);
    assertExactly(written);
    assertThat(consul.nodeServices(NODE)).doesNotContainKey(refused.id());
  }

  private Map<String, Object> modifyIndexes() {
    return modifyIndexes(NODE);
  }

  private Map<String, Object> modifyIndexes(String... nodes) {
    Map<String, Object> indexes = new HashMap<>();
    for (String node : nodes) {
      consul.nodeServices(node).forEach((id, s) -> indexes.put(node + "/" + id,
          s.get("ModifyIndex")));
    }
    return indexes;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> asMap(Object value) {
    return (Map<String, Object>) value;
  }
}
