package io.registrybridge.sink.zookeeper;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real ZooKeeper 3.8 server from Debian's package ({@code apt-get install zookeeper}; see
 * {@code tests/infra/install-zookeeper.sh}), standalone on a free port with a data directory of
 * its own, run as a child process and killed by {@link #close}. Never the system service.
 */
final class ZooKeeperServer implements AutoCloseable {
  /** Where Debian puts the server; its manifest names every library it needs. */
  static final Path SERVER_JAR = Path.of(
      System.getenv().getOrDefault("ZOOKEEPER_SERVER_JAR", "/usr/share/java/zookeeper.jar"));

  /** Short, so that a session can be made to expire quickly: ZooKeeper allows 2 to 20 ticks. */
  static final Duration TICK = Duration.ofMillis(200);

  private static final Pattern ZXID = Pattern.compile("Zxid: 0x([0-9a-f]+)");

  private final Path dir;
  private final int port;
  private Process process;

  private ZooKeeperServer(Path dir, int port) {
    this.dir = dir;
    this.port = port;
  }

  /** Starts a server and waits until it answers. */
  static ZooKeeperServer start() throws IOException {
    if (!Files.isReadable(SERVER_JAR)) {
      throw new IllegalStateException("no ZooKeeper server at " + SERVER_JAR + ": install it with"
          + " tests/infra/install-zookeeper.sh (apt-get install -y --no-install-recommends"
          + " zookeeper), or point ZOOKEEPER_SERVER_JAR at zookeeper.jar");
    }
    Path dir = Files.createTempDirectory("zookeeper-it-");
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    Files.writeString(dir.resolve("zoo.cfg"), String.join("\n",
        "tickTime=" + TICK.toMillis(),
        "dataDir=" + dir.resolve("data"),
        "clientPort=" + port,
        "clientPortAddress=127.0.0.1",
        "maxClientCnxns=0",
        "forceSync=no",
        "admin.enableServer=false",
        "4lw.commands.whitelist=ruok,srvr",
        ""));
    ZooKeeperServer server = new ZooKeeperServer(dir, port);
    server.startProcess();
    return server;
  }

  /** {@code 127.0.0.1:PORT}. */
  String connectString() {
    return "127.0.0.1:" + port;
  }

  private void startProcess() throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    process = new ProcessBuilder(java, "-Xmx128m", "-Dzookeeper.jmx.log4j.disable=true",
        "-cp", SERVER_JAR.toString(), "org.apache.zookeeper.server.quorum.QuorumPeerMain",
        dir.resolve("zoo.cfg").toString())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("server.log").toFile()))
        .start();
    await("ZooKeeper on " + connectString()).atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> {
          if (!process.isAlive()) {
            throw new IllegalStateException("ZooKeeper exited: " + log());
          }
          return "imok".equals(fourLetters("ruok"));
        });
  }

  /** Stops the process (SIGTERM) and waits for it; the data directory stays. */
  void stop() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
  }

  /** Starts it again on the same port and data: sessions and nodes come back from disk. */
  void restart() throws IOException {
    startProcess();
  }

  /** Freezes the process (SIGSTOP): connections stay open but nothing answers. */
  void pause() throws IOException, InterruptedException {
    signal("-STOP");
  }

  /** Thaws it (SIGCONT); sessions whose timeout passed meanwhile expire then. */
  void resume() throws IOException, InterruptedException {
    signal("-CONT");
  }

  private void signal(String signal) throws IOException, InterruptedException {
    int exit = new ProcessBuilder("kill", signal, Long.toString(process.pid())).inheritIO()
        .start().waitFor();
    if (exit != 0) {
      throw new IllegalStateException("kill " + signal + " exited " + exit);
    }
  }

  /**
   * The server's last transaction ID: it moves with every write (and every session created or
   * closed), never with reads, so equal values mean nothing was written.
   */
  long lastZxid() {
    Matcher m = ZXID.matcher(fourLetters("srvr"));
    if (!m.find()) {
      throw new IllegalStateException("no Zxid in srvr's answer");
    }
    return Long.parseLong(m.group(1), 16);
  }

  private String fourLetters(String command) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      socket.setSoTimeout(2000);
      OutputStream out = socket.getOutputStream();
      out.write(command.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      return "";
    }
  }

  String log() {
    try {
      List<String> lines = Files.readAllLines(dir.resolve("server.log"));
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  @Override
  public void close() {
    if (process != null) {
      try {
        resume(); // a paused process ignores SIGTERM until it runs again
      } catch (IOException | InterruptedException | IllegalStateException e) {
        // already gone
      }
      process.destroyForcibly();
      try {
        process.waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
