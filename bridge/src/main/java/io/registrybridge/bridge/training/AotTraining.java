package io.registrybridge.bridge.training;

import com.fasterxml.jackson.databind.JsonNode;
import io.registrybridge.bridge.Bridge;
import io.registrybridge.bridge.BridgeConfig;
import io.registrybridge.training.CannedContainers;
import io.registrybridge.training.FakeConsulAgent;
import io.registrybridge.training.FakeDockerEngine;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The training run of the JDK's AOT cache: {@code java -XX:AOTCacheOutput=registry-bridge.aot
 * -jar registry-bridge.jar --aot-training}. See the package documentation for why it exists.
 *
 * <p>It runs the real daemon ({@link Bridge}) against {@link FakeDockerEngine} and {@link
 * FakeConsulAgent} for a few seconds: start-up as in production (the engine's name as the host
 * name, {@code -internal}, the probes' HTTP server), the first listing and registration of the
 * {@linkplain CannedContainers canned containers}, then {@code die}, {@code health_status},
 * {@code start} and {@code destroy} events and the writes they cause, one scrape of {@code
 * /metrics}, {@code /readyz} and {@code /healthz}, and a clean close. It checks each step's
 * outcome in the fake Consul and fails when one is not reached within the bound, so that a
 * broken daemon or a fake that no longer matches the daemon fails the image build instead of
 * producing a cache that misses the start-up path.
 */
public final class AotTraining {
  /** The hidden command-line flag of {@code registry-bridge.jar} that runs the training. */
  public static final String FLAG = "--aot-training";

  /** The fake engine's name, and so the {@code <host>} of the service IDs. */
  static final String HOSTNAME = "aot-training";

  /** How long each step may take before the training fails; start-up is the slow one. */
  static final Duration BOUND = Duration.ofSeconds(60);

  /**
   * What a training run saw.
   *
   * @param firstSync the services after the first listing was written
   * @param afterEvents the services after the events were written
   * @param metrics the body of {@code /metrics}
   */
  record Result(Map<String, JsonNode> firstSync, Map<String, JsonNode> afterEvents,
      String metrics, Duration firstSyncAfter, Duration total) {}

  /** Thrown when a step is not reached; the message says which and what was seen. */
  static final class TrainingFailed extends Exception {
    TrainingFailed(String message) {
      super(message);
    }
  }

  private AotTraining() {}

  /** Runs the training; returns the process exit status (0 or 1) after logging to {@code log}. */
  public static int run(PrintStream log) {
    try {
      Result result = train(log, BOUND);
      log.printf("aot-training: done in %d ms (%d services at the first sync, %d after the "
              + "events)%n", result.total().toMillis(), result.firstSync().size(),
          result.afterEvents().size());
      return 0;
    } catch (TrainingFailed e) {
      log.println("aot-training: FAILED: " + e.getMessage());
      return 1;
    } catch (Exception e) {
      log.println("aot-training: FAILED: " + e);
      e.printStackTrace(log);
      return 1;
    }
  }

  static Result train(PrintStream log, Duration bound) throws Exception {
    Instant started = Instant.now();
    Path dir = Files.createTempDirectory("registry-bridge-aot-");
    List<CannedContainers.Container> initial = CannedContainers.initial();
    try (FakeConsulAgent consul = new FakeConsulAgent();
        FakeDockerEngine docker = new FakeDockerEngine(dir.resolve("docker.sock"), HOSTNAME,
            initial)) {
      BridgeConfig config = BridgeConfig.fromArgs("-internal", "-http-listen", "127.0.0.1:0",
          "consul://127.0.0.1:" + consul.port());
      Bridge bridge = Bridge.create(config, Map.of("DOCKER_HOST", docker.dockerHost()),
          Clock.systemUTC());
      AtomicReference<Exception> startFailure = new AtomicReference<>();
      Thread starter = new Thread(() -> {
        try {
          bridge.start();
        } catch (Exception e) {
          startFailure.set(e);
        }
      }, "aot-training-start");
      try {
        starter.start();

        // 1. Start-up, first listing, first sync.
        Set<String> expected = serviceIds(initial);
        awaitServices(consul, docker, expected, bound, "the first sync", startFailure);
        Map<String, JsonNode> firstSync = consul.services();
        Duration firstSyncAfter = Duration.between(started, Instant.now());
        log.printf("aot-training: %d services registered after %d ms%n", firstSync.size(),
            firstSyncAfter.toMillis());

        // 2. Events: one container dies and is removed, another one starts.
        awaitStream(docker, bound);
        CannedContainers.Container dying = initial.stream()
            .filter(c -> c.name().equals("reviews-v3")).findFirst().orElseThrow();
        CannedContainers.Container healthy = initial.get(0);
        CannedContainers.Container late = CannedContainers.LATE.started();
        docker.put(dying.id(), dying.stopped(0));
        docker.emit(CannedContainers.event(dying.stopped(0), "die", Instant.now()));
        docker.emit(CannedContainers.event(healthy, "health_status: healthy", Instant.now()));
        docker.put(late.id(), late);
        docker.emit(CannedContainers.event(late, "start", Instant.now()));
        docker.put(dying.id(), null);
        docker.emit(CannedContainers.event(dying.stopped(0), "destroy", Instant.now()));
        Set<String> afterEvents = new TreeSet<>(expected);
        afterEvents.removeAll(dying.serviceIds(HOSTNAME));
        afterEvents.addAll(late.serviceIds(HOSTNAME));
        awaitServices(consul, docker, afterEvents, bound, "the events", startFailure);
        log.printf("aot-training: events written after %d ms%n",
            Duration.between(started, Instant.now()).toMillis());

        // 3. The probes and one Prometheus scrape, as a kubelet and Prometheus would.
        int port = bridge.httpPort().orElseThrow(
            () -> new TrainingFailed("the bridge serves no -http-listen port"));
        awaitStatus(port, "/readyz", bound);
        awaitStatus(port, "/healthz", bound);
        String metrics = get(port, "/metrics");
        if (!metrics.startsWith("HTTP/1.1 200") || !metrics.contains("jvm_")) {
          throw new TrainingFailed("/metrics answered: " + firstLine(metrics));
        }
        return new Result(firstSync, consul.services(), metrics, firstSyncAfter,
            Duration.between(started, Instant.now()));
      } finally {
        bridge.close();
        starter.join(bound.toMillis());
      }
    } finally {
      try (var files = Files.list(dir)) {
        for (Path file : files.toList()) {
          Files.deleteIfExists(file);
        }
      }
      Files.deleteIfExists(dir);
    }
  }

  /** The IDs the daemon should register for these containers. */
  static Set<String> serviceIds(List<CannedContainers.Container> containers) {
    Set<String> ids = new TreeSet<>();
    containers.forEach(c -> ids.addAll(c.serviceIds(HOSTNAME)));
    return ids;
  }

  private static void awaitServices(FakeConsulAgent consul, FakeDockerEngine docker,
      Set<String> expected, Duration bound, String step, AtomicReference<Exception> startFailure)
      throws InterruptedException, TrainingFailed {
    Instant deadline = Instant.now().plus(bound);
    while (!consul.await(expected::equals, Duration.ofMillis(200))) {
      if (startFailure.get() != null) {
        throw new TrainingFailed("the bridge did not start: " + startFailure.get());
      }
      if (!docker.traffic().failures().isEmpty() || !consul.traffic().failures().isEmpty()) {
        throw new TrainingFailed("a fake failed: " + docker.traffic().failures() + " "
            + consul.traffic().failures());
      }
      if (Instant.now().isAfter(deadline)) {
        Set<String> missing = new TreeSet<>(expected);
        missing.removeAll(consul.services().keySet());
        Set<String> extra = new TreeSet<>(consul.services().keySet());
        extra.removeAll(expected);
        throw new TrainingFailed("Consul did not reach the state of " + step + " within "
            + bound.toSeconds() + " s; missing " + missing + ", unexpected " + extra
            + "; Docker: " + docker.traffic() + ", Consul: " + consul.traffic());
      }
    }
  }

  private static void awaitStream(FakeDockerEngine docker, Duration bound)
      throws InterruptedException, TrainingFailed {
    Instant deadline = Instant.now().plus(bound);
    while (!docker.streaming()) {
      if (Instant.now().isAfter(deadline)) {
        throw new TrainingFailed("the bridge did not open the event stream");
      }
      Thread.sleep(20);
    }
  }

  private static void awaitStatus(int port, String path, Duration bound)
      throws IOException, InterruptedException, TrainingFailed {
    Instant deadline = Instant.now().plus(bound);
    String answer = get(port, path);
    while (!answer.startsWith("HTTP/1.1 200")) {
      if (Instant.now().isAfter(deadline)) {
        throw new TrainingFailed(path + " answered: " + firstLine(answer) + " "
            + answer.substring(answer.indexOf("\r\n\r\n") + 4).trim());
      }
      Thread.sleep(50);
      answer = get(port, path);
    }
  }

  /**
   * One plain HTTP/1.1 GET over a socket, like the image's HEALTHCHECK: no HTTP client library,
   * so the cache holds no classes the daemon itself never loads.
   */
  private static String get(int port, String path) throws IOException {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static String firstLine(String text) {
    int end = text.indexOf("\r\n");
    return end < 0 ? text : text.substring(0, end);
  }

  /** For {@code java -cp registry-bridge.jar io.registrybridge.bridge.training.AotTraining}. */
  public static void main(String[] args) {
    System.exit(run(System.err));
  }
}
