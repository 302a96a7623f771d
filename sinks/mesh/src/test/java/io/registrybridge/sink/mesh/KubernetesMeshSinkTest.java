package io.registrybridge.sink.mesh;

import static io.registrybridge.sink.mesh.Fixtures.OWNER;
import static io.registrybridge.sink.mesh.Fixtures.bookinfo;
import static io.registrybridge.sink.mesh.Fixtures.config;
import static io.registrybridge.sink.mesh.Fixtures.instance;
import static io.registrybridge.sink.mesh.Fixtures.state;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.registrybridge.core.DesiredIndex;
import io.registrybridge.core.DesiredState;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.SyncResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The Kubernetes transport against fabric8's mock API server in CRUD mode. */
@EnableKubernetesMockClient(crud = true)
class KubernetesMeshSinkTest {
  private static final String NS = "istio-system";
  private static final ResourceDefinitionContext V1 = context("v1");
  static final String OWNED_SELECTOR = "app.kubernetes.io%2Fmanaged-by%3Dregistry-bridge%2C"
      + "registry-bridge.io%2Fowner%3Dtest-bridge";
  static final String FOREIGN_SELECTOR = "registry-bridge.io%2Fowner%21%3Dtest-bridge";

  KubernetesMockServer server;
  KubernetesClient client;
  private int requestsTaken; // JUnit makes a new instance, and the extension a new server, per test

  // Closed after each test, so that their informers stop watching before the server does.
  private final MockServerSinks sinks = new MockServerSinks();

  private MeshSink opened(MeshSink sink) {
    return sinks.add(sink);
  }

  @AfterEach
  void closeSinks() {
    sinks.closeAll();
  }

  private static ResourceDefinitionContext context(String version) {
    return new ResourceDefinitionContext.Builder().withGroup("networking.istio.io")
        .withVersion(version).withPlural("serviceentries").withKind("ServiceEntry")
        .withNamespaced(true).build();
  }

  private MeshSink sink(MeshSinkConfig config) {
    return opened(MeshSinks.kubernetes(config, client));
  }

  private List<GenericKubernetesResource> stored(ResourceDefinitionContext context) {
    return client.genericKubernetesResources(context).inNamespace(NS).list().getItems();
  }

  private Map<String, GenericKubernetesResource> storedByName() {
    return stored(V1).stream().collect(Collectors.toMap(o -> o.getMetadata().getName(), o -> o,
        (a, b) -> a, TreeMap::new));
  }

  /** The requests the server received since the last call, as "METHOD path". */
  private List<String> requests() throws InterruptedException {
    List<String> result = new ArrayList<>();
    while (requestsTaken < server.getRequestCount()) {
      RecordedRequest request = server.takeRequest();
      requestsTaken++;
      result.add(request.getMethod() + " " + request.getPath());
    }
    return result;
  }

  @Test
  void createsUpdatesAndDeletesOwnedServiceEntries() throws Exception {
    IstioCrds.installServiceEntry(client, "v1", "v1beta1");
    MeshSink sink = sink(config());

    assertThat(sink.sync(state(bookinfo("http")))).isEqualTo(new SyncResult(4, 0, 0));
    Map<String, GenericKubernetesResource> objects = storedByName();
    assertThat(objects).containsOnlyKeys("details.service.consul", "productpage.service.consul",
        "ratings.service.consul", "reviews.service.consul");
    // Exactly what the golden file of the conversion holds, plus the server's bookkeeping.
    Conversion conversion = new ServiceEntryConverter(config()).convert(state(bookinfo("http")),
        Map.of());
    ServiceEntryRenderer renderer = new ServiceEntryRenderer(NS, OWNER);
    conversion.entries().forEach((name, entry) -> {
      GenericKubernetesResource want = renderer.render(entry, "networking.istio.io/v1");
      GenericKubernetesResource have = objects.get(name);
      assertThat(have.getApiVersion()).isEqualTo("networking.istio.io/v1");
      assertThat(have.getMetadata().getLabels()).isEqualTo(want.getMetadata().getLabels());
      assertThat(have.getMetadata().getAnnotations())
          .isEqualTo(want.getMetadata().getAnnotations());
      assertThat(have.getAdditionalProperties().get("spec"))
          .isEqualTo(want.getAdditionalProperties().get("spec"));
    });

    // reviews-v3 goes away: one update.
    List<ServiceInstance> fewer = new ArrayList<>(bookinfo("http"));
    fewer.removeIf(i -> i.id().equals("reviews-v3"));
    assertThat(sink.sync(state(fewer))).isEqualTo(new SyncResult(0, 1, 0));
    assertThat(ServiceEntryRenderer.hashOf(storedByName().get("reviews.service.consul")))
        .isNotEqualTo(ServiceEntryRenderer.hashOf(objects.get("reviews.service.consul")));

    // ratings goes away: one delete.
    fewer.removeIf(i -> i.name().equals("ratings"));
    assertThat(sink.sync(state(fewer))).isEqualTo(new SyncResult(0, 0, 1));
    assertThat(storedByName()).containsOnlyKeys("details.service.consul",
        "productpage.service.consul", "reviews.service.consul");
  }

  @Test
  void steadyStateReadsAndWritesNothing() throws Exception {
    IstioCrds.installServiceEntry(client, "v1");
    MeshSink sink = sink(config());
    sink.sync(state(bookinfo("http")));
    requests();

    assertThat(sink.sync(state(bookinfo("http")))).isEqualTo(SyncResult.NOTHING);
    assertThat(sink.sync(state(bookinfo("http")))).isEqualTo(SyncResult.NOTHING);
    // Discovery is cached and full syncs read the informers' caches: not even a list.
    assertThat(requests()).isEmpty();
  }

  @Test
  void theFirstSyncDiscoversThenListsAndWatchesOnceAndWritesWithoutReadingAgain()
      throws Exception {
    IstioCrds.installServiceEntry(client, "v1");
    requests();
    MeshSink sink = sink(config());

    sink.sync(state(bookinfo("http")));

    String objects = "/apis/networking.istio.io/v1/namespaces/istio-system/serviceentries";
    assertThat(requests()).containsExactlyInAnyOrder(
        "GET /apis/networking.istio.io/v1",
        "GET " + objects + "?labelSelector=" + OWNED_SELECTOR + "&resourceVersion=0",
        "GET " + objects + "?labelSelector=" + FOREIGN_SELECTOR + "&resourceVersion=0",
        "GET " + objects + "?allowWatchBookmarks=true&labelSelector=" + OWNED_SELECTOR
            + "&resourceVersion=1&timeoutSeconds=600&watch=true",
        "GET " + objects + "?allowWatchBookmarks=true&labelSelector=" + FOREIGN_SELECTOR
            + "&resourceVersion=1&timeoutSeconds=600&watch=true",
        "POST " + objects, "POST " + objects, "POST " + objects, "POST " + objects);
  }

  @Test
  void theCacheIsWatchedSoAFullReadIsRarelyNeeded() {
    assertThat(sink(config()).timing().verifyInterval()).isEqualTo(Duration.ofMinutes(5));
  }

  @Test
  void theForeignInformerSelectsEverythingButOurObjects() {
    IstioCrds.installServiceEntry(client, "v1");
    for (GenericKubernetesResource object : List.of(
        foreign("ours", "ours.service.consul", Map.of("app.kubernetes.io/managed-by",
            "registry-bridge", "registry-bridge.io/owner", OWNER)),
        foreign("other-bridge", "other.service.consul", Map.of("registry-bridge.io/owner",
            "other-bridge")),
        foreign("unlabelled", "api.example.com", Map.of()))) {
      client.genericKubernetesResources(V1).inNamespace(NS).resource(object).create();
    }
    // What the store's second informer lists: the server filters, so our objects are not cached
    // twice.
    assertThat(client.genericKubernetesResources(V1).inNamespace(NS)
        .withoutLabel("registry-bridge.io/owner", OWNER).list().getItems())
        .extracting(o -> o.getMetadata().getName())
        .containsExactlyInAnyOrder("other-bridge", "unlabelled");
  }

  @Test
  void foreignObjectsAreNeverChangedOrDeleted() throws Exception {
    IstioCrds.installServiceEntry(client, "v1");
    // Same name as ours, no labels.
    GenericKubernetesResource sameName = foreign("reviews.service.consul",
        "reviews.service.consul", Map.of());
    // Other name, but it already holds the ratings host.
    GenericKubernetesResource sameHost = foreign("legacy-ratings", "ratings.service.consul",
        Map.of());
    // Written by another bridge instance.
    GenericKubernetesResource otherBridge = foreign("details.service.consul",
        "details.service.consul", Map.of("app.kubernetes.io/managed-by", "registry-bridge",
            "registry-bridge.io/owner", "other-bridge"));
    GenericKubernetesResource unrelated = foreign("external-api", "api.example.com", Map.of());
    for (GenericKubernetesResource object : List.of(sameName, sameHost, otherBridge, unrelated)) {
      client.genericKubernetesResources(V1).inNamespace(NS).resource(object).create();
    }
    Map<String, GenericKubernetesResource> before = storedByName();
    MeshSink sink = sink(config());

    assertThat(sink.sync(state(bookinfo("http")))).isEqualTo(new SyncResult(1, 0, 0));
    assertThat(sink.status().reports()).extracting(MeshReport::kind, MeshReport::message)
        .containsExactly(
            tuple(MeshReport.Kind.FOREIGN_OWNER,
                "service 'details': host details.service.consul in namespace istio-system is"
                    + " already held by an object of the same name owned by registry-bridge"
                    + " instance 'other-bridge'; it is left alone and nothing is written for it"),
            tuple(MeshReport.Kind.FOREIGN_OWNER,
                "service 'ratings': host ratings.service.consul in namespace istio-system is"
                    + " already held by ServiceEntry legacy-ratings of someone else (no"
                    + " registry-bridge.io/owner label of this bridge); it is left alone and"
                    + " nothing is written for it"),
            tuple(MeshReport.Kind.FOREIGN_OWNER,
                "service 'reviews': host reviews.service.consul in namespace istio-system is"
                    + " already held by an object of the same name owned by someone else (no"
                    + " registry-bridge.io/owner label of this bridge); it is left alone and"
                    + " nothing is written for it"));

    // An empty, complete desired state deletes only our own object.
    assertThat(sink.sync(state(List.of()))).isEqualTo(new SyncResult(0, 0, 1));
    assertThat(storedByName()).isEqualTo(before);
  }

  private static GenericKubernetesResource foreign(String name, String host,
      Map<String, String> labels) {
    return new GenericKubernetesResourceBuilder().withApiVersion("networking.istio.io/v1")
        .withKind("ServiceEntry").withNewMetadata().withName(name).withNamespace(NS)
        .withLabels(labels).endMetadata()
        .addToAdditionalProperties("spec", Map.of("hosts", List.of(host), "resolution", "DNS",
            "ports", List.of(Map.of("number", 443, "name", "https", "protocol", "HTTPS"))))
        .build();
  }

  @Test
  void anIncompleteDesiredStateDeletesNothing() throws Exception {
    IstioCrds.installServiceEntry(client, "v1");
    MeshSink sink = sink(config());
    sink.sync(state(bookinfo("http")));
    List<ServiceInstance> onlyProductpage = List.of(bookinfo("http").get(0));

    assertThat(sink.sync(state(onlyProductpage, false))).isEqualTo(SyncResult.NOTHING);
    assertThat(storedByName()).hasSize(4);
    assertThat(sink.sync(state(onlyProductpage, true))).isEqualTo(new SyncResult(0, 0, 3));
    assertThat(storedByName()).containsOnlyKeys("productpage.service.consul");
  }

  @Test
  void aRestartedSinkReadsEachObjectsSourcesAndWaitsOnlyForThose() throws Exception {
    IstioCrds.installServiceEntry(client, "v1");
    List<ServiceInstance> docker = bookinfo("http").stream()
        .map(i -> i.toBuilder().source("docker").build()).toList();
    List<ServiceInstance> both = new ArrayList<>(docker);
    both.add(instance("ratings-k8s", "ratings", "10.1.0.4", 9080).protocol("http")
        .source("kubernetes").build());
    sink(config()).sync(DesiredState.of(byId(both), true, 1));
    assertThat(storedByName().get("ratings.service.consul").getMetadata().getAnnotations())
        .containsEntry(ServiceEntryRenderer.SOURCES_ANNOTATION, "docker,kubernetes");

    // Restarted with the API server of the Kubernetes source down: Docker alone has listed.
    List<ServiceInstance> now = docker.stream()
        .filter(i -> !i.name().equals("details")).toList();
    MeshSink restarted = sink(config());
    assertThat(restarted.sync(DesiredState.of(byId(now), false, 2, Set.of("docker"))))
        .isEqualTo(new SyncResult(0, 0, 1));
    assertThat(storedByName()).containsOnlyKeys("productpage.service.consul",
        "ratings.service.consul", "reviews.service.consul");
    assertThat(String.valueOf(storedByName().get("ratings.service.consul")
        .getAdditionalProperties().get("spec"))).contains("10.1.0.4");
  }

  private static Map<String, ServiceInstance> byId(List<ServiceInstance> instances) {
    return instances.stream().collect(Collectors.toMap(ServiceInstance::id, i -> i));
  }

  @Test
  void fallsBackToV1beta1WhenV1IsNotServed() throws Exception {
    IstioCrds.installServiceEntry(client, "v1beta1");
    MeshSink sink = sink(config());

    assertThat(sink.sync(state(bookinfo("http")))).isEqualTo(new SyncResult(4, 0, 0));
    assertThat(stored(context("v1beta1"))).hasSize(4)
        .allSatisfy(o -> assertThat(o.getApiVersion()).isEqualTo("networking.istio.io/v1beta1"));
    assertThat(requests()).contains("GET /apis/networking.istio.io/v1",
        "GET /apis/networking.istio.io/v1beta1");
    assertThat(sink.sync(state(bookinfo("http")))).isEqualTo(SyncResult.NOTHING);
  }

  @Test
  void waitsForTheCrdThenSyncs() throws Exception {
    MeshSink sink = sink(config());

    assertThatThrownBy(() -> sink.sync(state(bookinfo("http"))))
        .isInstanceOf(IstioNotReadyException.class)
        .hasMessage("the API server does not serve ServiceEntry (networking.istio.io/v1,"
            + " networking.istio.io/v1beta1, networking.istio.io/v1alpha3); is Istio"
            + " installed?");
    // Still not there: every attempt asks again.
    assertThatThrownBy(() -> sink.sync(state(bookinfo("http"))))
        .isInstanceOf(IstioNotReadyException.class);

    IstioCrds.installServiceEntry(client, "v1");
    assertThat(sink.sync(state(bookinfo("http")))).isEqualTo(new SyncResult(4, 0, 0));
  }

  @Test
  void aPinnedVersionIsTheOnlyOneTried() throws Exception {
    IstioCrds.installServiceEntry(client, "v1");
    MeshSink sink = sink(config().toBuilder().apiVersion(IstioApiVersion.V1BETA1).build());

    assertThatThrownBy(() -> sink.sync(state(bookinfo("http"))))
        .isInstanceOf(IstioNotReadyException.class)
        .hasMessage("the API server does not serve ServiceEntry (networking.istio.io/v1beta1);"
            + " is Istio installed?");
  }

  @Test
  void aServiceThatBecameInvalidKeepsItsLastGoodObject() throws Exception {
    IstioCrds.installServiceEntry(client, "v1");
    MeshSink sink = sink(config());
    sink.sync(state(bookinfo("http")));
    GenericKubernetesResource reviews = storedByName().get("reviews.service.consul");
    // Every reviews instance now has a protocol a ServiceEntry cannot declare: all skipped.
    List<ServiceInstance> broken = new ArrayList<>();
    for (ServiceInstance instance : bookinfo("http")) {
      broken.add(instance.name().equals("reviews")
          ? instance.toBuilder().protocol("http_proxy").build() : instance);
    }

    assertThat(sink.sync(state(broken))).isEqualTo(SyncResult.NOTHING);
    assertThat(storedByName().get("reviews.service.consul")).isEqualTo(reviews);
    assertThat(sink.status().heldServices()).isEqualTo(1);
    assertThat(sink.status().reports()).extracting(MeshReport::kind)
        .containsOnly(MeshReport.Kind.SKIPPED_INSTANCE).hasSize(3);
  }

  @Test
  void collisionsAreCountedOnceWhileTheyLast() throws Exception {
    IstioCrds.installServiceEntry(client, "v1");
    List<MeshReport> heard = new ArrayList<>();
    MeshSink sink = opened(MeshSinks.kubernetes(config(), client, (name, r) -> heard.add(r)));

    sink.sync(state(bookinfo(null)));
    sink.sync(state(bookinfo(null)));

    assertThat(sink.status().activeCollisions()).isEqualTo(1);
    assertThat(sink.status().collisionsDetected()).isEqualTo(1);
    assertThat(heard).extracting(MeshReport::kind)
        .containsExactly(MeshReport.Kind.PORT_COLLISION);
    sink.sync(state(bookinfo("http")));
    assertThat(sink.status().activeCollisions()).isZero();
    assertThat(sink.status().collisionsDetected()).isEqualTo(1);
  }

  @Test
  void allocatedAddressesSurviveARestart() throws Exception {
    IstioCrds.installServiceEntry(client, "v1");
    MeshSinkConfig config = config().toBuilder().collisionMode(CollisionMode.ALLOCATE).build();
    sink(config).sync(state(bookinfo(null)));
    Map<String, GenericKubernetesResource> first = storedByName();

    MeshSink restarted = sink(config);
    assertThat(restarted.sync(state(bookinfo(null)))).isEqualTo(SyncResult.NOTHING);
    assertThat(storedByName()).isEqualTo(first);
    assertThat(first.values()).extracting(ServiceEntryRenderer::addressesOf)
        .extracting(a -> a.get(0)).doesNotHaveDuplicates();
  }

  @Test
  void anObjectDeletedBehindItsBackAsksForARepairThatPutsItBack() throws Exception {
    IstioCrds.installServiceEntry(client, "v1");
    MeshSink sink = sink(config());
    List<String> repairs = new CopyOnWriteArrayList<>();
    sink.start(repairs::add);
    sink.sync(state(bookinfo("http")));
    // Our own writes are no reason to repair anything.
    await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5))
        .until(repairs::isEmpty);

    client.genericKubernetesResources(V1).inNamespace(NS).withName("details.service.consul")
        .delete();

    await().atMost(Duration.ofSeconds(10)).until(() -> repairs.contains(
        "ServiceEntry istio-system/details.service.consul was deleted by someone else"));
    assertThat(sink.sync(state(bookinfo("http")))).isEqualTo(new SyncResult(1, 0, 0));
    assertThat(storedByName()).containsKey("details.service.consul");
  }

  @Test
  void anObjectEditedByHandAsksForARepairThatPutsItBack() throws Exception {
    IstioCrds.installServiceEntry(client, "v1");
    MeshSink sink = sink(config());
    List<String> repairs = new CopyOnWriteArrayList<>();
    sink.start(repairs::add);
    sink.sync(state(bookinfo("http")));
    GenericKubernetesResource written = storedByName().get("details.service.consul");

    // kubectl edit: the spec changes, the hash annotation stays what it was.
    client.genericKubernetesResources(V1).inNamespace(NS).withName("details.service.consul")
        .edit(o -> {
          @SuppressWarnings("unchecked")
          Map<String, Object> spec = (Map<String, Object>) o.getAdditionalProperties()
              .get("spec");
          spec.put("endpoints", List.of(Map.of("address", "10.9.9.9")));
          return o;
        });

    await().atMost(Duration.ofSeconds(10)).until(() -> repairs.contains(
        "ServiceEntry istio-system/details.service.consul was changed by someone else"));
    assertThat(sink.sync(state(bookinfo("http")))).isEqualTo(new SyncResult(0, 1, 0));
    assertThat(storedByName().get("details.service.consul").getAdditionalProperties())
        .isEqualTo(written.getAdditionalProperties());
  }

  @Test
  void istio11ServesOnlyV1alpha3() throws Exception {
    IstioCrds.installServiceEntry(client, "v1alpha3");
    MeshSink sink = sink(config());

    assertThat(sink.sync(state(bookinfo("http")))).isEqualTo(new SyncResult(4, 0, 0));
    assertThat(stored(context("v1alpha3"))).hasSize(4)
        .allSatisfy(o -> assertThat(o.getApiVersion()).isEqualTo("networking.istio.io/v1alpha3"));
    assertThat(requests()).contains("GET /apis/networking.istio.io/v1",
        "GET /apis/networking.istio.io/v1beta1", "GET /apis/networking.istio.io/v1alpha3");
    assertThat(sink.sync(state(bookinfo("http")))).isEqualTo(SyncResult.NOTHING);

    // The incremental path works on it too.
    DesiredIndex index = new DesiredIndex(Set.of("test"));
    index.listenerFor("test").replaceAll(Map.of("all", bookinfo("http")));
    List<ServiceInstance> fewer = new ArrayList<>(bookinfo("http"));
    fewer.removeIf(i -> i.id().equals("reviews-v3"));
    index.listenerFor("test").replaceAll(Map.of("all", fewer));
    requests();
    assertThat(sink.apply(Set.of("reviews-v3"), index)).isEqualTo(new SyncResult(0, 1, 0));
    assertThat(requests()).containsExactly("PUT /apis/networking.istio.io/v1alpha3/namespaces/"
        + "istio-system/serviceentries/reviews.service.consul");
    assertThat(stored(context("v1alpha3"))).filteredOn(
        o -> o.getMetadata().getName().equals("reviews.service.consul"))
        .singleElement().satisfies(o -> assertThat(o.toString()).doesNotContain("172.18.0.7"));
  }

  @Test
  void aLongOwnerIdLabelsAndSelectsByTheSameDerivedValue() throws Exception {
    IstioCrds.installServiceEntry(client, "v1");
    String ownerId = "registry-bridge-leader-for-the-payments-cluster.platform-mesh-integration";
    MeshSinkConfig config = MeshSinkConfig.builder(ownerId).build();
    MeshSink sink = sink(config);

    assertThat(sink.sync(state(bookinfo("http")))).isEqualTo(new SyncResult(4, 0, 0));
    assertThat(stored(V1)).extracting(o -> o.getMetadata().getLabels()
        .get(ServiceEntryRenderer.OWNER_LABEL)).containsOnly(config.ownerLabel());

    // A restarted bridge (or another replica) finds them as its own: nothing to write, and a
    // service that went away is deleted.
    sinks.closeAll();
    MeshSink restarted = sink(MeshSinkConfig.builder(ownerId).build());
    assertThat(restarted.sync(state(bookinfo("http")))).isEqualTo(SyncResult.NOTHING);
    List<ServiceInstance> fewer = new ArrayList<>(bookinfo("http"));
    fewer.removeIf(i -> i.name().equals("ratings"));
    assertThat(restarted.sync(state(fewer))).isEqualTo(new SyncResult(0, 0, 1));
    assertThat(restarted.status().reports()).isEmpty();
  }
}
