package io.registrybridge.tests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The daemon as users start it, in child processes of a test: the runnable jar or {@code
 * bin/registry-bridge}, each with its own log file. {@link #close} kills what is still running.
 */
final class DaemonProcesses implements AutoCloseable {
  /** The runnable jar; {@code ./mvnw package} builds it before the integration tests run. */
  static final Path JAR = Path.of(System.getProperty("registry-bridge.jar",
      "../bridge/target/registry-bridge.jar"));
  static final Path LAUNCHER = Path.of("../bin/registry-bridge");

  /** One started process and the file its output (stdout and stderr) goes to. */
  record Started(Process process, Path log) {
    String output() throws IOException {
      return Files.readString(log, StandardCharsets.UTF_8);
    }
  }

  private final Path logDir;
  private final List<Process> processes = new ArrayList<>();

  /** @param logDir where the log files go, usually the test's {@code @TempDir} */
  DaemonProcesses(Path logDir) {
    assertThat(JAR).as("build the jar first: ./mvnw -DskipTests package").exists();
    this.logDir = logDir;
  }

  /** {@code java -jar registry-bridge.jar ARGS}, on the JDK that runs the tests. */
  Started jar(String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
        JAR.toString()));
    command.addAll(List.of(args));
    return start(command, Map.of());
  }

  /**
   * {@code bin/registry-bridge ARGS} on this JDK and this jar, without the AOT training run (it
   * takes 10 s and is tested elsewhere), with {@code env} on top.
   */
  Started launcher(Map<String, String> env, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(LAUNCHER.toString()));
    command.addAll(List.of(args));
    Map<String, String> all = new HashMap<>(Map.of(
        "JAVA_HOME", System.getProperty("java.home"),
        "REGISTRY_BRIDGE_JAR", JAR.toAbsolutePath().toString(),
        "REGISTRY_BRIDGE_AOT", "off"));
    all.putAll(env);
    return start(command, all);
  }

  private Started start(List<String> command, Map<String, String> env) throws IOException {
    Path log = Files.createTempFile(logDir, "bridge", ".log");
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    builder.environment().putAll(env);
    Process process = builder.start();
    processes.add(process);
    return new Started(process, log);
  }

  @Override
  public void close() {
    processes.forEach(Process::destroyForcibly);
  }
}
