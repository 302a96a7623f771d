package io.registrybridge.sink.mesh.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.registrybridge.core.DesiredState;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.Sink;
import io.registrybridge.retry.RetryPolicy;
import io.registrybridge.sink.mesh.xds.FakeIstiod.Profile;
import io.registrybridge.spi.DaemonSettings;
import io.registrybridge.spi.DebugView;
import io.registrybridge.spi.SinkHost;
import io.registrybridge.spi.SinkPlan;
import io.registrybridge.spi.SinkProvider;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code istio-xds} through the plugin seam alone: the port first, names, the debug page. */
class XdsSinkProviderTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final DaemonSettings SETTINGS = new DaemonSettings(Map.of(), List.of(),
      Optional.empty(), Optional.empty(), false, Optional.empty(),
      RetryPolicy.forever(Duration.ofSeconds(1), Duration.ofSeconds(10)), Optional.empty());

  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final List<AutoCloseable> closing = new ArrayList<>();
  private final XdsHarness clients = new XdsHarness(); // for its channels and fake istiods

  @AfterEach
  void close() throws Exception {
    clients.close();
    for (AutoCloseable c : closing) {
      c.close();
    }
  }

  private static SinkProvider provider() {
    return ServiceLoader.load(SinkProvider.class).stream().map(ServiceLoader.Provider::get)
        .filter(p -> p.schemes().contains("istio-xds")).findFirst().orElseThrow();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private SinkHost host(String name) {
    return new SinkHost(name, XdsHarness.OWNER, SETTINGS, Clock.systemUTC(),
        Executors::newSingleThreadScheduledExecutor, meters);
  }

  private Sink create(SinkPlan plan, String name) {
    Sink sink = plan.prepare(host(name)).create().sink();
    closing.add(sink);
    return sink;
  }

  private FakeIstiod connect(int port, Profile profile) {
    return clients.connect(clients.track(io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder
        .forAddress("127.0.0.1", port).usePlaintext().build()), profile);
  }

  private static DesiredState state(List<ServiceInstance> instances, boolean complete) {
    Map<String, ServiceInstance> byId = new LinkedHashMap<>();
    instances.forEach(i -> byId.put(i.id(), i));
    return DesiredState.of(byId, complete, 1);
  }

  private static List<String> answeredTypes(FakeIstiod client) {
    return client.responses().stream().map(DiscoveryResponse::getTypeUrl).toList();
  }

  @Test
  void aClientBeforeTheFirstListingGetsEveryOtherTypeAtOnceAndServiceEntryOnceComplete()
      throws Exception {
    int port = freePort();
    SinkPlan plan = provider().plan("istio-xds://127.0.0.1:" + port, SETTINGS);
    assertThat(plan.kind()).isEqualTo("mesh-xds");
    assertThat(plan.instance()).isEqualTo("127.0.0.1:" + port);
    plan.bindEarly(); // process start: no sink, no source yet

    FakeIstiod istiod = connect(port, Profile.ISTIO_1_24);
    List<String> others = new ArrayList<>(Profile.ISTIO_1_24.types);
    others.remove(Profile.ISTIO_1_24.serviceEntry());
    await().atMost(WAIT).until(() -> answeredTypes(istiod).containsAll(others));
    assertThat(istiod.synced()).isFalse();

    Sink sink = create(plan, "mesh-xds");
    sink.sync(state(XdsHarness.bookinfo().subList(0, 2), false)); // a listing in progress
    await().during(Duration.ofMillis(500)).atMost(WAIT)
        .until(() -> !answeredTypes(istiod).contains(Profile.ISTIO_1_24.serviceEntry()));

    sink.sync(state(XdsHarness.bookinfo(), true));
    await().atMost(WAIT).until(istiod::synced);
    assertThat(istiod.serviceEntries()).hasSize(4);
    assertThat(istiod.responses(Profile.ISTIO_1_24.serviceEntry())).hasSize(1);
    assertThat(istiod.closedWith()).isNull();
  }

  @Test
  void withoutBindEarlyThePortIsBoundByCreate() throws Exception {
    int port = freePort();
    SinkPlan plan = provider().plan("istio-xds://127.0.0.1:" + port, SETTINGS);
    var prepared = plan.prepare(host("mesh-xds"));
    FakeIstiod early = connect(port, Profile.ISTIO_1_24);
    await().atMost(WAIT).until(() -> early.closedWith() != null);

    Sink sink = prepared.create().sink();
    closing.add(sink);
    sink.sync(state(XdsHarness.bookinfo(), true));
    FakeIstiod istiod = connect(port, Profile.ISTIO_1_24);
    await().atMost(WAIT).until(istiod::synced);
  }

  @Test
  void twoXdsSinksHaveTheirOwnNamesAndMeters() throws Exception {
    int first = freePort();
    int second = freePort();
    Sink a = create(provider().plan("istio-xds://:" + first, SETTINGS), "mesh-xds:" + first);
    Sink b = create(provider().plan("istio-xds://:" + second, SETTINGS),
        "mesh-xds:" + second);
    assertThat(provider().plan("istio-xds://:" + first, SETTINGS).instance())
        .isEqualTo(Integer.toString(first));
    assertThat(a.name()).isEqualTo("mesh-xds:" + first);
    a.sync(state(XdsHarness.bookinfo(), true));
    b.sync(state(XdsHarness.bookinfo().subList(0, 1), true));
    FakeIstiod istiod = connect(first, Profile.ISTIO_1_24);
    await().atMost(WAIT).until(istiod::synced);

    assertThat(meters.get("registry.bridge.xds.resources").tag("sink", "mesh-xds:" + first)
        .gauge().value()).isEqualTo(4);
    assertThat(meters.get("registry.bridge.xds.resources").tag("sink", "mesh-xds:" + second)
        .gauge().value()).isEqualTo(1);
    assertThat(meters.get("registry.bridge.xds.streams").tag("sink", "mesh-xds:" + first)
        .gauge().value()).isEqualTo(1);
    assertThat(meters.get("registry.bridge.xds.streams").tag("sink", "mesh-xds:" + second)
        .gauge().value()).isEqualTo(0);
    assertThat(meters.find("registry.bridge.mesh.held.services").gauges()).hasSize(2);
  }

  @Test
  void theDebugPageShowsWhatIsServedAndEveryClientWithItsAcksAndNacks() throws Exception {
    int port = freePort();
    SinkPlan plan = provider().plan("istio-xds://127.0.0.1:" + port, SETTINGS);
    plan.bindEarly();
    Sink sink = create(plan, "mesh-xds");
    DebugView view = (DebugView) sink;
    assertThat(view.path()).isEqualTo("/debug/mesh");
    sink.sync(state(XdsHarness.bookinfo(), false));
    JsonNode waiting = new ObjectMapper().readTree(view.json(Map.of()));
    assertThat(waiting.get("serviceEntries")).isEmpty();
    assertThat(waiting.get("heldBack").get(0).get("reason").asText())
        .isEqualTo("incomplete state");
    assertThat(waiting.get("heldBack").get(0).get("message").asText())
        .startsWith("4 ServiceEntries are ready and not served");

    FakeIstiod istiod = connect(port, Profile.ISTIO_1_24);
    istiod.nackNextServiceEntry();
    sink.sync(state(XdsHarness.bookinfo(), true));
    // The NACKed version is not sent again; the next change is, and acknowledged.
    List<ServiceInstance> more = new ArrayList<>(XdsHarness.bookinfo());
    more.add(XdsHarness.instance("mongo-1", "mongo", "172.18.0.9"));
    await().atMost(WAIT).until(() -> istiod.responses(Profile.ISTIO_1_24.serviceEntry())
        .size() == 1);
    sink.sync(state(more, true));
    await().atMost(WAIT).until(() -> istiod.serviceEntries().size() == 5
        && sink.notReady().isEmpty());

    JsonNode page = new ObjectMapper().readTree(view.json(Map.of()));
    assertThat(page.get("transport").asText()).isEqualTo("mesh-xds");
    assertThat(page.get("format").asText()).isEqualTo("json");
    JsonNode reviews = page.get("serviceEntries").get("reviews.service.consul");
    assertThat(reviews.get("metadata").get("namespace").asText()).isEqualTo("istio-system");
    assertThat(reviews.get("spec").get("hosts").get(0).asText())
        .isEqualTo("reviews.service.consul");
    assertThat(reviews.get("spec").get("endpoints")).hasSize(2);
    assertThat(page.get("serviceEntries").size()).isEqualTo(5);
    String version = page.get("version").asText();

    JsonNode client = page.get("clients").get(0);
    assertThat(client.get("node").asText()).startsWith("sidecar~10.0.0.9~istiod-1");
    assertThat(client.get("subscriptions")).hasSize(Profile.ISTIO_1_24.types.size());
    JsonNode serviceEntry = null;
    for (JsonNode subscription : client.get("subscriptions")) {
      if (subscription.get("typeUrl").asText().equals(Profile.ISTIO_1_24.serviceEntry())) {
        serviceEntry = subscription;
      }
    }
    assertThat(serviceEntry).isNotNull();
    assertThat(serviceEntry.get("ackedVersion").asText()).isEqualTo(version);
    assertThat(serviceEntry.get("nacks").asInt()).isEqualTo(1);
    assertThat(serviceEntry.get("lastNack").asText()).endsWith(": rejected by the test");
  }
}
