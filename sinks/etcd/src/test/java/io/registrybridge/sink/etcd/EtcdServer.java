package io.registrybridge.sink.etcd;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real etcd (Debian's etcd-server 3.4, or {@code ETCD_BIN}) in its own process: free ports, a
 * temporary data directory, the v2 keys API enabled. {@link #stop()} and {@link #start()} again
 * keep both, as a server restart does. Missing binary: fails, naming what to install.
 */
final class EtcdServer implements AutoCloseable, BeforeAllCallback, AfterAllCallback {
  private final Path binary;
  private final Path dataDir;
  private final Path logFile;
  private final int clientPort;
  private final int peerPort;
  private final List<String> extraArgs;
  private Process process;

  EtcdServer(String... extraArgs) throws IOException {
    this.binary = binary();
    this.dataDir = Files.createTempDirectory("etcd-it-");
    this.logFile = dataDir.resolveSibling(dataDir.getFileName() + ".log");
    this.clientPort = freePort();
    this.peerPort = freePort();
    this.extraArgs = List.of(extraArgs);
  }

  /** One server for a test class: {@code @RegisterExtension static final EtcdServer etcd}. */
  static EtcdServer perClass() {
    try {
      return new EtcdServer();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void beforeAll(ExtensionContext context) throws IOException {
    start();
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    close();
  }

  static Path binary() {
    String configured = System.getenv("ETCD_BIN");
    Path path = Path.of(configured != null && !configured.isBlank() ? configured : "/usr/bin/etcd");
    if (!Files.isExecutable(path)) {
      throw new IllegalStateException("no etcd server at " + path + ": install Debian's"
          + " etcd-server (tests/infra/install-etcd.sh) or set ETCD_BIN");
    }
    return path;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /** Starts it and waits until it answers. */
  EtcdServer start() throws IOException {
    String client = "http://127.0.0.1:" + clientPort;
    String peer = "http://127.0.0.1:" + peerPort;
    List<String> command = new ArrayList<>(List.of(binary.toString(),
        "--name", "it", "--data-dir", dataDir.toString(), "--enable-v2=true",
        "--listen-client-urls", client, "--advertise-client-urls", client,
        "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
        "--initial-cluster", "it=" + peer, "--log-level", "warn"));
    command.addAll(extraArgs);
    process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
    await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
        .until(() -> get("/health").contains("true"));
    return this;
  }

  /** Kills it (SIGKILL: no clean shutdown), keeping its data and ports. */
  void stop() throws InterruptedException {
    if (process != null) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
      process = null;
    }
  }

  String endpoint() {
    return "127.0.0.1:" + clientPort;
  }

  URI base() {
    return URI.create("http://" + endpoint());
  }

  /** A GET of the raw body. */
  String get(String path) throws IOException, InterruptedException {
    return request("GET", path, null);
  }

  String request(String method, String path, String body)
      throws IOException, InterruptedException {
    return request(method, path, body, null);
  }

  /** With {@code user:password} as HTTP basic auth (the v2 API's), when not null. */
  String request(String method, String path, String body, String basicAuth)
      throws IOException, InterruptedException {
    return request(method, path, body, basicAuth, null);
  }

  /** With basic auth, or a v3 token as the {@code Authorization} header, when not null. */
  String request(String method, String path, String body, String basicAuth, String token)
      throws IOException, InterruptedException {
    try (HttpClient client = HttpClient.newHttpClient()) {
      HttpRequest.Builder request = HttpRequest.newBuilder(base().resolve(path))
          .timeout(Duration.ofSeconds(10));
      if (basicAuth != null) {
        request.header("Authorization", "Basic " + java.util.Base64.getEncoder()
            .encodeToString(basicAuth.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
      }
      if (token != null) {
        request.header("Authorization", token);
      }
      if (body == null) {
        request.method(method, HttpRequest.BodyPublishers.noBody());
      } else {
        request.method(method, HttpRequest.BodyPublishers.ofString(body))
            .header("Content-Type", body.startsWith("{") ? "application/json"
                : "application/x-www-form-urlencoded");
      }
      return client.send(request.build(), HttpResponse.BodyHandlers.ofString()).body();
    }
  }

  /** The sum of one counter family's samples in {@code /metrics}. */
  long metric(String name) throws IOException, InterruptedException {
    long sum = 0;
    for (String line : get("/metrics").split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        sum += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return sum;
  }

  /** Writes to the v2 store and the v3 store so far (every put, set, delete, refresh). */
  long writes() throws IOException, InterruptedException {
    return metric("etcd_debugging_store_writes_total") + metric("etcd_mvcc_put_total")
        + metric("etcd_mvcc_delete_total");
  }

  @Override
  public void close() throws Exception {
    stop();
    try (Stream<Path> files = Files.walk(dataDir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
    Files.deleteIfExists(logFile);
  }
}
