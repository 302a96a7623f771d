package io.registrybridge.sink.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.registrybridge.core.ControlPlaneUnavailableException;
import io.registrybridge.core.DesiredIndex;
import io.registrybridge.core.DesiredState;
import io.registrybridge.core.LogCapture;
import io.registrybridge.core.Protocol;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.Sink;
import io.registrybridge.core.SinkReconciler;
import io.registrybridge.core.SourceListener;
import io.registrybridge.core.SyncResult;
import io.registrybridge.core.Transport;
import io.registrybridge.retry.RetryPolicy;
import io.registrybridge.spi.DaemonSettings;
import io.registrybridge.spi.SinkHost;
import io.registrybridge.spi.SinkProvider;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The ZooKeeper sink against a real ZooKeeper 3.8 server (Debian's), wired as the daemon wires
 * it: the provider found through {@link ServiceLoader}, its plan, prepare and create, driven by a
 * {@link SinkReconciler} over a {@link DesiredIndex}.
 */
class ZooKeeperSinkIT {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static ZooKeeperServer server;

  private String base;
  private CuratorFramework reader;
  private final List<AutoCloseable> cleanup = new ArrayList<>();

  @BeforeAll
  static void startServer() throws Exception {
    server = ZooKeeperServer.start();
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  @BeforeEach
  void setUp() {
    base = "/it-" + UUID.randomUUID().toString().substring(0, 8) + "/services";
    reader = CuratorFrameworkFactory.newClient(server.connectString(), 30_000, 10_000,
        new ExponentialBackoffRetry(100, 10));
    reader.start();
  }

  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable c : cleanup.reversed()) {
      c.close();
    }
    reader.close();
  }

  // --- the layout ---

  @Test
  void writesRegistratorsNodesAndJsonByteForByte() throws Exception {
    Running bridge = run("");
    bridge.source.replaceAll(Map.of("docker:web-1", List.of(web("10.0.0.5", 8080, 80)),
        "docker:db-1", List.of(db())));

    await().atMost(WAIT).until(() -> tree().size() == 4);
    assertThat(tree()).containsExactlyInAnyOrderEntriesOf(Map.of(
        base + "/web", "",
        base + "/web/10.0.0.5:8080", "{\"Name\":\"web\",\"IP\":\"10.0.0.5\",\"PublicPort\":8080,"
            + "\"PrivatePort\":80,\"ContainerID\":\"web-1\",\"Tags\":[\"blue\",\"a\\u003cb\"],"
            + "\"Attrs\":{\"owner\":\"team \\u0026 co\",\"protocol\":\"http\",\"region\":\"eu\"}}",
        base + "/db", "",
        base + "/db/10.0.0.6:5432", "{\"Name\":\"db\",\"IP\":\"10.0.0.6\",\"PublicPort\":5432,"
            + "\"PrivatePort\":5432,\"ContainerID\":\"db-1\",\"Tags\":[],\"Attrs\":{}}"));
    Stat instance = stat(base + "/web/10.0.0.5:8080");
    assertThat(instance.getEphemeralOwner()).isNotZero();
    assertThat(stat(base + "/db/10.0.0.6:5432").getEphemeralOwner())
        .isEqualTo(instance.getEphemeralOwner());
    assertThat(stat(base + "/web").getEphemeralOwner()).isZero();
    assertThat(stat(base).getEphemeralOwner()).isZero();
  }

  @Test
  void aChangedInstanceIsRewrittenAndARemovedOneLeavesNothingBehind() throws Exception {
    Running bridge = run("");
    ServiceInstance second = ServiceInstance.builder("zookeeper:web-2:80", "web")
        .address("10.0.0.7").port(8081).targetPort(80).origin("docker:web-2").build();
    bridge.source.replaceAll(Map.of("docker:web-1", List.of(web("10.0.0.5", 8080, 80)),
        "docker:web-2", List.of(second)));
    await().atMost(WAIT).until(() -> tree().size() == 3);

    bridge.source.update("docker:web-1", List.of(web("10.0.0.5", 8080, 80).toBuilder()
        .tags(List.of("green")).build()));
    await().atMost(WAIT).until(() -> tree().get(base + "/web/10.0.0.5:8080"),
        body -> body.contains("\"Tags\":[\"green\"]"));

    // One instance of two goes: the service node stays for the other.
    bridge.source.update("docker:web-1", List.of());
    await().atMost(WAIT).until(() -> tree().keySet(),
        paths -> paths.equals(Set.of(base + "/web", base + "/web/10.0.0.7:8081")));

    // The last one goes: so does the empty service node; the base path stays.
    bridge.source.update("docker:web-2", List.of());
    await().atMost(WAIT).until(() -> tree().isEmpty());
    assertThat(reader.checkExists().forPath(base)).isNotNull();
  }

  @Test
  void writesNothingAtSteadyStateNorInAFullSync() throws Exception {
    Running bridge = run("");
    bridge.source.replaceAll(Map.of("docker:web-1", List.of(web("10.0.0.5", 8080, 80)),
        "docker:db-1", List.of(db())));
    await().atMost(WAIT).until(() -> tree().size() == 4);
    int syncs = bridge.syncs.get();
    long zxid = server.lastZxid();

    bridge.reconciler.requestFullSync("test");
    bridge.source.update("docker:db-1", List.of(db())); // the same instance again
    await().atMost(WAIT).until(() -> bridge.syncs.get() >= syncs + 1);

    assertThat(server.lastZxid()).as("ZooKeeper's last transaction").isEqualTo(zxid);
    assertThat(bridge.reconciler.status().writes()).isEqualTo(2); // the two instance nodes
  }

  @Test
  void deletesNothingWhileTheStateIsIncomplete() throws Exception {
    Running first = run("");
    first.source.replaceAll(Map.of("docker:web-1", List.of(web("10.0.0.5", 8080, 80))));
    await().atMost(WAIT).until(() -> tree().size() == 2);

    // The sink's own session holds the node; a sync of an incomplete empty state keeps it.
    SyncResult result = first.sink.sync(DesiredState.EMPTY_INCOMPLETE);
    assertThat(result).isEqualTo(SyncResult.NOTHING);
    assertThat(tree()).containsOnlyKeys(base + "/web", base + "/web/10.0.0.5:8080");
  }

  // --- ownership ---

  @Test
  void aNodeOfAnotherSessionIsLeftAloneAndReplacedWhenItGoes() throws Exception {
    CuratorFramework other = CuratorFrameworkFactory.newClient(server.connectString(),
        new ExponentialBackoffRetry(100, 3));
    other.start();
    String path = base + "/web/10.0.0.5:8080";
    other.create().creatingParentsIfNeeded().withMode(CreateMode.EPHEMERAL)
        .forPath(path, "registrator's".getBytes(StandardCharsets.UTF_8));
    long otherSession = stat(path).getEphemeralOwner();

    Running bridge = run("");
    try (LogCapture logs = new LogCapture(ZooKeeperSink.class)) {
      bridge.source.replaceAll(Map.of("docker:web-1", List.of(web("10.0.0.5", 8080, 80)),
          "docker:db-1", List.of(db())));
      await().atMost(WAIT).until(() -> tree().containsKey(base + "/db/10.0.0.6:5432"));
      assertThat(tree()).containsEntry(path, "registrator's");
      assertThat(logs.lines()).anySatisfy(line -> assertThat(line)
          .contains(path, "zookeeper:web-1:80", "held by session 0x"
              + Long.toHexString(otherSession)));
    }

    // A Registrator that stops closes its session: the bridge's node follows at once (the
    // verify interval is five minutes).
    other.close();
    await().atMost(WAIT).until(() -> tree().get(path), body -> body != null
        && body.startsWith("{\"Name\":\"web\""));
    assertThat(stat(path).getEphemeralOwner()).isNotEqualTo(otherSession);
  }

  @Test
  void aServiceZooKeeperCannotHoldIsLoggedAndSkipped() throws Exception {
    Running bridge = run("");
    ServiceInstance slash = ServiceInstance.builder("zookeeper:bad-1:80", "a/b")
        .address("10.0.0.9").port(80).origin("docker:bad-1").build();
    try (LogCapture logs = new LogCapture(ZooKeeperSink.class)) {
      bridge.source.replaceAll(Map.of("docker:bad-1", List.of(slash),
          "docker:db-1", List.of(db())));
      await().atMost(WAIT).until(() -> tree().size() == 2);
      assertThat(tree()).containsOnlyKeys(base + "/db", base + "/db/10.0.0.6:5432");
      assertThat(logs.lines()).anySatisfy(line -> assertThat(line)
          .contains("zookeeper:bad-1:80", "docker:bad-1", "'a/b'", "contains '/'"));
    }
    assertThat(bridge.reconciler.status().quarantined()).isZero();
  }

  @Test
  void twoInstancesOnOneNodeGiveItToTheLowestId() throws Exception {
    Running bridge = run("");
    ServiceInstance tcp = web("10.0.0.5", 8080, 80);
    ServiceInstance udpWithId = ServiceInstance.builder("zookeeper:web-1:80:udp", "web")
        .address("10.0.0.5").port(8080).targetPort(80).transport(Transport.UDP)
        .tags(List.of("udp")).origin("docker:web-1").build();
    bridge.source.replaceAll(Map.of("docker:web-1", List.of(tcp, udpWithId)));
    await().atMost(WAIT).until(() -> tree().size() == 2);
    assertThat(tree().get(base + "/web/10.0.0.5:8080")).contains("\"Tags\":[\"blue\"");

    // The holder goes: the other instance takes the node.
    bridge.source.update("docker:web-1", List.of(udpWithId));
    await().atMost(WAIT).until(() -> tree().get(base + "/web/10.0.0.5:8080"),
        body -> body != null && body.contains("\"Tags\":[\"udp\"]"));
  }

  // --- failures ---

  @Test
  void anUnreachableServerIsAnOutage() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    Sink sink = create("zookeeper://127.0.0.1:" + closedPort + base + "?connect-timeout=500ms");
    cleanup.add(sink);
    long started = System.nanoTime();
    assertThatThrownBy(() -> sink.sync(DesiredState.of(
        Map.of("zookeeper:db-1:5432", db()), true, 1)))
        .isInstanceOf(ControlPlaneUnavailableException.class)
        .hasMessageContaining("127.0.0.1:" + closedPort);
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
  }

  @Test
  void anExpiredSessionHasEveryNodeCreatedAgainAndNothingLeftBehind() throws Exception {
    Running bridge = run("?session-timeout=2s&connect-timeout=1s");
    bridge.source.replaceAll(Map.of("docker:web-1", List.of(web("10.0.0.5", 8080, 80)),
        "docker:db-1", List.of(db())));
    await().atMost(WAIT).until(() -> tree().size() == 4);
    Map<String, String> before = tree();
    long oldSession = stat(base + "/db/10.0.0.6:5432").getEphemeralOwner();

    // Frozen for twice the session timeout: the client gives the session up, and the server
    // expires it as soon as it runs again, deleting its ephemeral nodes.
    server.pause();
    try {
      await().pollDelay(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(5)).until(() -> true);
    } finally {
      server.resume();
    }

    await().atMost(WAIT).until(() -> {
      Stat web = reader.checkExists().forPath(base + "/web/10.0.0.5:8080");
      Stat db = reader.checkExists().forPath(base + "/db/10.0.0.6:5432");
      return web != null && db != null && web.getEphemeralOwner() != oldSession
          && db.getEphemeralOwner() == web.getEphemeralOwner();
    });
    assertThat(tree()).isEqualTo(before);
    assertThat(reader.getChildren().forPath(base)).containsExactlyInAnyOrder("web", "db");
  }

  @Test
  void aServerRestartedWhileThingsChangedConverges() throws Exception {
    Running bridge = run("?session-timeout=2s&connect-timeout=1s");
    bridge.source.replaceAll(Map.of("docker:web-1", List.of(web("10.0.0.5", 8080, 80)),
        "docker:db-1", List.of(db())));
    await().atMost(WAIT).until(() -> tree().size() == 4);

    server.stop();
    try {
      bridge.source.update("docker:db-1", List.of());
      bridge.source.update("docker:web-1", List.of(web("10.0.0.5", 8080, 80).toBuilder()
          .tags(List.of("green")).build()));
      bridge.source.update("docker:cache-1", List.of(ServiceInstance.builder(
          "zookeeper:cache-1:6379", "cache").address("10.0.0.8").port(6379)
          .origin("docker:cache-1").build()));
      await().atMost(WAIT).until(() -> bridge.failures.get() > 0);
    } finally {
      server.restart();
    }

    await().atMost(WAIT).until(() -> tree().keySet(), paths -> paths.equals(Set.of(
        base + "/web", base + "/web/10.0.0.5:8080", base + "/cache",
        base + "/cache/10.0.0.8:6379")));
    await().atMost(WAIT).until(() -> tree().get(base + "/web/10.0.0.5:8080"),
        body -> body.contains("\"Tags\":[\"green\"]"));
    assertThat(stat(base + "/cache/10.0.0.8:6379").getEphemeralOwner()).isNotZero();
  }

  // --- wiring ---

  private record Running(Sink sink, SinkReconciler reconciler, SourceListener source,
      AtomicInteger syncs, AtomicInteger failures) {}

  /** The provider from ServiceLoader, its plan and prepared sink, driven by a reconciler. */
  private Running run(String query) {
    Sink sink = create("zookeeper://" + server.connectString() + base + query);
    DesiredIndex index = new DesiredIndex(Set.of("docker"));
    ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
    AtomicInteger syncs = new AtomicInteger();
    AtomicInteger failures = new AtomicInteger();
    SinkReconciler reconciler = new SinkReconciler(sink, index,
        RetryPolicy.forever(Duration.ofMillis(200), Duration.ofSeconds(1)), executor,
        Clock.systemUTC(), new SinkReconciler.Listener() {
          @Override
          public void synced(String name, SyncResult result) {
            syncs.incrementAndGet();
          }

          @Override
          public void failed(String name, Exception error, int consecutive) {
            failures.incrementAndGet();
          }
        });
    index.addListener(reconciler);
    reconciler.start();
    cleanup.add(() -> {
      reconciler.close();
      executor.shutdownNow();
      sink.close();
    });
    return new Running(sink, reconciler, index.listenerFor("docker"), syncs, failures);
  }

  static Sink create(String uri) {
    SinkProvider provider = ServiceLoader.load(SinkProvider.class).stream()
        .map(ServiceLoader.Provider::get)
        .filter(p -> p.schemes().contains("zookeeper")).findFirst().orElseThrow();
    DaemonSettings settings = new DaemonSettings(Map.of(), List.of(), Optional.empty(),
        Optional.empty(), false, Optional.empty(),
        RetryPolicy.forever(Duration.ofMillis(200), Duration.ofSeconds(1)), Optional.empty());
    SinkHost host = new SinkHost("zookeeper", "zookeeper", settings, Clock.systemUTC(),
        Executors::newSingleThreadScheduledExecutor, new SimpleMeterRegistry());
    return provider.plan(uri, settings).prepare(host).create().sink();
  }

  static ServiceInstance web(String address, int port, int targetPort) {
    return ServiceInstance.builder("zookeeper:web-1:" + targetPort, "web").address(address)
        .port(port).targetPort(targetPort).protocol(Protocol.HTTP)
        .tags(List.of("blue", "a<b")).meta(Map.of("region", "eu", "owner", "team & co"))
        .origin("docker:web-1").build();
  }

  static ServiceInstance db() {
    return ServiceInstance.builder("zookeeper:db-1:5432", "db").address("10.0.0.6").port(5432)
        .origin("docker:db-1").build();
  }

  /**
   * Every node under the base path (not the base itself), with its data as text. The sink and
   * session expiry change the tree while it is read, so a node can vanish between the listing and
   * the read: the whole tree is then read again (a few times at most), until one read sees no
   * node vanish.
   */
  private Map<String, String> tree() throws Exception {
    for (int attempt = 1; ; attempt++) {
      try {
        return treeOnce();
      } catch (KeeperException.NoNodeException vanishedWhileRead) {
        if (attempt == 10) {
          throw vanishedWhileRead;
        }
      }
    }
  }

  private Map<String, String> treeOnce() throws Exception {
    Map<String, String> nodes = new TreeMap<>();
    if (reader.checkExists().forPath(base) == null) {
      return nodes;
    }
    for (String name : reader.getChildren().forPath(base)) {
      String serviceNode = base + "/" + name;
      nodes.put(serviceNode, data(serviceNode));
      for (String child : reader.getChildren().forPath(serviceNode)) {
        nodes.put(serviceNode + "/" + child, data(serviceNode + "/" + child));
      }
    }
    return nodes;
  }

  private String data(String path) throws Exception {
    return new String(reader.getData().forPath(path), StandardCharsets.UTF_8);
  }

  private Stat stat(String path) throws Exception {
    return reader.checkExists().forPath(path);
  }
}
