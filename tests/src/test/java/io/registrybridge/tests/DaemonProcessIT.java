package io.registrybridge.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runnable jar as users start it: the README's command line, exit statuses, and the
 * Registrator command line from a compose file.
 */
class DaemonProcessIT {
  @TempDir Path tmp;
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
    workloads.close();
  }

  @Test
  void helpExitsZeroAndAWrongFlagExitsTwoNamingIt() throws Exception {
    var help = daemons.jar("--help").process();
    assertThat(help.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(help.exitValue()).isZero();

    var wrong = daemons.jar("-internall", "consul://localhost:8500");
    assertThat(wrong.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(wrong.process().exitValue()).isEqualTo(2);
    assertThat(wrong.output()).contains("unknown flag: -internall (did you mean -internal?)");
  }

  @Test
  void exitsOneWhenConsulNeverAnswersWithinTheRetryAttempts() throws Exception {
    int closedPort = ConsulAgent.freePort();
    var bridge = daemons.jar("-hostname", "it-exit", "-retry-attempts=1",
        "-retry-interval=100", "consul://127.0.0.1:" + closedPort);

    assertThat(bridge.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(bridge.process().exitValue()).isEqualTo(1);
    assertThat(bridge.output()).contains("giving up after 2 attempt(s)");
  }

  @Test
  void registratorsCommandLineRegistersAndSigtermExitsZero() throws Exception {
    try (ConsulAgent consul = ConsulAgent.started()) {
      String host = "it-" + UUID.randomUUID().toString().substring(0, 8);
      String name = workloads.prefix("process");
      String id = workloads.start(new Workloads.Spec(name).expose(9080)
          .env("SERVICE_NAME", name).env("SERVICE_PROTOCOL", "http")
          .env("SERVICE_TAGS", "version|v1"));

      var bridge = daemons.jar("-hostname", host, "-internal", "-retry-attempts=-1",
          "consul://localhost:" + consul.port());

      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(
          consul.servicesNamed(name).keySet()).isEqualTo(Set.of(host + ":" + name + ":9080")));
      var service = consul.servicesNamed(name).get(host + ":" + name + ":9080");
      assertThat(service.getAddress()).isEqualTo(workloads.ip(id, "bridge"));
      assertThat(service.getPort()).isEqualTo(9080);
      assertThat(service.getTags()).containsExactly("version|v1");
      assertThat(service.getMeta()).containsEntry("protocol", "http");

      bridge.process().destroy(); // SIGTERM
      assertThat(bridge.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(bridge.process().exitValue()).isZero();
      // Registrations outlive the daemon, as with Registrator.
      assertThat(consul.servicesNamed(name)).containsKey(host + ":" + name + ":9080");
      assertThat(bridge.output()).contains("received SIGTERM, stopping",
          "registry-bridge stopping");
    }
  }

  /**
   * A slow shutdown (a deregistration into a Consul that accepts connections and never answers)
   * still ends inside docker stop's 10 s, and a second SIGTERM ends it at once.
   */
  @Test
  void shutdownEndsWithinTheDeadlineAndASecondSigtermExitsAtOnce() throws Exception {
    List<Socket> held = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (ServerSocket blackHole = new ServerSocket(0)) {
      Thread acceptor = new Thread(() -> {
        try {
          while (true) {
            held.add(blackHole.accept()); // kept open, never answered
          }
        } catch (java.io.IOException closed) {
          // the test is over
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
      String uri = "consul://127.0.0.1:" + blackHole.getLocalPort();

      var once = daemons.jar("-hostname", "it-deadline", "-deregister-on-shutdown", uri);
      await().atMost(Duration.ofSeconds(60)).until(() -> once.output()
          .contains("registering as 'it-deadline'"));
      long signalled = System.nanoTime();
      once.process().destroy(); // SIGTERM
      assertThat(once.process().waitFor(10, TimeUnit.SECONDS)).as("exited within 10 s")
          .isTrue();
      assertThat(Duration.ofNanos(System.nanoTime() - signalled)).isLessThan(
          Duration.ofSeconds(10));
      assertThat(once.process().exitValue()).isZero();

      var twice = daemons.jar("-hostname", "it-twice", "-deregister-on-shutdown", uri);
      await().atMost(Duration.ofSeconds(60)).until(() -> twice.output()
          .contains("registering as 'it-twice'"));
      twice.process().destroy();
      await().atMost(Duration.ofSeconds(5)).until(() -> twice.output()
          .contains("registry-bridge stopping"));
      assertThat(twice.process().isAlive()).as("still waiting for the deregistration").isTrue();
      twice.process().destroy(); // the second SIGTERM
      assertThat(twice.process().waitFor(2, TimeUnit.SECONDS)).as("exited at once").isTrue();
      assertThat(twice.process().exitValue()).isEqualTo(143);
      assertThat(twice.output()).contains("received SIGTERM again, exiting at once");
    } finally {
      for (Socket socket : held) {
        socket.close();
      }
    }
  }
}
