package io.registrybridge.sink.mesh;

import static io.registrybridge.sink.mesh.Fixtures.bookinfo;
import static io.registrybridge.sink.mesh.Fixtures.config;
import static io.registrybridge.sink.mesh.Fixtures.instance;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import io.registrybridge.core.ControlPlaneUnavailableException;
import io.registrybridge.core.DesiredIndex;
import io.registrybridge.core.DesiredState;
import io.registrybridge.core.DesiredView;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.SourceListener;
import io.registrybridge.core.SyncResult;
import io.registrybridge.core.Transport;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The engine against an in-memory store, driven like the reconciler drives it: a {@link
 * DesiredIndex} reports changed IDs, which go to {@link MeshEngine#apply}.
 */
class MeshEngineTest {
  private final InMemoryStore store = new InMemoryStore();
  private DesiredIndex index = new DesiredIndex(Set.of("test"));
  private SourceListener source = index.listenerFor("test");
  private final Set<String> changed = new LinkedHashSet<>();

  MeshEngineTest() {
    index.addListener(change -> changed.addAll(change.ids()));
  }

  private void useSources(Set<String> sources) {
    useSources("test", sources);
  }

  /** A new index over {@code sources}; {@link #source} reports as {@code main}. */
  private void useSources(String main, Set<String> sources) {
    index = new DesiredIndex(sources);
    source = index.listenerFor(main);
    index.addListener(change -> changed.addAll(change.ids()));
  }

  /** Every instance from its own origin, as the Docker source reports containers. */
  private void desire(List<ServiceInstance> instances) {
    source.replaceAll(instances.stream().collect(Collectors.groupingBy(ServiceInstance::id)));
  }

  private void put(ServiceInstance instance) {
    source.update(instance.id(), List.of(instance));
  }

  private void remove(String id) {
    source.update(id, List.of());
  }

  /** Applies what changed since the last call, like the reconciler. */
  private SyncResult applyChanges(MeshEngine engine) throws Exception {
    Set<String> ids = new LinkedHashSet<>(changed);
    changed.clear();
    return engine.apply(ids, index);
  }

  private MeshEngine syncedEngine(MeshSinkConfig config) throws Exception {
    MeshEngine engine = new MeshEngine(config, store, MeshSinkListener.NONE);
    engine.sync(index.snapshot());
    changed.clear();
    store.operations.clear();
    return engine;
  }

  private static ServiceInstance bookinfoInstance(String id) {
    return bookinfo("http").stream().filter(i -> i.id().equals(id)).findFirst().orElseThrow();
  }

  private static String spec(InMemoryStore store, String name) {
    return String.valueOf(store.objects.get(name).getAdditionalProperties().get("spec"));
  }

  @Test
  void oneChangeConvertsAndWritesOnlyItsService() throws Exception {
    desire(bookinfo("http"));
    MeshEngine engine = syncedEngine(config());
    assertThat(store.objects).hasSize(4);
    long converted = engine.model().hostsConverted();

    remove("reviews-v3");
    assertThat(applyChanges(engine)).isEqualTo(new SyncResult(0, 1, 0));

    assertThat(store.operations).containsExactly("update reviews.service.consul");
    assertThat(engine.model().hostsConverted() - converted).isEqualTo(1);
    assertThat(store.fullReads).isEqualTo(1); // the first sync's, none since
    assertThat(spec(store, "reviews.service.consul")).doesNotContain("172.18.0.7");
  }

  @Test
  void aChangeThatRendersTheSameConvertsButWritesNothing() throws Exception {
    desire(bookinfo("http"));
    MeshEngine engine = syncedEngine(config());
    long converted = engine.model().hostsConverted();

    // The origin is not part of what the mesh is told.
    put(bookinfoInstance("details-v1").toBuilder().origin("docker:renamed-container").build());
    assertThat(applyChanges(engine)).isEqualTo(SyncResult.NOTHING);

    assertThat(store.operations).isEmpty();
    assertThat(engine.model().hostsConverted() - converted).isEqualTo(1);
  }

  @Test
  void aRenameMovesTheEndpointFromOneServiceEntryToAnother() throws Exception {
    desire(bookinfo("http"));
    MeshEngine engine = syncedEngine(config());
    long converted = engine.model().hostsConverted();

    // reviews-v3 is now a ratings instance: its old host is only known from the last conversion.
    put(bookinfoInstance("reviews-v3").toBuilder().name("ratings").build());
    assertThat(applyChanges(engine)).isEqualTo(new SyncResult(0, 2, 0));

    assertThat(store.operations).containsExactly("update ratings.service.consul",
        "update reviews.service.consul");
    assertThat(engine.model().hostsConverted() - converted).isEqualTo(2);
    assertThat(spec(store, "reviews.service.consul")).doesNotContain("172.18.0.7");
    assertThat(spec(store, "ratings.service.consul")).contains("172.18.0.7");

    // Renamed again, to a service of its own: ratings loses it, a new entry is created.
    put(bookinfoInstance("reviews-v3").toBuilder().name("stars").build());
    assertThat(applyChanges(engine)).isEqualTo(new SyncResult(1, 1, 0));
    assertThat(spec(store, "ratings.service.consul")).doesNotContain("172.18.0.7");
    assertThat(spec(store, "stars.service.consul")).contains("172.18.0.7");
  }

  @Test
  void anExistingEntryIsNotRewrittenFromAPartialStateSoARestartDropsNoEndpoint()
      throws Exception {
    desire(bookinfo("http"));
    syncedEngine(config()); // the previous run's objects, all four complete
    String reviews = spec(store, "reviews.service.consul");

    // A restart: the first listing has reported one reviews instance of three so far.
    useSources(Set.of("test", "late"));
    put(bookinfoInstance("reviews-v2"));
    MeshEngine restarted = new MeshEngine(config(), store, MeshSinkListener.NONE);
    assertThat(restarted.sync(index.snapshot())).isEqualTo(SyncResult.NOTHING);
    assertThat(spec(store, "reviews.service.consul")).isEqualTo(reviews);

    desire(bookinfo("http")); // this source's listing is done
    index.listenerFor("late").replaceAll(Map.of());
    assertThat(index.complete()).isTrue();
    changed.clear();
    assertThat(restarted.sync(index.snapshot())).isEqualTo(SyncResult.NOTHING);
    assertThat(spec(store, "reviews.service.consul")).isEqualTo(reviews);
  }

  @Test
  void theLastInstanceOfAServiceGoingDeletesItsEntryOnlyOnceTheStateIsComplete()
      throws Exception {
    useSources(Set.of("test", "late"));
    bookinfo("http").forEach(this::put); // reported, but no listing of "test" has finished
    assertThat(index.complete()).isFalse();
    MeshEngine engine = syncedEngine(config());
    assertThat(store.objects).hasSize(4); // creates do not wait

    remove("ratings-v1");
    assertThat(applyChanges(engine)).isEqualTo(SyncResult.NOTHING);
    assertThat(store.objects).containsKey("ratings.service.consul");

    desire(bookinfo("http").stream().filter(i -> !i.id().equals("ratings-v1")).toList());
    index.listenerFor("late").replaceAll(Map.of()); // every source listed once
    assertThat(index.complete()).isTrue();
    // (The reconciler syncs in full then; the incremental path also remembers the delete.)
    assertThat(applyChanges(engine)).isEqualTo(new SyncResult(0, 0, 1));
    assertThat(store.operations).containsExactly("delete ratings.service.consul");
  }

  private static final String SOURCES = ServiceEntryRenderer.SOURCES_ANNOTATION;

  private static ServiceInstance ratingsOnKubernetes() {
    return instance("ratings-k8s", "ratings", "10.1.0.4", 9080).protocol("http")
        .origin("kubernetes:default/ratings").build();
  }

  private String sourcesOf(String name) {
    return store.objects.get(name).getMetadata().getAnnotations().get(SOURCES);
  }

  @Test
  void whileKubernetesIsDownAnEntryOfDockerAloneIsRewrittenAndDeletedOnceDockerListed()
      throws Exception {
    // The previous run: every source listed; ratings has a Kubernetes endpoint too.
    useSources("docker", Set.of("docker", "kubernetes"));
    desire(bookinfo("http"));
    index.listenerFor("kubernetes").replaceAll(
        Map.of("kubernetes:default/ratings", List.of(ratingsOnKubernetes())));
    syncedEngine(config());
    assertThat(sourcesOf("ratings.service.consul")).isEqualTo("docker,kubernetes");
    assertThat(sourcesOf("reviews.service.consul")).isEqualTo("docker");
    String ratings = spec(store, "ratings.service.consul");

    // A restart with the API server down: only Docker lists.
    useSources("docker", Set.of("docker", "kubernetes"));
    desire(bookinfo("http"));
    assertThat(index.complete()).isFalse();
    MeshEngine restarted = new MeshEngine(config(), store, MeshSinkListener.NONE);
    assertThat(restarted.sync(index.snapshot())).isEqualTo(SyncResult.NOTHING);
    assertThat(spec(store, "ratings.service.consul")).isEqualTo(ratings); // 10.1.0.4 kept
    changed.clear();
    store.operations.clear();

    put(bookinfoInstance("reviews-v3").toBuilder().address("172.18.0.17").build());
    remove("details-v1");
    assertThat(applyChanges(restarted)).isEqualTo(new SyncResult(0, 1, 1));
    assertThat(store.operations).containsExactly("delete details.service.consul",
        "update reviews.service.consul");
    assertThat(spec(store, "reviews.service.consul")).contains("172.18.0.17")
        .doesNotContain("172.18.0.7");

    // Kubernetes has not listed: what it contributed to ratings stays, rewrite or delete.
    put(bookinfoInstance("ratings-v1").toBuilder().address("172.18.0.14").build());
    assertThat(applyChanges(restarted)).isEqualTo(SyncResult.NOTHING);
    remove("ratings-v1");
    assertThat(applyChanges(restarted)).isEqualTo(SyncResult.NOTHING);
    assertThat(spec(store, "ratings.service.consul")).isEqualTo(ratings);

    // Kubernetes lists (the reconciler then syncs in full): ratings is what both now say.
    index.listenerFor("kubernetes").replaceAll(
        Map.of("kubernetes:default/ratings", List.of(ratingsOnKubernetes())));
    assertThat(index.complete()).isTrue();
    changed.clear();
    assertThat(restarted.sync(index.snapshot())).isEqualTo(new SyncResult(0, 1, 0));
    assertThat(spec(store, "ratings.service.consul")).contains("10.1.0.4")
        .doesNotContain("172.18.0.4");
    assertThat(sourcesOf("ratings.service.consul")).isEqualTo("kubernetes");
  }

  @Test
  void anEntryThatDoesNotSayItsSourcesWaitsForEverySourceAndGainsTheMarkOnce()
      throws Exception {
    useSources("docker", Set.of("docker", "kubernetes"));
    desire(bookinfo("http"));
    index.listenerFor("kubernetes").replaceAll(Map.of());
    syncedEngine(config());
    // Written by a bridge from before the mark.
    store.objects.values().forEach(object -> object.getMetadata().setAnnotations(
        new HashMap<>(Map.of(ServiceEntryRenderer.SERVICE_ANNOTATION,
            object.getMetadata().getAnnotations().get(ServiceEntryRenderer.SERVICE_ANNOTATION),
            ServiceEntryRenderer.HASH_ANNOTATION,
            ServiceEntryRenderer.hashOf(object)))));

    useSources("docker", Set.of("docker", "kubernetes"));
    desire(bookinfo("http"));
    MeshEngine restarted = new MeshEngine(config(), store, MeshSinkListener.NONE);
    assertThat(restarted.sync(index.snapshot())).isEqualTo(SyncResult.NOTHING);
    changed.clear();
    put(bookinfoInstance("reviews-v3").toBuilder().address("172.18.0.17").build());
    remove("details-v1");
    assertThat(applyChanges(restarted)).isEqualTo(SyncResult.NOTHING);
    assertThat(store.objects).containsKey("details.service.consul");
    assertThat(spec(store, "reviews.service.consul")).doesNotContain("172.18.0.17");

    index.listenerFor("kubernetes").replaceAll(Map.of());
    assertThat(index.complete()).isTrue();
    // The upgrade's one rewrite: every object gains the mark, reviews its new address too.
    assertThat(restarted.sync(index.snapshot())).isEqualTo(new SyncResult(0, 3, 1));
    assertThat(store.objects).doesNotContainKey("details.service.consul");
    assertThat(spec(store, "reviews.service.consul")).contains("172.18.0.17");
    assertThat(store.objects.keySet()).allSatisfy(name ->
        assertThat(sourcesOf(name)).isEqualTo("docker"));
  }

  @Test
  void aCollisionAppearsAndClearsAsOneOfTwoServicesChanges() throws Exception {
    List<MeshReport> heard = new ArrayList<>();
    desire(List.of(instance("pg", "postgres", "10.0.0.1", 5432).build()));
    MeshEngine engine = new MeshEngine(config(), store, (sink, r) -> heard.add(r));
    engine.sync(index.snapshot());
    changed.clear();
    store.operations.clear();
    long converted = engine.model().hostsConverted();

    // A second service on 5432 without a protocol: one listener 0.0.0.0_5432 for both.
    put(instance("pg-replica", "postgres-replica", "10.0.0.2", 5432).build());
    assertThat(applyChanges(engine)).isEqualTo(new SyncResult(1, 0, 0));
    assertThat(store.operations).containsExactly("create postgres-replica.service.consul");
    assertThat(engine.model().hostsConverted() - converted).isEqualTo(1);
    assertThat(engine.status().activeCollisions()).isEqualTo(1);
    assertThat(engine.status().reports()).extracting(MeshReport::kind, MeshReport::service)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(MeshReport.Kind.PORT_COLLISION,
            "postgres-replica.service.consul,postgres.service.consul"));

    // The replica declares HTTP: HTTP is routed by host, the collision is gone.
    put(instance("pg-replica", "postgres-replica", "10.0.0.2", 5432).protocol("http").build());
    assertThat(applyChanges(engine)).isEqualTo(new SyncResult(0, 1, 0));
    assertThat(engine.status().activeCollisions()).isZero();
    assertThat(engine.status().reports()).isEmpty();
    assertThat(engine.status().collisionsDetected()).isEqualTo(1);
    assertThat(heard).extracting(MeshReport::kind)
        .containsExactly(MeshReport.Kind.PORT_COLLISION);

    // And back: the collision is detected again, and counted again.
    put(instance("pg-replica", "postgres-replica", "10.0.0.2", 5432).build());
    applyChanges(engine);
    assertThat(engine.status().activeCollisions()).isEqualTo(1);
    assertThat(engine.status().collisionsDetected()).isEqualTo(2);
  }

  @Test
  void inAllocateModeAReleasedAddressGoesToTheHostWaitingForOne() throws Exception {
    // Two usable addresses for three hosts.
    MeshSinkConfig config = config().toBuilder().collisionMode(CollisionMode.ALLOCATE)
        .virtualIpRange("240.241.0.0/30").build();
    desire(List.of(instance("a", "a", "10.0.0.1", 5432).build(),
        instance("b", "b", "10.0.0.2", 5432).build(),
        instance("c", "c", "10.0.0.3", 5432).build()));
    MeshEngine engine = syncedEngine(config);
    Map<String, List<String>> addresses = new HashMap<>();
    store.objects.forEach((name, o) -> addresses.put(name, ServiceEntryRenderer.addressesOf(o)));
    assertThat(addresses.get("a.service.consul")).hasSize(1);
    assertThat(addresses.get("b.service.consul")).hasSize(1);
    assertThat(addresses.get("c.service.consul")).isEmpty();
    assertThat(engine.status().reports()).extracting(MeshReport::kind)
        .containsExactly(MeshReport.Kind.NO_VIRTUAL_IP);

    remove("a");
    assertThat(applyChanges(engine)).isEqualTo(new SyncResult(0, 1, 1));

    assertThat(store.operations).containsExactly("delete a.service.consul",
        "update c.service.consul");
    assertThat(ServiceEntryRenderer.addressesOf(store.objects.get("c.service.consul")))
        .isEqualTo(addresses.get("a.service.consul"));
    assertThat(ServiceEntryRenderer.addressesOf(store.objects.get("b.service.consul")))
        .isEqualTo(addresses.get("b.service.consul"));
    assertThat(engine.status().reports()).isEmpty();
  }

  @Test
  void aHostHeldBySomeoneElseIsReportedAndLeftAlone() throws Exception {
    store.foreign.put("ratings.service.consul", "ServiceEntry legacy-ratings of someone else");
    desire(bookinfo("http"));
    MeshEngine engine = syncedEngine(config());
    assertThat(store.objects).doesNotContainKey("ratings.service.consul");
    assertThat(engine.status().reports()).extracting(MeshReport::message).containsExactly(
        "service 'ratings': host ratings.service.consul is already held by ServiceEntry"
            + " legacy-ratings of someone else; it is left alone and nothing is written for it");

    // They let go of it; the next change of ratings takes it.
    store.foreign.clear();
    put(bookinfoInstance("ratings-v1").toBuilder().tags(List.of("version|v2")).build());
    assertThat(applyChanges(engine)).isEqualTo(new SyncResult(1, 0, 0));
    assertThat(engine.status().reports()).isEmpty();
  }

  /**
   * Random changes, each applied incrementally to one engine and by a full sync to another: both
   * stores always hold the same objects, and both engines report the same problems.
   */
  @Test
  void theIncrementalPathEndsWhereAFullSyncDoes() throws Exception {
    // Random services have every problem there is; their reports are not what this test reads.
    ch.qos.logback.classic.Logger reportLog =
        (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(ReportLog.class);
    ch.qos.logback.classic.Level level = reportLog.getLevel();
    reportLog.setLevel(ch.qos.logback.classic.Level.ERROR);
    try {
      compareIncrementalWithFull();
    } finally {
      reportLog.setLevel(level);
    }
  }

  private void compareIncrementalWithFull() throws Exception {
    for (CollisionMode mode : CollisionMode.values()) {
      MeshSinkConfig config = config().toBuilder().collisionMode(mode).build();
      index = new DesiredIndex(Set.of("test"));
      source = index.listenerFor("test");
      changed.clear();
      index.addListener(change -> changed.addAll(change.ids()));
      InMemoryStore incrementalStore = new InMemoryStore();
      InMemoryStore fullStore = new InMemoryStore();
      MeshEngine incremental = new MeshEngine(config, incrementalStore, MeshSinkListener.NONE);
      MeshEngine full = new MeshEngine(config, fullStore, MeshSinkListener.NONE);
      source.replaceAll(Map.of());
      incremental.sync(index.snapshot());
      changed.clear();

      Random random = new Random(42);
      String[] names = {"api", "db", "db-replica", "cache", "My_Web", "my-web", "web/bad"};
      String[] protocols = {null, null, "http", "grpc", "redis", "tcp", "http_proxy"};
      String[] addresses = {"10.0.0.1", "10.0.0.2", "10.0.0.3", "", "db.internal"};
      int[] ports = {80, 5432, 6379, 9080};
      for (int step = 0; step < 200; step++) {
        int changes = 1 + random.nextInt(3);
        for (int c = 0; c < changes; c++) {
          String id = "i" + random.nextInt(14);
          if (random.nextInt(4) == 0) {
            remove(id);
            continue;
          }
          ServiceInstance.Builder builder = instance(id, names[random.nextInt(names.length)],
              addresses[random.nextInt(addresses.length)], ports[random.nextInt(ports.length)])
              .protocol(protocols[random.nextInt(protocols.length)])
              .tags(List.of("version|v" + random.nextInt(3)));
          if (random.nextInt(10) == 0) {
            builder.transport(Transport.UDP);
          }
          put(builder.build());
        }
        applyChanges(incremental);
        DesiredState snapshot = index.snapshot();
        full.sync(snapshot);

        assertThat(incrementalStore.fingerprints()).as("step %d (%s)", step, mode)
            .isEqualTo(fullStore.fingerprints());
        assertThat(new HashSet<>(incremental.status().reports())).as("step %d (%s)", step, mode)
            .isEqualTo(new HashSet<>(full.status().reports()));
        assertThat(incremental.status().heldServices()).isEqualTo(full.status().heldServices());
        assertThat(incremental.status().activeCollisions())
            .isEqualTo(full.status().activeCollisions());
      }
    }
  }

  @Test
  void anApplyBeforeAnySyncStartsWithAFullOne() throws Exception {
    desire(bookinfo("http"));
    MeshEngine engine = new MeshEngine(config(), store, MeshSinkListener.NONE);
    DesiredView view = index;

    assertThat(engine.apply(Set.of("details-v1"), view)).isEqualTo(new SyncResult(4, 0, 0));
    assertThat(store.fullReads).isEqualTo(1);
  }

  @Test
  void everySuccessfulCallEndsWithACommitThatSaysWhetherTheStateWasComplete() throws Exception {
    useSources(Set.of("test", "other"));
    desire(bookinfo("http"));
    MeshEngine engine = new MeshEngine(config(), store, MeshSinkListener.NONE);
    engine.sync(index.snapshot());
    assertThat(store.commits).containsExactly(false);

    index.listenerFor("other").replaceAll(Map.of());
    changed.clear();
    remove("reviews-v3");
    applyChanges(engine);
    assertThat(store.commits).containsExactly(false, true);
    assertThat(store.operations).last().isEqualTo("update reviews.service.consul");
  }
  // --- failure isolation and protocol conflicts (issue 14) ---

  @Test
  void aStrayInstanceWithoutProtocolKeepsItsServiceInTheFeed() throws Exception {
    desire(bookinfo("http"));
    List<MeshReport> heard = new ArrayList<>();
    MeshEngine engine = new MeshEngine(config(), store, (sink, report) -> heard.add(report));
    engine.sync(index.snapshot());
    changed.clear();
    store.operations.clear();

    put(instance("ratings-stray", "ratings", "172.18.0.9", 9080).build());
    assertThat(applyChanges(engine)).isEqualTo(new SyncResult(0, 1, 0));

    assertThat(store.operations).containsExactly("update ratings.service.consul");
    assertThat(spec(store, "ratings.service.consul")).contains("172.18.0.4", "172.18.0.9",
        "protocol=HTTP").doesNotContain("TCP");
    assertThat(engine.status().heldServices()).isZero();
    assertThat(heard).extracting(MeshReport::kind, MeshReport::service)
        .containsExactly(tuple(MeshReport.Kind.PROTOCOL_CONFLICT, "ratings"));
    assertThat(heard.get(0).message()).contains("ratings-stray", "docker:ratings-stray",
        "no protocol", "HTTP");
  }

  @Test
  void aTieGoesToTheInstanceSeenFirstAcrossCallsAndToTheLowestIdAfterARestart()
      throws Exception {
    desire(List.of(instance("api-z", "api", "10.0.0.26", 8080).protocol("grpc").build()));
    MeshEngine engine = syncedEngine(config());

    put(instance("api-a", "api", "10.0.0.1", 8080).protocol("http").build());
    assertThat(applyChanges(engine)).isEqualTo(SyncResult.NOTHING);
    assertThat(spec(store, "api.service.consul")).contains("GRPC", "10.0.0.26")
        .doesNotContain("10.0.0.1");
    assertThat(engine.status().heldServices()).isZero();
    assertThat(engine.status().reports()).extracting(MeshReport::kind)
        .containsExactly(MeshReport.Kind.PROTOCOL_CONFLICT);
    assertThat(engine.status().reports().get(0).message()).contains("instance api-a ",
        "registered earlier");

    // A full sync of the same engine remembers who came first.
    assertThat(engine.sync(index.snapshot())).isEqualTo(SyncResult.NOTHING);

    // A restarted bridge has no history: the first full sync's order is the ID order.
    MeshEngine restarted = new MeshEngine(config(), store, MeshSinkListener.NONE);
    assertThat(restarted.sync(index.snapshot())).isEqualTo(new SyncResult(0, 1, 0));
    assertThat(spec(store, "api.service.consul")).contains("HTTP", "10.0.0.1")
        .doesNotContain("10.0.0.26");
  }

  @Test
  void aConversionThatThrowsForOneHostKeepsItsObjectAndTheOthersAreWritten()
      throws Exception {
    desire(bookinfo("http"));
    AtomicBoolean broken = new AtomicBoolean();
    ServiceEntryConverter converter = new ServiceEntryConverter(config());
    List<MeshReport> heard = new ArrayList<>();
    MeshEngine engine = new MeshEngine(config(), store, (sink, report) -> heard.add(report),
        (host, instances, firstSeen) -> {
          if (broken.get() && host.equals("reviews.service.consul")) {
            throw new IllegalStateException("a bug");
          }
          return converter.convertHost(host, instances, firstSeen);
        });
    engine.sync(index.snapshot());
    String reviews = spec(store, "reviews.service.consul");
    changed.clear();
    store.operations.clear();

    broken.set(true);
    remove("reviews-v3");
    put(bookinfoInstance("details-v1").toBuilder().address("172.18.0.30").build());
    assertThat(applyChanges(engine)).isEqualTo(new SyncResult(0, 1, 0));

    assertThat(store.operations).containsExactly("update details.service.consul");
    assertThat(spec(store, "reviews.service.consul")).isEqualTo(reviews);
    assertThat(engine.status().heldServices()).isEqualTo(1);
    assertThat(heard).singleElement().satisfies(report -> {
      assertThat(report.kind()).isEqualTo(MeshReport.Kind.UNEXPECTED_ERROR);
      assertThat(report.message()).contains("reviews.service.consul", "reviews-v1",
          "reviews-v2", "IllegalStateException").doesNotContain("reviews-v3");
    });

    // A full sync isolates it the same way.
    put(bookinfoInstance("ratings-v1").toBuilder().address("172.18.0.40").build());
    changed.clear();
    assertThat(engine.sync(index.snapshot())).isEqualTo(new SyncResult(0, 1, 0));
    assertThat(spec(store, "reviews.service.consul")).isEqualTo(reviews);

    broken.set(false);
    assertThat(engine.sync(index.snapshot())).isEqualTo(new SyncResult(0, 1, 0));
    assertThat(spec(store, "reviews.service.consul")).doesNotContain("172.18.0.7");
    assertThat(engine.status().heldServices()).isZero();
    assertThat(engine.status().reports()).isEmpty();
  }

  @Test
  void aWriteThatThrowsForOneObjectIsRetriedAndTheOthersAreWritten() throws Exception {
    desire(bookinfo("http"));
    MeshEngine engine = syncedEngine(config());
    store.failWrites.put("reviews.service.consul", new IllegalStateException("odd answer"));

    remove("reviews-v3");
    put(bookinfoInstance("details-v1").toBuilder().address("172.18.0.30").build());
    SyncResult result = applyChanges(engine);

    assertThat(result.updated()).isEqualTo(1);
    assertThat(result.retry()).containsExactlyInAnyOrder("reviews-v1", "reviews-v2");
    assertThat(store.operations).containsExactly("update details.service.consul");
    assertThat(engine.status().reports()).extracting(MeshReport::kind)
        .containsExactly(MeshReport.Kind.UNEXPECTED_ERROR);

    // The reconciler hands the IDs back; the store works again.
    store.failWrites.clear();
    assertThat(engine.apply(result.retry(), index)).isEqualTo(new SyncResult(0, 1, 0));
    assertThat(spec(store, "reviews.service.consul")).doesNotContain("172.18.0.7");
    assertThat(engine.status().reports()).isEmpty();
  }

  @Test
  void anUnreachableStoreStillFailsTheWholeCall() throws Exception {
    desire(bookinfo("http"));
    MeshEngine engine = syncedEngine(config());
    store.failWrites.put("details.service.consul",
        new ControlPlaneUnavailableException("API server down"));

    put(bookinfoInstance("details-v1").toBuilder().address("172.18.0.30").build());
    assertThatThrownBy(() -> applyChanges(engine))
        .isInstanceOf(ControlPlaneUnavailableException.class);
    assertThat(engine.status().reports()).isEmpty();
  }
}
