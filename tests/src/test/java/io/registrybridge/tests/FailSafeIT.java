package io.registrybridge.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.registrybridge.core.SinkReconciler;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * One bad input or one source that is down never stops the rest: against the real Docker engine
 * and a real Consul agent.
 */
class FailSafeIT {
  private static final Duration CONVERGE = Duration.ofSeconds(30);

  private final String host = "fs-" + UUID.randomUUID().toString().substring(0, 8);
  private final List<RunningBridge> bridges = new ArrayList<>();
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final Logger root = (Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
  private Workloads workloads;
  private ConsulAgent consul;

  @TempDir Path dir;

  @BeforeEach
  void setUp() {
    workloads = new Workloads();
    consul = ConsulAgent.started();
    logs.start();
    root.addAppender(logs);
  }

  @AfterEach
  void tearDown() {
    root.detachAppender(logs);
    bridges.forEach(RunningBridge::close);
    workloads.close();
    consul.close();
  }

  private RunningBridge bridge(Map<String, String> env, String... flags) {
    List<String> args = new ArrayList<>(List.of("-hostname", host, "-retry-interval", "200",
        "-retry-max-interval", "1000"));
    args.addAll(List.of(flags));
    args.add(consul.uri());
    RunningBridge bridge = RunningBridge.start(env, args.toArray(String[]::new));
    bridges.add(bridge);
    return bridge;
  }

  private List<String> warningsNaming(String text) {
    List<ILoggingEvent> events;
    synchronized (logs) { // the bridge's threads append under the appender's own lock
      events = List.copyOf(logs.list);
    }
    return events.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
        .map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains(text)).toList();
  }

  @Test
  void aContainerWithAServiceIdNoSinkCanUseIsNamedOnceAndTheNineOthersRegister() {
    String name = workloads.prefix("poison");
    Set<String> good = new HashSet<>();
    for (int i = 0; i < 9; i++) {
      String container = name + "-" + i;
      workloads.start(new Workloads.Spec(container).publish(80).env("SERVICE_NAME", name));
      good.add(host + ":" + container + ":80");
    }
    String bad = name + "-bad";
    workloads.start(new Workloads.Spec(bad).publish(80).env("SERVICE_NAME", name)
        .env("SERVICE_ID", ".."));
    RunningBridge bridge = bridge(Map.of());

    await().atMost(CONVERGE).untilAsserted(
        () -> assertThat(consul.servicesNamed(name).keySet()).isEqualTo(good));
    // The good ones may be registered before the bad one is inspected: wait for its line too.
    await().atMost(CONVERGE).untilAsserted(() -> assertThat(warningsNaming(bad)).isNotEmpty());
    // The sink was never backed off as if Consul were down, and it says it converged.
    await().atMost(CONVERGE).untilAsserted(() -> {
      SinkReconciler.Status consulSink = bridge.bridge().sinkStatus().get(0);
      assertThat(consulSink.convergedOnce()).isTrue();
      assertThat(consulSink.failures()).isZero();
    });

    // A container started next is registered as usual.
    String late = name + "-late";
    workloads.start(new Workloads.Spec(late).publish(80).env("SERVICE_NAME", name));
    good.add(host + ":" + late + ":80");
    await().atMost(CONVERGE).untilAsserted(
        () -> assertThat(consul.servicesNamed(name).keySet()).isEqualTo(good));
    // Named once, though the listing and the full syncs went over it again since.
    assertThat(warningsNaming(bad)).singleElement().satisfies(line ->
        assertThat(line).contains("SERVICE_ID").contains("'..'"));
  }

  @Test
  void aContainerRemovedLeavesConsulWhileTheOtherSourceIsUnreachable() throws IOException {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort(); // closed again: nothing answers there
    }
    Path kubeconfig = MockKubeconfig.write(dir, "https://127.0.0.1:" + closedPort);
    String name = workloads.prefix("twosources");
    workloads.start(new Workloads.Spec(name + "-a").publish(80).env("SERVICE_NAME", name));
    String goes = workloads.start(new Workloads.Spec(name + "-b").publish(80)
        .env("SERVICE_NAME", name));
    RunningBridge bridge = bridge(Map.of("KUBECONFIG", kubeconfig.toString()),
        "-source=docker", "-source=kubernetes");
    await().atMost(CONVERGE).untilAsserted(() -> assertThat(consul.servicesNamed(name).keySet())
        .containsExactlyInAnyOrder(host + ":" + name + "-a:80", host + ":" + name + "-b:80"));
    assertThat(bridge.bridge().desiredState().complete()).as("Kubernetes never listed")
        .isFalse();

    workloads.remove(goes);

    await().atMost(CONVERGE).untilAsserted(() -> assertThat(consul.servicesNamed(name).keySet())
        .containsExactly(host + ":" + name + "-a:80"));
    assertThat(consul.servicesNamed(name).get(host + ":" + name + "-a:80").getMeta())
        .containsEntry("registry-bridge-source", "docker");
  }
}
