package io.registrybridge.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The engine goes away under a running bridge and comes back: nothing registered is dropped
 * while it is gone, and what changed meanwhile is picked up by the re-listing.
 */
class EngineOutageIT {
  private static final Duration CONVERGE = Duration.ofSeconds(30);
  private final String host = "it-" + UUID.randomUUID().toString().substring(0, 8);
  private Workloads workloads;
  private ConsulAgent consul;
  private EngineProxy engine;
  private RunningBridge bridge;

  @BeforeEach
  void setUp() throws Exception {
    workloads = new Workloads();
    consul = ConsulAgent.started();
    engine = new EngineProxy(EngineProxy.engineSocket());
  }

  @AfterEach
  void tearDown() throws Exception {
    if (bridge != null) {
      bridge.close();
    }
    engine.close();
    workloads.close();
    consul.close();
  }

  private void awaitServices(String prefix, Set<String> ids) {
    await().atMost(CONVERGE).untilAsserted(
        () -> assertThat(consul.servicesNamed(prefix).keySet()).isEqualTo(ids));
  }

  @Test
  void keepsServicesDuringAnOutageAndCatchesUpAfterIt() throws Exception {
    String name = workloads.prefix("outage");
    workloads.start(new Workloads.Spec(name + "-stays").publish(80)
        .env("SERVICE_NAME", name + "-stays"));
    String goes = workloads.start(new Workloads.Spec(name + "-goes").publish(80)
        .env("SERVICE_NAME", name + "-goes"));
    engine.up();
    bridge = RunningBridge.start(Map.of("DOCKER_HOST", engine.dockerHost()),
        "-hostname", host, "-retry-interval", "200", "-retry-max-interval", "1000",
        consul.uri());
    awaitServices(name, Set.of(host + ":" + name + "-stays:80", host + ":" + name + "-goes:80"));

    engine.down();
    workloads.stop(goes);
    workloads.start(new Workloads.Spec(name + "-new").publish(80)
        .env("SERVICE_NAME", name + "-new"));
    // The bridge cannot see the engine: what it registered stays, through several verify rounds.
    await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(
        () -> consul.servicesNamed(name).keySet().equals(
            Set.of(host + ":" + name + "-stays:80", host + ":" + name + "-goes:80")));

    engine.up();

    awaitServices(name, Set.of(host + ":" + name + "-stays:80", host + ":" + name + "-new:80"));
  }

  @Test
  void waitsForAnEngineThatIsNotThereAtStart() throws Exception {
    String name = workloads.prefix("noengine");
    workloads.start(new Workloads.Spec(name).publish(80).env("SERVICE_NAME", name));
    // Without -hostname the bridge needs the engine's name first: start() waits for it.
    Thread starter = new Thread(() -> bridge = RunningBridge.start(
        Map.of("DOCKER_HOST", engine.dockerHost()), "-retry-interval", "200",
        "-retry-max-interval", "1000", consul.uri()));
    starter.start();
    await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4))
        .until(() -> consul.servicesNamed(name).isEmpty() && starter.isAlive());

    engine.up();

    starter.join(CONVERGE.toMillis());
    String engineName = workloads.docker().infoCmd().exec().getName();
    awaitServices(name, Set.of(engineName + ":" + name + ":80"));
  }
}
