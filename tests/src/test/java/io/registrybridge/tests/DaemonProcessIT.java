package io.registrybridge.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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
  private static final Path JAR = Path.of(System.getProperty("registry-bridge.jar",
      "../bridge/target/registry-bridge.jar"));

  @TempDir Path tmp;
  private final List<Process> processes = new ArrayList<>();
  private Workloads workloads;

  @BeforeEach
  void setUp() {
    assertThat(JAR).as("build the jar first: ./mvnw -DskipTests package").exists();
    workloads = new Workloads();
  }

  @AfterEach
  void tearDown() {
    processes.forEach(Process::destroyForcibly);
    workloads.close();
  }

  private Process start(String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
        JAR.toString()));
    command.addAll(List.of(args));
    Path log = Files.createTempFile(tmp, "bridge", ".log");
    Process process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    processes.add(process);
    return process;
  }

  private static String output(Process process, Path dir) throws IOException {
    StringBuilder all = new StringBuilder();
    try (var files = Files.list(dir)) {
      for (Path file : files.toList()) {
        all.append(Files.readString(file, StandardCharsets.UTF_8));
      }
    }
    return all.toString();
  }

  @Test
  void helpExitsZeroAndAWrongFlagExitsTwoNamingIt() throws Exception {
    Process help = start("--help");
    assertThat(help.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(help.exitValue()).isZero();

    Process wrong = start("-internall", "consul://localhost:8500");
    assertThat(wrong.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(wrong.exitValue()).isEqualTo(2);
    assertThat(output(wrong, tmp)).contains("unknown flag: -internall (did you mean -internal?)");
  }

  @Test
  void exitsOneWhenConsulNeverAnswersWithinTheRetryAttempts() throws Exception {
    int closedPort = ConsulAgent.freePort();
    Process bridge = start("-hostname", "it-exit", "-retry-attempts=1",
        "-retry-interval=100", "consul://127.0.0.1:" + closedPort);

    assertThat(bridge.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(bridge.exitValue()).isEqualTo(1);
    assertThat(output(bridge, tmp)).contains("giving up after 2 attempt(s)");
  }

  @Test
  void registratorsCommandLineRegistersAndSigtermExitsZero() throws Exception {
    try (ConsulAgent consul = ConsulAgent.started()) {
      String host = "it-" + UUID.randomUUID().toString().substring(0, 8);
      String name = workloads.prefix("process");
      String id = workloads.start(new Workloads.Spec(name).expose(9080)
          .env("SERVICE_NAME", name).env("SERVICE_PROTOCOL", "http")
          .env("SERVICE_TAGS", "version|v1"));

      Process bridge = start("-hostname", host, "-internal", "-retry-attempts=-1",
          "consul://localhost:" + consul.port());

      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(
          consul.servicesNamed(name).keySet()).isEqualTo(Set.of(host + ":" + name + ":9080")));
      var service = consul.servicesNamed(name).get(host + ":" + name + ":9080");
      assertThat(service.getAddress()).isEqualTo(workloads.ip(id, "bridge"));
      assertThat(service.getPort()).isEqualTo(9080);
      assertThat(service.getTags()).containsExactly("version|v1");
      assertThat(service.getMeta()).containsEntry("protocol", "http");

      bridge.destroy(); // SIGTERM
      assertThat(bridge.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(bridge.exitValue()).isZero();
      // Registrations outlive the daemon, as with Registrator.
      assertThat(consul.servicesNamed(name)).containsKey(host + ":" + name + ":9080");
      assertThat(output(bridge, tmp)).contains("received SIGTERM, stopping",
          "registry-bridge stopping");
    }
  }
}
