package io.registrybridge.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.exception.NotFoundException;
import com.google.common.net.HostAndPort;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kiwiproject.consul.Consul;

/**
 * The README's first command through {@code bin/registry-bridge}, on a machine where nothing but
 * a Docker engine runs: the launcher starts a Consul dev agent when none answers, and starts none
 * when one answers, when told not to, or when no terminal is attached (a service manager).
 */
class LauncherIT {
  @TempDir Path tmp;
  private final List<String> agents = new ArrayList<>();
  private DaemonProcesses daemons;
  private Workloads workloads;

  @BeforeEach
  void setUp() {
    daemons = new DaemonProcesses(tmp);
    workloads = new Workloads();
  }

  @AfterEach
  void tearDown() {
    daemons.close();
    for (String name : agents) {
      try {
        workloads.docker().removeContainerCmd(name).withForce(true).exec();
      } catch (NotFoundException alreadyGone) {
        // the test failed before the launcher started it
      }
    }
    workloads.close();
  }

  /** The launcher with the Consul image the rest of the suite uses (a local one offline). */
  private Path launch(Map<String, String> env, String... args) throws IOException {
    Map<String, String> all = new HashMap<>(Map.of("REGISTRY_BRIDGE_CONSUL_IMAGE",
        System.getenv().getOrDefault("CONSUL_IMAGE", "hashicorp/consul:1.8.7")));
    all.putAll(env);
    return daemons.launcher(all, args).log();
  }

  private boolean containerExists(String name) {
    try {
      workloads.docker().inspectContainerCmd(name).exec();
      return true;
    } catch (NotFoundException e) {
      return false;
    }
  }

  private static void awaitDaemonStarted(Path log) {
    await().atMost(Duration.ofSeconds(60)).until(
        () -> Files.readString(log).contains("registry-bridge starting with sinks"));
  }

  @Test
  void theReadmeCommandStartsADevAgentWhenNoneAnswersAndRegistersIntoIt() throws Exception {
    int port = ConsulAgent.freePort();
    String agent = "registry-bridge-consul-" + port;
    agents.add(agent);
    String host = "it-" + UUID.randomUUID().toString().substring(0, 8);
    String name = workloads.prefix("first");
    String id = workloads.start(new Workloads.Spec(name).expose(9080)
        .env("SERVICE_NAME", name).env("SERVICE_PROTOCOL", "http"));

    // "on": this test has no terminal, which "auto" (the default) requires; see below.
    Path log = launch(Map.of("REGISTRY_BRIDGE_LOCAL_CONSUL", "on"), "-hostname", host,
        "-internal", "-retry-attempts=-1", "-http-listen=127.0.0.1:0",
        "consul://localhost:" + port);

    Consul consul = Consul.builder().withHostAndPort(HostAndPort.fromParts("localhost", port))
        .withPing(false).build();
    try {
      String serviceId = host + ":" + name + ":9080";
      await().atMost(Duration.ofSeconds(90)).ignoreExceptions().untilAsserted(() ->
          assertThat(consul.agentClient().getServices()).containsKey(serviceId));
      var service = consul.agentClient().getServices().get(serviceId);
      assertThat(service.getService()).isEqualTo(name);
      assertThat(service.getAddress()).isEqualTo(workloads.ip(id, "bridge"));
      assertThat(service.getPort()).isEqualTo(9080);
      assertThat(service.getMeta()).containsEntry("protocol", "http");
      // The agent itself stays out of its catalog (SERVICE_IGNORE), and the launcher said
      // what it did and where to look.
      assertThat(consul.agentClient().getServices().values())
          .noneMatch(s -> s.getService().startsWith("registry-bridge-consul"));
      assertThat(Files.readString(log)).contains(
          "no Consul agent answered at localhost:" + port + "; started a dev agent for you in "
              + "the container " + agent,
          "catalog: http://localhost:" + port + "/ui",
          "remove the agent with: docker rm -f " + agent);
      assertThat(workloads.docker().inspectContainerCmd(agent).exec().getConfig().getLabels())
          .containsEntry("io.registrybridge.local-consul", "true");
    } finally {
      consul.destroy();
    }
  }

  @Test
  void anAgentThatAnswersIsUsedAndOffOrNoTerminalMeansNeverStartOne() throws Exception {
    try (ConsulAgent running = ConsulAgent.started()) {
      Path used = launch(Map.of("REGISTRY_BRIDGE_LOCAL_CONSUL", "on"), "-hostname",
          "it-launcher", "-http-listen=127.0.0.1:0", "consul://127.0.0.1:" + running.port());
      int closedPort = ConsulAgent.freePort();
      agents.add("registry-bridge-consul-" + closedPort);
      Path off = launch(Map.of("REGISTRY_BRIDGE_LOCAL_CONSUL", "off"), "-hostname",
          "it-launcher", "-http-listen=127.0.0.1:0", "consul://localhost:" + closedPort);
      // A service manager starts the daemon without a terminal: a host's own agent that is
      // only restarting must get its port back, so "auto" starts nothing then.
      Path managed = launch(Map.of(), "-hostname", "it-launcher", "-http-listen=127.0.0.1:0",
          "consul://localhost:" + closedPort);

      // The launcher decides before it exec's java, so once the daemon logs, it is decided.
      awaitDaemonStarted(used);
      awaitDaemonStarted(off);
      awaitDaemonStarted(managed);
      assertThat(Set.of(running.port(), closedPort))
          .noneMatch(port -> containerExists("registry-bridge-consul-" + port));
      assertThat(Files.readString(used) + Files.readString(off) + Files.readString(managed))
          .doesNotContain("started a dev agent");
    }
  }
}
