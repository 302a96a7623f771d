package io.registrybridge.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.kiwiproject.consul.model.health.Service;
import org.slf4j.LoggerFactory;

/**
 * The bridge in this JVM against the real Docker engine and a real Consul agent: what a user
 * sees in Consul after starting, stopping and changing containers.
 */
class DockerToConsulIT {
  private static final Duration CONVERGE = Duration.ofSeconds(30);
  private static final Set<String> SINK_KEYS =
      Set.of("registry-bridge-owner", "registry-bridge-source", "registry-bridge-hash");

  private final String host = "it-" + UUID.randomUUID().toString().substring(0, 8);
  private final List<RunningBridge> bridges = new ArrayList<>();
  private Workloads workloads;
  private ConsulAgent consul;

  @BeforeEach
  void setUp() {
    workloads = new Workloads();
    consul = ConsulAgent.started();
  }

  @AfterEach
  void tearDown() {
    bridges.forEach(RunningBridge::close);
    workloads.close();
    consul.close();
  }

  private RunningBridge bridge(String... flags) {
    List<String> args = new ArrayList<>(List.of("-hostname", host, "-retry-interval", "200",
        "-retry-max-interval", "1000"));
    args.addAll(List.of(flags));
    args.add(consul.uri());
    RunningBridge bridge = RunningBridge.start(args.toArray(String[]::new));
    bridges.add(bridge);
    return bridge;
  }

  private Map<String, Service> awaitServices(String prefix, Set<String> ids) {
    await().atMost(CONVERGE).untilAsserted(
        () -> assertThat(consul.servicesNamed(prefix).keySet()).isEqualTo(ids));
    return consul.servicesNamed(prefix);
  }

  @Test
  void registersEveryPublishedPortWithItsOwnNameProtocolAndTags() {
    String name = workloads.prefix("multi");
    String id = workloads.start(new Workloads.Spec(name).publish(8080).publish(9090)
        .env("SERVICE_8080_NAME", name + "-web")
        .env("SERVICE_8080_PROTOCOL", "http")
        .env("SERVICE_9090_NAME", name + "-metrics")
        .env("SERVICE_TAGS", "blue,v\\,2")
        .env("SERVICE_VERSION", "v1"));
    bridge("-tags", "forced");

    Map<String, Service> services = awaitServices(name,
        Set.of(host + ":" + name + ":8080", host + ":" + name + ":9090"));

    Service web = services.get(host + ":" + name + ":8080");
    assertThat(web.getService()).isEqualTo(name + "-web");
    assertThat(web.getPort()).isEqualTo(workloads.hostPort(id, 8080));
    assertThat(web.getAddress()).isEmpty(); // published on 0.0.0.0: Consul uses the node address
    assertThat(web.getTags()).containsExactly("blue", "v,2", "forced");
    assertThat(web.getMeta()).containsEntry("protocol", "http").containsEntry("version", "v1")
        .containsEntry("registry-bridge-owner", host)
        .containsOnlyKeys(union(Set.of("protocol", "version"), SINK_KEYS));

    Service metrics = services.get(host + ":" + name + ":9090");
    assertThat(metrics.getService()).isEqualTo(name + "-metrics");
    assertThat(metrics.getPort()).isEqualTo(workloads.hostPort(id, 9090));
    assertThat(metrics.getMeta()).containsOnlyKeys(union(Set.of("version"), SINK_KEYS));
  }

  @Test
  void internalModeRegistersContainerAddressesAndExposedPorts() {
    String name = workloads.prefix("internal");
    String id = workloads.start(new Workloads.Spec(name).publish(80).expose(81)
        .env("SERVICE_NAME", name));
    bridge();
    Map<String, Service> published = awaitServices(name, Set.of(host + ":" + name + ":80"));
    assertThat(published.get(host + ":" + name + ":80").getPort())
        .isEqualTo(workloads.hostPort(id, 80));
    assertThat(published.get(host + ":" + name + ":80").getService()).isEqualTo(name);

    bridges.remove(0).close();
    bridge("-internal");
    String ip = workloads.ip(id, "bridge");
    // Switching modes replaces the published registration: same IDs, now internal addresses,
    // and the second exposed port joins ("-<port>" suffixes since there are two ports now).
    // The create of :81 and the update of :80 are two writes: wait for both.
    await().atMost(CONVERGE).untilAsserted(() -> {
      Map<String, Service> internal = consul.servicesNamed(name);
      assertThat(internal.keySet())
          .isEqualTo(Set.of(host + ":" + name + ":80", host + ":" + name + ":81"));
      assertThat(internal.get(host + ":" + name + ":80").getAddress()).isEqualTo(ip);
      assertThat(internal.get(host + ":" + name + ":80").getPort()).isEqualTo(80);
      assertThat(internal.get(host + ":" + name + ":80").getService()).isEqualTo(name + "-80");
      assertThat(internal.get(host + ":" + name + ":81").getAddress()).isEqualTo(ip);
      assertThat(internal.get(host + ":" + name + ":81").getPort()).isEqualTo(81);
    });
  }

  @Test
  void aContainerOnTwoNetworksGetsTheDocumentedAddress() {
    String front = workloads.createNetwork(workloads.prefix("front"));
    String back = workloads.createNetwork(workloads.prefix("back"));
    String name = workloads.prefix("twonets");
    String byRule = workloads.start(new Workloads.Spec(name + "-a").expose(80)
        .env("SERVICE_NAME", name + "-a").network(back).network(front));
    String byLabel = workloads.start(new Workloads.Spec(name + "-b").expose(80)
        .env("SERVICE_NAME", name + "-b").label("registry-bridge.network", front)
        .network(back).network(front));
    bridge("-internal");

    Map<String, Service> services = awaitServices(name,
        Set.of(host + ":" + name + "-a:80", host + ":" + name + "-b:80"));
    // No label, no -network: the network the container was started on (its network mode).
    assertThat(services.get(host + ":" + name + "-a:80").getAddress())
        .isEqualTo(workloads.ip(byRule, back));
    assertThat(services.get(host + ":" + name + "-b:80").getAddress())
        .isEqualTo(workloads.ip(byLabel, front));
  }

  @Test
  void labelsBeatEnvironmentAndPortSpecificBeatsGeneric() {
    String name = workloads.prefix("precedence");
    workloads.start(new Workloads.Spec(name).publish(80).publish(443)
        .env("SERVICE_NAME", name + "-env")
        .label("SERVICE_NAME", name + "-label")
        .env("SERVICE_443_NAME", name + "-tls")
        .env("SERVICE_TAGS", "from-env")
        .label("SERVICE_PROTOCOL", "http")
        .env("SERVICE_443_PROTOCOL", "https"));
    bridge();

    Map<String, Service> services = awaitServices(name,
        Set.of(host + ":" + name + ":80", host + ":" + name + ":443"));
    Service plain = services.get(host + ":" + name + ":80");
    assertThat(plain.getService()).isEqualTo(name + "-label-80");
    assertThat(plain.getTags()).containsExactly("from-env");
    assertThat(plain.getMeta()).containsEntry("protocol", "http");
    Service tls = services.get(host + ":" + name + ":443");
    assertThat(tls.getService()).isEqualTo(name + "-tls");
    assertThat(tls.getMeta()).containsEntry("protocol", "https");
  }

  @Test
  void aMalformedContainerIsReportedAndEveryOtherServiceIsRegistered() {
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.addAppender(logs);
    try {
      String name = workloads.prefix("malformed");
      workloads.start(new Workloads.Spec(name + "-check").publish(80)
          .env("SERVICE_NAME", name + "-check")
          .env("SERVICE_CHECK_HTTP", "/health")
          .env("SERVICE_CHECK_INTERVAL", "banana"));
      workloads.start(new Workloads.Spec(name + "-meta").publish(80)
          .env("SERVICE_NAME", name + "-meta")
          .env("SERVICE_BAD.KEY", "x")
          .env("SERVICE_GOOD", "y"));
      workloads.start(new Workloads.Spec(name + "-proto").publish(80)
          .env("SERVICE_NAME", name + "-proto")
          .label("SERVICE_PROTOCOL", "carrier-pigeon"));
      workloads.start(new Workloads.Spec(name + "-fine").publish(80)
          .env("SERVICE_NAME", name + "-fine"));
      bridge();

      Map<String, Service> services = awaitServices(name, Set.of(
          host + ":" + name + "-check:80", host + ":" + name + "-meta:80",
          host + ":" + name + "-proto:80", host + ":" + name + "-fine:80"));
      assertThat(consul.client().agentClient().getChecks().values())
          .noneMatch(check -> check.getServiceId().orElse("").contains(name + "-check"));
      assertThat(services.get(host + ":" + name + "-meta:80").getMeta())
          .containsEntry("good", "y").doesNotContainKey("bad.key");
      assertThat(services.get(host + ":" + name + "-proto:80").getMeta())
          .doesNotContainKey("protocol");

      List<String> warnings = logs.list.stream()
          .filter(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN)
          .map(ILoggingEvent::getFormattedMessage).toList();
      assertThat(warnings).anySatisfy(w -> assertThat(w).contains(name + "-check")
          .containsIgnoringCase("check_interval"));
      assertThat(warnings).anySatisfy(w -> assertThat(w).contains(name + "-meta")
          .containsIgnoringCase("bad.key"));
      assertThat(warnings).anySatisfy(w -> assertThat(w).contains(name + "-proto")
          .containsIgnoringCase("protocol"));
    } finally {
      root.detachAppender(logs);
    }
  }

  @Test
  void aStoppedContainerIsDeregisteredAndOnlyItsServicesGo() {
    String name = workloads.prefix("stop");
    String leaving = workloads.start(new Workloads.Spec(name + "-a").publish(80)
        .env("SERVICE_NAME", name + "-a"));
    workloads.start(new Workloads.Spec(name + "-b").publish(80).env("SERVICE_NAME", name + "-b"));
    bridge();
    awaitServices(name, Set.of(host + ":" + name + "-a:80", host + ":" + name + "-b:80"));

    workloads.stop(leaving);

    awaitServices(name, Set.of(host + ":" + name + "-b:80"));
  }

  @Test
  void deregisterOnSuccessKeepsCrashedContainersOnly() {
    String name = workloads.prefix("onsuccess");
    String crashing = workloads.start(new Workloads.Spec(name + "-crash").publish(80)
        .env("SERVICE_NAME", name + "-crash"));
    String clean = workloads.start(new Workloads.Spec(name + "-clean").publish(80)
        .env("SERVICE_NAME", name + "-clean"));
    bridge("-deregister", "on-success");
    awaitServices(name, Set.of(host + ":" + name + "-crash:80", host + ":" + name + "-clean:80"));

    workloads.kill(crashing); // SIGKILL: exit code 137
    workloads.stop(clean); // SIGTERM: the trap exits 0

    awaitServices(name, Set.of(host + ":" + name + "-crash:80"));
    workloads.remove(crashing);
    awaitServices(name, Set.of());
  }

  @Test
  void aPausedContainerLeavesAndComesBackOnUnpause() {
    String name = workloads.prefix("pause");
    String id = workloads.start(new Workloads.Spec(name).publish(80).env("SERVICE_NAME", name));
    bridge();
    awaitServices(name, Set.of(host + ":" + name + ":80"));

    workloads.docker().pauseContainerCmd(id).exec();
    awaitServices(name, Set.of());
    workloads.docker().unpauseContainerCmd(id).exec();
    awaitServices(name, Set.of(host + ":" + name + ":80"));
  }

  @Test
  void convergesWhenConsulStartsAfterTheBridge() {
    consul.close();
    consul = ConsulAgent.onFreePort();
    String name = workloads.prefix("late");
    workloads.start(new Workloads.Spec(name).publish(80).env("SERVICE_NAME", name));
    RunningBridge bridge = bridge();
    await().atMost(CONVERGE).until(
        () -> bridge.bridge().sinkStatus().get(0).consecutiveFailures() >= 2);

    consul.start();

    awaitServices(name, Set.of(host + ":" + name + ":80"));
  }

  @Test
  void aConsulThatAnswersLateIsWrittenToWithoutWaitingOutTheBackoff() {
    consul.close();
    consul = ConsulAgent.onFreePort();
    String name = workloads.prefix("probe");
    workloads.start(new Workloads.Spec(name).publish(80).env("SERVICE_NAME", name));
    // A backoff of a minute: only the probe can make the write come sooner.
    RunningBridge bridge = bridge("-retry-interval", "60000", "-retry-max-interval", "60000");
    await().atMost(CONVERGE).until(
        () -> bridge.bridge().sinkStatus().get(0).consecutiveFailures() >= 1);

    consul.start();

    awaitServices(name, Set.of(host + ":" + name + ":80")); // within 30 s, not 60
  }

  @Test
  void restoresRegistrationsWhenConsulRestartsEmpty() {
    String name = workloads.prefix("restore");
    workloads.start(new Workloads.Spec(name).publish(80).env("SERVICE_NAME", name)
        .env("SERVICE_PROTOCOL", "grpc"));
    bridge();
    awaitServices(name, Set.of(host + ":" + name + ":80"));

    // A key of the test's own proves the restart really emptied the dev agent. The bridge's
    // services cannot prove it: its sentinel watch may re-register them before any read here.
    String marker = "it/" + name;
    consul.client().keyValueClient().putValue(marker, "before-restart");
    consul.restart();
    assertThat(consul.client().keyValueClient().getValueAsString(marker)).isEmpty();

    // Within the verify interval (5 s by default), without any -resync.
    Map<String, Service> restored = awaitServices(name, Set.of(host + ":" + name + ":80"));
    assertThat(restored.get(host + ":" + name + ":80").getMeta()).containsEntry("protocol",
        "grpc");
  }

  @Test
  void aRestartedBridgeLeavesNoDuplicatesAndNoOrphans() {
    String name = workloads.prefix("restart");
    workloads.start(new Workloads.Spec(name + "-stays").publish(80)
        .env("SERVICE_NAME", name + "-stays"));
    String goes = workloads.start(new Workloads.Spec(name + "-goes").publish(80)
        .env("SERVICE_NAME", name + "-goes"));
    RunningBridge first = bridge();
    awaitServices(name, Set.of(host + ":" + name + "-stays:80", host + ":" + name + "-goes:80"));
    first.close(); // leaves its registrations in place, as a crash would

    workloads.stop(goes);
    workloads.start(new Workloads.Spec(name + "-new").publish(80)
        .env("SERVICE_NAME", name + "-new"));
    bridge();

    awaitServices(name, Set.of(host + ":" + name + "-stays:80", host + ":" + name + "-new:80"));
  }

  @Test
  void registersManyContainersStartedAtOnce() throws Exception {
    String name = workloads.prefix("many");
    bridge();
    int count = 40;
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<String>> started = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        String container = name + "-" + i;
        started.add(pool.submit(() -> workloads.start(new Workloads.Spec(container).publish(80)
            .env("SERVICE_NAME", container))));
      }
      for (Future<String> future : started) {
        future.get();
      }
    } finally {
      pool.shutdown();
    }
    Set<String> expected = new java.util.TreeSet<>();
    for (int i = 0; i < count; i++) {
      expected.add(host + ":" + name + "-" + i + ":80");
    }
    awaitServices(name, expected);
  }

  @Test
  void writesNothingAtSteadyStateEvenWithResync() {
    String name = workloads.prefix("steady");
    workloads.start(new Workloads.Spec(name).publish(80).env("SERVICE_NAME", name)
        .env("SERVICE_CHECK_TCP", "true").env("SERVICE_PROTOCOL", "http"));
    // -explicit keeps containers of unrelated test runs on this engine out of the picture.
    RunningBridge bridge = bridge("-explicit", "-resync", "1", "-verify-interval", "1");
    awaitServices(name, Set.of(host + ":" + name + ":80"));
    assertThat(consul.client().agentClient().getChecks().values())
        .anyMatch(check -> check.getServiceId().orElse("").equals(host + ":" + name + ":80"));
    await().atMost(CONVERGE).until(() -> bridge.bridge().sinkStatus().get(0).convergedOnce());
    long writes = bridge.bridge().sinkStatus().get(0).writes();
    java.math.BigInteger index = consul.client().catalogClient().getService(name).getIndex();

    // Several resync and verify rounds pass; neither the bridge nor Consul sees a write.
    await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(6)).until(
        () -> bridge.bridge().sinkStatus().get(0).writes() == writes);
    assertThat(consul.client().catalogClient().getService(name).getIndex()).isEqualTo(index);
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    Set<String> all = new java.util.HashSet<>(a);
    all.addAll(b);
    return all;
  }
}
