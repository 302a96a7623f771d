package io.registrybridge.sink.consul;

import io.registrybridge.core.LogCapture;
import static io.registrybridge.sink.consul.ConsulSinkTest.complete;
import static io.registrybridge.sink.consul.ConsulSinkTest.state;
import static org.assertj.core.api.Assertions.assertThat;

import io.registrybridge.core.Placement;
import io.registrybridge.core.ServiceCheck;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.SyncResult;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.kiwiproject.consul.model.catalog.CatalogRegistration;
import org.kiwiproject.consul.model.catalog.ImmutableServiceWeights;

/** Instances from elsewhere: the catalog node, with the agent path's guarantees. */
class ConsulSinkCatalogTest {
  private static final String NODE = "k8s-sync";

  private final FakeConsulAgent agent = new FakeConsulAgent();
  private final LogCapture log = new LogCapture(ConsulSink.class);
  private final ConsulSink sink = sink();

  private ConsulSink sink() {
    return new ConsulSink(agent, ConsulSinkTest.config(), Clock.systemUTC());
  }

  @AfterEach
  void close() {
    sink.close();
    log.close();
  }

  static ServiceInstance reviews() {
    return ServiceInstance.builder("k8s:default:reviews-abc:9080", "reviews")
        .address("10.1.0.7").port(9080).protocol("http").tags(List.of("k8s", "version|v2"))
        .meta(Map.of("external-source", "kubernetes", "version", "v2"))
        .placement(Placement.ELSEWHERE).build();
  }

  static ServiceInstance ratings() {
    return ServiceInstance.builder("k8s:default:ratings-xyz:9080", "ratings")
        .address("10.1.0.8").port(9080).placement(Placement.ELSEWHERE).build();
  }

  @Test
  void anInstanceOfAnUnknownSourceCreatesTheNodeWithoutMeta() {
    sink.sync(complete(ratings()));

    assertThat(agent.catalogRegistrations.get(ratings().id()).nodeMeta()).isEmpty();
  }

  @Test
  void registersOnTheSyntheticNodeWithoutChecksAndSaysSo() {
    ServiceInstance checked = reviews().toBuilder()
        .checks(List.of(ServiceCheck.of(ServiceCheck.Type.TCP, "10.1.0.7:9080")))
        .source("kubernetes").build();

    assertThat(sink.sync(complete(checked))).isEqualTo(new SyncResult(1, 0, 0));

    assertThat(agent.takeCalls()).containsExactly("services", "catalog-services",
        "catalog-service " + checked.id(), "catalog-register " + checked.id());
    assertThat(agent.services).isEmpty();
    CatalogRegistration written = agent.catalogRegistrations.get(checked.id());
    assertThat(written.node()).isEqualTo(NODE);
    assertThat(written.address()).isEqualTo("127.0.0.1");
    assertThat(written.nodeMeta()).isEqualTo(Map.of("external-source", "kubernetes"));
    assertThat(written.skipNodeUpdate()).contains(true);
    assertThat(written.check()).isEmpty();
    String hash = RegistrationMapper.forCatalog("host-a").map(checked).hash();
    assertThat(written.service().orElseThrow().getMeta()).isEqualTo(Map.of(
        "external-source", "kubernetes", "version", "v2", "protocol", "http",
        "registry-bridge-owner", "host-a", "registry-bridge-source", "kubernetes",
        "registry-bridge-hash", hash));
    assertThat(log.take()).containsExactly(
        "INFO consul: registered " + checked.id() + " (reviews 10.1.0.7:9080) on catalog node "
            + NODE,
        "WARN consul: " + checked.id() + ": 1 health check(s) not registered: the instance is"
            + " registered on a catalog node, where no Consul agent runs checks; its source's"
            + " readiness decides whether it is registered");

    assertThat(sink.sync(complete(checked))).isEqualTo(SyncResult.NOTHING);
    assertThat(agent.takeCalls()).containsExactly("services", "catalog-services");
    assertThat(log.take()).isEmpty();
  }

  @Test
  void aWeightGoesIntoTheCatalogServiceAndAChangeOfWeightIsOneWrite() {
    ServiceInstance weighted = reviews().toBuilder().weight(22).build();
    sink.sync(complete(weighted, ratings()));
    agent.takeCalls();

    assertThat(agent.catalogRegistrations.get(weighted.id()).service().orElseThrow().getWeights())
        .contains(ImmutableServiceWeights.builder().passing(22).warning(1).build());
    assertThat(agent.catalogRegistrations.get(ratings().id()).service().orElseThrow()
        .getWeights()).isEmpty();

    ServiceInstance heavier = weighted.toBuilder().weight(30).build();
    assertThat(sink.apply(Set.of(heavier.id()), complete(heavier, ratings())))
        .isEqualTo(new SyncResult(0, 1, 0));
    assertThat(agent.takeCalls()).containsExactly("catalog-register " + heavier.id());
    assertThat(agent.catalogRegistrations.get(heavier.id()).service().orElseThrow().getWeights()
        .orElseThrow().getPassing()).isEqualTo(30);
  }

  @Test
  void aChangeCostsOneWriteAndNoRead() {
    sink.sync(complete(reviews(), ratings()));
    agent.takeCalls();
    ServiceInstance moved = reviews().toBuilder().port(9443).build();

    assertThat(sink.apply(Set.of(moved.id()), complete(moved, ratings())))
        .isEqualTo(new SyncResult(0, 1, 0));
    assertThat(agent.takeCalls()).containsExactly("catalog-register " + moved.id());

    assertThat(sink.apply(Set.of(moved.id()), complete(moved, ratings())))
        .isEqualTo(SyncResult.NOTHING);
    assertThat(agent.takeCalls()).isEmpty();
  }

  @Test
  void removesOnlyOnceTheDesiredStateIsComplete() {
    sink.sync(complete(reviews(), ratings()));
    agent.takeCalls();

    assertThat(sink.apply(Set.of(ratings().id()), state(false, reviews())))
        .isEqualTo(SyncResult.NOTHING);
    assertThat(sink.sync(state(false, reviews()))).isEqualTo(SyncResult.NOTHING);
    assertThat(agent.nodes.get(NODE)).containsOnlyKeys(reviews().id(), ratings().id());
    agent.takeCalls();

    assertThat(sink.apply(Set.of(ratings().id()), complete(reviews())))
        .isEqualTo(new SyncResult(0, 0, 1));
    assertThat(agent.takeCalls()).containsExactly("catalog-deregister " + ratings().id());
    assertThat(agent.nodes.get(NODE)).containsOnlyKeys(reviews().id());
  }

  @Test
  void neverTouchesWhatOthersKeepOnTheNode() {
    agent.nodes.put(NODE, new java.util.TreeMap<>(Map.of(
        reviews().id(), service(reviews().id(), Map.of()),
        "consul-k8s-1", service("consul-k8s-1", Map.of("external-source", "kubernetes")),
        "other-bridge", service("other-bridge", Map.of("registry-bridge-owner", "host-b")))));
    Map<String, AgentService> before = Map.copyOf(agent.nodes.get(NODE));

    assertThat(sink.sync(complete(reviews(), ratings()))).isEqualTo(new SyncResult(1, 0, 0));
    assertThat(sink.sync(complete())).isEqualTo(new SyncResult(0, 0, 1));

    assertThat(agent.nodes.get(NODE)).isEqualTo(before);
    assertThat(log.lines()).contains("WARN consul: not registering " + reviews().id()
        + ": a service with this ID that registry-bridge does not own is already on catalog"
        + " node " + NODE);
  }

  @Test
  void aRestartedSinkAdoptsWhatIsThereWithoutAWrite() {
    sink.sync(complete(reviews(), ratings()));
    agent.takeCalls();

    try (ConsulSink restarted = sink()) {
      assertThat(restarted.apply(Set.of(reviews().id()), complete(reviews(), ratings())))
          .isEqualTo(SyncResult.NOTHING);
      assertThat(agent.takeCalls()).containsExactly("catalog-service " + reviews().id());
      assertThat(restarted.sync(complete(reviews(), ratings()))).isEqualTo(SyncResult.NOTHING);
      assertThat(agent.takeCalls()).containsExactly("services", "catalog-services");
    }
  }

  @Test
  void anInstanceMovesBetweenTheAgentAndTheCatalog() {
    ServiceInstance here = reviews().toBuilder().placement(Placement.THIS_HOST).build();
    sink.sync(complete(here, ConsulSinkTest.db()));
    agent.takeCalls();

    assertThat(sink.apply(Set.of(here.id()), complete(reviews(), ConsulSinkTest.db())))
        .isEqualTo(new SyncResult(1, 0, 1));
    assertThat(agent.takeCalls()).containsExactly("deregister " + here.id(),
        "catalog-service " + here.id(), "catalog-register " + here.id());
    assertThat(agent.services).containsOnlyKeys(ConsulSinkTest.db().id());

    assertThat(sink.apply(Set.of(here.id()), complete(here, ConsulSinkTest.db())))
        .isEqualTo(new SyncResult(1, 0, 1));
    assertThat(agent.takeCalls()).containsExactly("service " + here.id(),
        "register " + here.id(), "catalog-deregister " + here.id());
    assertThat(agent.nodes.get(NODE)).isEmpty();
  }

  @Test
  void aBridgeWithNothingFromElsewhereReadsOnlyTheDefaultNodeOnceAtItsFirstFullSync() {
    sink.sync(complete(ConsulSinkTest.web(), ConsulSinkTest.db()));
    assertThat(agent.takeCalls()).filteredOn(call -> call.startsWith("catalog"))
        .containsExactly("catalog-services");
    assertThat(agent.nodeReads).containsExactly(NODE);

    sink.apply(Set.of(ConsulSinkTest.web().id()), complete(ConsulSinkTest.db()));
    sink.sync(complete(ConsulSinkTest.db()));

    assertThat(agent.takeCalls()).noneMatch(call -> call.startsWith("catalog"));
    assertThat(agent.nodeReads).containsExactly(NODE);
  }

  /** What a bridge of the old layout left on k8s-sync goes, though nothing names the node now. */
  @Test
  void aRestartedSinkRemovesWhatItLeftOnTheDefaultNodeWhenNothingFromElsewhereIsDesired() {
    sink.sync(complete(reviews(), ratings(), ConsulSinkTest.db()));
    agent.takeCalls();

    try (ConsulSink restarted = sink()) {
      assertThat(restarted.sync(complete(ConsulSinkTest.db())))
          .isEqualTo(new SyncResult(0, 0, 2));
    }

    assertThat(agent.nodes.get(NODE)).isEmpty();
    assertThat(agent.services).containsOnlyKeys(ConsulSinkTest.db().id());
  }

  @Test
  void ttlChecksArePassedOnlyForAgentServices() {
    try (ConsulSink withTtl = new ConsulSink(agent, ConsulSinkTest.config().toBuilder()
        .ttl(Duration.ofSeconds(30), Duration.ofSeconds(10)).build(), Clock.systemUTC())) {
      withTtl.sync(complete(ConsulSinkTest.db(), reviews()));

      assertThat(withTtl.passTtlChecks()).isEqualTo(1);
      assertThat(agent.catalogRegistrations.get(reviews().id()).check()).isEmpty();
    }
  }

  @Test
  void eachInstanceGoesOnTheNodeItsSourceNamesCreatedWithThatSourcesName() {
    ServiceInstance east = reviews().toBuilder().node("k8s-east").source("kubernetes").build();
    ServiceInstance west = ratings().toBuilder().node("k8s-west").source("static").build();

    assertThat(sink.sync(complete(east, west))).isEqualTo(new SyncResult(2, 0, 0));

    assertThat(agent.nodes).containsOnlyKeys("k8s-east", "k8s-west");
    assertThat(agent.nodes.get("k8s-east")).containsOnlyKeys(east.id());
    assertThat(agent.nodes.get("k8s-west")).containsOnlyKeys(west.id());
    assertThat(agent.catalogRegistrations.get(east.id())).satisfies(r -> {
      assertThat(r.node()).isEqualTo("k8s-east");
      assertThat(r.nodeMeta()).isEqualTo(Map.of("external-source", "kubernetes"));
    });
    assertThat(agent.catalogRegistrations.get(west.id())).satisfies(r -> {
      assertThat(r.node()).isEqualTo("k8s-west");
      assertThat(r.nodeMeta()).isEqualTo(Map.of("external-source", "static"));
    });
    assertThat(log.take()).containsExactly(
        "INFO consul: registered " + east.id() + " (reviews 10.1.0.7:9080) on catalog node"
            + " k8s-east",
        "INFO consul: registered " + west.id() + " (ratings 10.1.0.8:9080) on catalog node"
            + " k8s-west");
    // The default node was read once (nothing there), each named node too.
    assertThat(agent.nodeReads).containsExactlyInAnyOrder("k8s-east", NODE, "k8s-west");
    agent.takeCalls();

    assertThat(sink.sync(complete(east, west))).isEqualTo(SyncResult.NOTHING);
    assertThat(sink.apply(Set.of(east.id(), west.id()), complete(east, west)))
        .isEqualTo(SyncResult.NOTHING);
    assertThat(agent.takeCalls()).containsExactly("services", "catalog-services",
        "catalog-services");
  }

  @Test
  void anInstanceThatChangesNodeLeavesTheOldOneWithOneWriteEach() {
    ServiceInstance east = reviews().toBuilder().node("k8s-east").build();
    sink.sync(complete(east, ratings()));
    agent.takeCalls();

    ServiceInstance west = east.toBuilder().node("k8s-west").build();
    assertThat(sink.apply(Set.of(east.id()), complete(west, ratings())))
        .isEqualTo(new SyncResult(1, 0, 1));
    assertThat(agent.takeCalls()).containsExactly("catalog-deregister " + east.id(),
        "catalog-service " + west.id(), "catalog-register " + west.id());
    assertThat(agent.nodes.get("k8s-east")).isEmpty();
    assertThat(agent.nodes.get("k8s-west")).containsOnlyKeys(west.id());
    assertThat(agent.nodes.get(NODE)).containsOnlyKeys(ratings().id());
  }

  @Test
  void aNodeNothingDesiredNamesAnyMoreStillLosesWhatWeRegisteredThere() {
    ServiceInstance east = reviews().toBuilder().node("k8s-east").build();
    ServiceInstance eastToo = ratings().toBuilder().node("k8s-east").build();
    sink.sync(complete(east, eastToo));

    // Not yet: the desired state is incomplete.
    assertThat(sink.sync(state(false))).isEqualTo(SyncResult.NOTHING);
    assertThat(sink.apply(Set.of(east.id()), complete(eastToo)))
        .isEqualTo(new SyncResult(0, 0, 1));
    agent.takeCalls();
    assertThat(sink.sync(complete())).isEqualTo(new SyncResult(0, 0, 1));

    assertThat(agent.takeCalls()).containsExactly("services", "catalog-services",
        "catalog-deregister " + eastToo.id());
    assertThat(agent.nodes.get("k8s-east")).isEmpty();
    // Holding nothing there any more, the node is not read again.
    assertThat(sink.sync(complete())).isEqualTo(SyncResult.NOTHING);
    assertThat(agent.takeCalls()).containsExactly("services");
  }

  @Test
  void aRejectedInstanceOnOneNodeDoesNotStopTheOtherNodes() {
    ServiceInstance east = reviews().toBuilder().node("k8s-east").build();
    ServiceInstance west = ratings().toBuilder().node("k8s-west").build();
    agent.registerFailures.put(east.id(), FakeConsulAgent.failed(400, "bad"));

    assertThat(sink.sync(complete(east, west))).isEqualTo(new SyncResult(1, 0, 0));

    assertThat(agent.nodes).doesNotContainKey("k8s-east");
    assertThat(agent.nodes.get("k8s-west")).containsOnlyKeys(west.id());
  }

  @Test
  void anInstanceWithoutAnAddressIsRegisteredWithAWarning() {
    ServiceInstance bare = ratings().toBuilder().address("").build();

    sink.sync(complete(bare));

    assertThat(log.take()).containsExactly(
        "INFO consul: registered " + bare.id() + " (ratings :9080) on catalog node " + NODE,
        "WARN consul: " + bare.id() + ": no address: Consul gives it the catalog node's"
            + " 127.0.0.1, which reaches nothing");
  }

  private static AgentService service(String id, Map<String, String> meta) {
    return new AgentService(id, "x", "10.9.9.9", 1, List.of(), meta);
  }
}
