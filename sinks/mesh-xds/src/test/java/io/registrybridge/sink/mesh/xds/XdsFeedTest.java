package io.registrybridge.sink.mesh.xds;

import static io.registrybridge.sink.mesh.xds.XdsHarness.bookinfo;
import static io.registrybridge.sink.mesh.xds.XdsHarness.instance;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.sink.mesh.MeshReport;
import io.registrybridge.sink.mesh.xds.FakeIstiod.Config;
import io.registrybridge.sink.mesh.xds.FakeIstiod.Profile;
import io.registrybridge.sink.mesh.xds.proto.networking.ServiceEntry;
import io.registrybridge.sink.mesh.xds.proto.networking.ServicePort;
import io.registrybridge.sink.mesh.xds.proto.networking.WorkloadEntry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The {@code istio-xds} sink against clients that behave like istiod's config client. */
class XdsFeedTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final Set<String> BOOKINFO = Set.of("istio-system/details.service.consul",
      "istio-system/productpage.service.consul", "istio-system/ratings.service.consul",
      "istio-system/reviews.service.consul");

  private final XdsHarness xds = new XdsHarness();

  @AfterEach
  void close() throws InterruptedException {
    xds.close();
  }

  private static void awaitSynced(FakeIstiod client) {
    await().atMost(WAIT).until(client::synced);
  }

  /** No further response for a while: what a quiet stream looks like. */
  private static void assertNoMoreResponses(FakeIstiod client, int count) {
    await().during(Duration.ofMillis(500)).atMost(WAIT)
        .until(() -> client.responses().size() == count);
  }

  @ParameterizedTest
  @EnumSource(Profile.class)
  void everyRequestedTypeGetsOneAnswerUnderTheTypeUrlItWasAskedFor(Profile profile)
      throws Exception {
    xds.sync(bookinfo(), true);
    FakeIstiod istiod = xds.connect(profile);
    awaitSynced(istiod);
    assertNoMoreResponses(istiod, profile.types.size());

    assertThat(istiod.responses()).extracting(DiscoveryResponse::getTypeUrl)
        .containsExactlyInAnyOrderElementsOf(profile.types);
    for (DiscoveryResponse response : istiod.responses()) {
      boolean serviceEntry = response.getTypeUrl().equals(profile.serviceEntry());
      assertThat(response.getResourcesCount()).as(response.getTypeUrl())
          .isEqualTo(serviceEntry ? 4 : 0);
      assertThat(response.getNonce()).isNotEmpty();
      assertThat(response.getVersionInfo()).isNotEmpty();
    }
    assertThat(istiod.serviceEntries().keySet()).isEqualTo(BOOKINFO);
    assertThat(istiod.errors()).isEmpty();
  }

  @Test
  void namesMetadataAndBodiesDecodeAsIstiodReadsThem() throws Exception {
    xds.sync(bookinfo(), true);
    FakeIstiod istiod = xds.connect(Profile.ISTIO_1_24);
    awaitSynced(istiod);

    Config reviews = istiod.serviceEntries().get("istio-system/reviews.service.consul");
    assertThat(reviews.namespace()).isEqualTo("istio-system");
    assertThat(reviews.name()).isEqualTo("reviews.service.consul");
    assertThat(reviews.labels()).containsExactlyInAnyOrderEntriesOf(Map.of(
        "app.kubernetes.io/managed-by", "registry-bridge",
        "registry-bridge.io/owner", XdsHarness.OWNER));
    assertThat(reviews.annotations()).containsEntry("registry-bridge.io/service", "reviews")
        .containsEntry("registry-bridge.io/content-hash", reviews.version());
    assertThat(reviews.version()).hasSize(32);
    assertThat(reviews.created()).isEqualTo(xds.clock.instant());
    assertThat(reviews.spec()).isEqualTo(ServiceEntry.newBuilder()
        .addHosts("reviews.service.consul")
        .setLocation(ServiceEntry.Location.MESH_INTERNAL)
        .setResolution(ServiceEntry.Resolution.STATIC)
        .addPorts(ServicePort.newBuilder().setNumber(9080).setName("http-9080")
            .setProtocol("HTTP"))
        .addEndpoints(WorkloadEntry.newBuilder().setAddress("172.18.0.5")
            .putLabels("app", "reviews").putLabels("version", "v1"))
        .addEndpoints(WorkloadEntry.newBuilder().setAddress("172.18.0.6")
            .putLabels("app", "reviews").putLabels("version", "v2"))
        .build());
    // The envelope and body type URLs istiod unpacks.
    DiscoveryResponse response = istiod.responses("networking.istio.io/v1/ServiceEntry").get(0);
    assertThat(response.getResources(0).getTypeUrl())
        .isEqualTo("type.googleapis.com/istio.mcp.v1alpha1.Resource");
    assertThat(response.getResources(0).unpack(
            io.registrybridge.sink.mesh.xds.proto.mcp.Resource.class).getBody().getTypeUrl())
        .isEqualTo("type.googleapis.com/istio.networking.v1alpha3.ServiceEntry");
  }

  @Test
  void eachObjectCarriesTheSourcesItWasWrittenFrom() throws Exception {
    List<ServiceInstance> desired = new ArrayList<>();
    bookinfo().forEach(i -> desired.add(i.toBuilder().source("docker").build()));
    desired.add(instance("ratings-k8s", "ratings", "10.1.0.4").toBuilder()
        .origin("kubernetes:default/ratings").source("kubernetes").build());
    xds.sync(desired, true);
    FakeIstiod istiod = xds.connect(Profile.ISTIO_1_24);
    awaitSynced(istiod);

    assertThat(istiod.serviceEntries().get("istio-system/ratings.service.consul").annotations())
        .containsEntry("registry-bridge.io/sources", "docker,kubernetes");
    assertThat(istiod.serviceEntries().get("istio-system/reviews.service.consul").annotations())
        .containsEntry("registry-bridge.io/sources", "docker");
  }

  @Test
  void nothingIsServedForServiceEntryBeforeTheFirstCompleteListing() throws Exception {
    FakeIstiod early = xds.connect(Profile.ISTIO_1_24);
    xds.sync(bookinfo().subList(0, 2), false); // one source listed, another not yet
    int others = Profile.ISTIO_1_24.types.size() - 1;
    await().atMost(WAIT).until(() -> early.responses().size() == others);
    assertNoMoreResponses(early, others);
    assertThat(early.responses("networking.istio.io/v1/ServiceEntry")).isEmpty();
    assertThat(early.synced()).isFalse();
    assertThat(xds.sink().notReady()).contains(
        "no ServiceEntry served yet (waiting for the first complete listing)");

    xds.sync(bookinfo(), true);
    awaitSynced(early);
    assertThat(early.responses("networking.istio.io/v1/ServiceEntry")).hasSize(1);
    assertThat(early.serviceEntries().keySet()).isEqualTo(BOOKINFO);
  }

  @Test
  void anAckEndsTheExchangeAndNothingIsSentAgain() throws Exception {
    xds.sync(bookinfo(), true);
    FakeIstiod istiod = xds.connect(Profile.ISTIO_1_23);
    awaitSynced(istiod);
    int count = istiod.responses().size();
    assertNoMoreResponses(istiod, count);

    // A full sync of the same state (the verify timer) publishes nothing new.
    xds.sync(bookinfo(), true);
    assertNoMoreResponses(istiod, count);
    assertThat(istiod.serviceEntryUpdates()).isEqualTo(4);
    await().atMost(WAIT).until(() -> xds.sink().notReady().isEmpty());
  }

  @Test
  void aSequenceOfChangesLeavesTheClientHoldingExactlyTheDesiredSet() throws Exception {
    List<ServiceInstance> desired = new ArrayList<>(bookinfo());
    xds.sync(desired, true);
    FakeIstiod istiod = xds.connect(Profile.ISTIO_1_24);
    awaitSynced(istiod);

    desired.removeIf(i -> i.id().equals("ratings-v1"));
    desired.add(instance("reviews-v3", "reviews", "172.18.0.7", "version|v3"));
    desired.add(instance("mongodb-1", "mongodb", "172.18.0.8"));
    xds.sync(desired, true);
    await().atMost(WAIT).until(() -> hosts(istiod.serviceEntries()).equals(Set.of(
        "details.service.consul", "productpage.service.consul", "reviews.service.consul",
        "mongodb.service.consul")));
    assertThat(istiod.serviceEntries().get("istio-system/reviews.service.consul").spec()
        .getEndpointsList()).extracting(WorkloadEntry::getAddress)
        .containsExactly("172.18.0.5", "172.18.0.6", "172.18.0.7");

    xds.sync(List.of(), true);
    await().atMost(WAIT).until(() -> istiod.serviceEntries().isEmpty());
  }

  private static Set<String> hosts(SortedMap<String, Config> configs) {
    return configs.values().stream().map(c -> c.spec().getHosts(0)).collect(Collectors.toSet());
  }

  @Test
  void unchangedServicesKeepTheirVersionAndEveryObjectItsCreationTime() throws Exception {
    xds.sync(bookinfo(), true);
    FakeIstiod istiod = xds.connect(Profile.ISTIO_1_24);
    awaitSynced(istiod);
    SortedMap<String, Config> before = istiod.serviceEntries();

    xds.clock.advance(Duration.ofMinutes(5));
    List<ServiceInstance> changed = new ArrayList<>(bookinfo());
    changed.removeIf(i -> i.id().equals("reviews-v2"));
    xds.sync(changed, true);
    await().atMost(WAIT).until(() -> istiod.serviceEntryUpdates() == 5);

    SortedMap<String, Config> after = istiod.serviceEntries();
    for (String name : BOOKINFO) {
      boolean reviews = name.endsWith("/reviews.service.consul");
      assertThat(after.get(name).version().equals(before.get(name).version())).as(name)
          .isEqualTo(!reviews);
      assertThat(after.get(name).created()).as(name).isEqualTo(before.get(name).created());
    }
  }

  @Test
  void twoClientsEachGetEverythingAndEveryChange() throws Exception {
    xds.sync(bookinfo(), true);
    FakeIstiod first = xds.connect(Profile.ISTIO_1_24);
    FakeIstiod second = xds.connect(Profile.ISTIO_1_23);
    awaitSynced(first);
    awaitSynced(second);

    xds.sync(bookinfo().subList(0, 3), true);
    for (FakeIstiod istiod : List.of(first, second)) {
      await().atMost(WAIT).until(() -> istiod.serviceEntries().keySet().equals(Set.of(
          "istio-system/details.service.consul", "istio-system/productpage.service.consul",
          "istio-system/ratings.service.consul")));
    }
    assertThat(xds.meters.get("registry.bridge.xds.streams").gauge().value()).isEqualTo(2);
  }

  @Test
  void aReconnectingClientGetsTheWholeCurrentState() throws Exception {
    xds.sync(bookinfo(), true);
    FakeIstiod gone = xds.connect(Profile.ISTIO_1_24);
    awaitSynced(gone);
    gone.close();
    await().atMost(WAIT).until(
        () -> xds.meters.get("registry.bridge.xds.streams").gauge().value() == 0);

    xds.sync(bookinfo().subList(1, 5), true); // productpage went while it was away
    FakeIstiod back = xds.connect(Profile.ISTIO_1_24);
    awaitSynced(back);
    assertThat(back.serviceEntries().keySet()).isEqualTo(Set.of(
        "istio-system/details.service.consul", "istio-system/ratings.service.consul",
        "istio-system/reviews.service.consul"));
    assertThat(xds.meters.get("registry.bridge.xds.streams.opened").functionCounter()
        .count())
        .isEqualTo(2);
  }

  @Test
  void aNackIsNotAnsweredWithTheSameSetAgainButTheNextChangeGoesOut() throws Exception {
    xds.sync(bookinfo(), true);
    FakeIstiod istiod = xds.connect(Profile.ISTIO_1_24);
    istiod.nackNextServiceEntry();
    String type = Profile.ISTIO_1_24.serviceEntry();
    await().atMost(WAIT).until(() -> xds.meters.get("registry.bridge.xds.nacks")
        .tag("type", "ServiceEntry").functionCounter().count() == 1);
    int count = istiod.responses().size();
    assertNoMoreResponses(istiod, count);
    assertThat(istiod.responses(type)).hasSize(1);
    assertThat(xds.sink().notReady()).hasValueSatisfying(reason -> assertThat(reason)
        .startsWith("1 of 1 xDS streams have not acknowledged version"));

    xds.sync(bookinfo().subList(0, 4), true);
    await().atMost(WAIT).until(() -> istiod.responses(type).size() == 2);
    await().atMost(WAIT).until(() -> xds.sink().notReady().isEmpty());
    assertThat(istiod.serviceEntries()).hasSize(4);
  }

  @Test
  void anInvalidServiceIsHeldBackAndReportedWhileTheOthersAreServed() throws Exception {
    List<ServiceInstance> desired = new ArrayList<>(bookinfo());
    desired.add(instance("bad-1", "bad service!", "172.18.0.9"));
    xds.sync(desired, true);
    FakeIstiod istiod = xds.connect(Profile.ISTIO_1_24);
    awaitSynced(istiod);

    assertThat(istiod.serviceEntries().keySet()).isEqualTo(BOOKINFO);
    assertThat(xds.sink().status().reports()).extracting(MeshReport::kind)
        .contains(MeshReport.Kind.INVALID_SERVICE);
  }

  @Test
  void metricsCountStreamsPushesAcksBytesAndResources() throws Exception {
    xds.sync(bookinfo(), true);
    FakeIstiod istiod = xds.connect(Profile.ISTIO_1_24);
    awaitSynced(istiod);
    int others = Profile.ISTIO_1_24.types.size() - 1;
    await().atMost(WAIT).until(() -> xds.meters.get("registry.bridge.xds.acks")
        .tag("type", "other").functionCounter().count() == others);

    var meters = xds.meters;
    assertThat(meters.get("registry.bridge.xds.pushes").tag("type", "ServiceEntry")
        .functionCounter().count()).isEqualTo(1);
    assertThat(meters.get("registry.bridge.xds.pushes").tag("type", "other")
        .functionCounter().count()).isEqualTo(others);
    assertThat(meters.get("registry.bridge.xds.acks").tag("type", "ServiceEntry")
        .functionCounter().count()).isEqualTo(1);
    assertThat(meters.get("registry.bridge.xds.push.bytes").tag("type", "ServiceEntry")
        .functionCounter().count())
        .isEqualTo(istiod.responses(Profile.ISTIO_1_24.serviceEntry()).get(0)
            .getSerializedSize());
    assertThat(meters.get("registry.bridge.xds.resources").tag("type", "ServiceEntry").gauge()
        .value()).isEqualTo(4);
    assertThat(meters.get("registry.bridge.xds.streams.behind").gauge().value()).isZero();
  }
}
