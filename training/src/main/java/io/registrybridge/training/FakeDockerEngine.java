package io.registrybridge.training;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.URLDecoder;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A minimal Docker engine on a Unix domain socket, for the AOT training run only: just enough of
 * the Engine API (shapes of Docker 20.10, API 1.41) that the daemon's real docker-java client,
 * with its real Unix-socket transport, lists, inspects and follows events exactly as against a
 * real engine. Nothing else: no images, no exec, no TLS, no request bodies.
 *
 * <ul>
 *   <li>{@code GET /_ping}, {@code /version}, {@code /info} (the engine's {@code Name} and
 *       {@code SystemTime});
 *   <li>{@code GET /containers/json}: the running containers (filters are ignored);
 *   <li>{@code GET /containers/{id}/json}: the inspect, or 404 for an unknown or destroyed one;
 *   <li>{@code GET /events}: a chunked stream that stays open and carries what {@link #emit}
 *       is given (the {@code since} and {@code filters} parameters are ignored).
 * </ul>
 *
 * <p>HTTP/1.1 with keep-alive, one platform thread per connection (docker-java keeps a small
 * pool; the event stream holds one connection for as long as it runs). Paths may carry an API
 * version prefix ({@code /v1.41/...}).
 */
public final class FakeDockerEngine implements AutoCloseable {
  private static final Pattern VERSIONED = Pattern.compile("^/v[0-9.]+(/.*)$");
  private static final Pattern INSPECT = Pattern.compile("^/containers/([^/]+)/json$");
  private static final DateTimeFormatter HTTP_DATE =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.ROOT)
          .withZone(ZoneOffset.UTC);

  private final String name;
  private final Path socket;
  private final ServerSocketChannel server;
  private final Map<String, CannedContainers.Container> containers = new LinkedHashMap<>();
  private final List<OutputStream> eventStreams = new CopyOnWriteArrayList<>();
  private final FakeTraffic traffic = new FakeTraffic();
  private final Thread acceptor;
  private volatile boolean closed;

  /**
   * Listens on {@code socket} (which must not exist yet) as an engine called {@code name}.
   *
   * @throws IOException when the socket cannot be bound (a path longer than about 100 bytes)
   */
  public FakeDockerEngine(Path socket, String name, List<CannedContainers.Container> initial)
      throws IOException {
    this.name = name;
    this.socket = socket;
    initial.forEach(c -> containers.put(c.id(), c));
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    acceptor = new Thread(this::accept, "fake-docker-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** {@code unix:///...}: the value for {@code DOCKER_HOST}. */
  public String dockerHost() {
    return "unix://" + socket.toAbsolutePath();
  }

  /** Changes what list and inspect report; {@code null} removes the container (destroyed). */
  public synchronized void put(String id, CannedContainers.Container container) {
    if (container == null) {
      containers.remove(id);
    } else {
      containers.put(id, container);
    }
  }

  /** Whether a client has an event stream open. */
  public boolean streaming() {
    return !eventStreams.isEmpty();
  }

  /** What this fake saw. */
  public FakeTraffic traffic() {
    return traffic;
  }

  /** Sends one event line to every open event stream. */
  public void emit(String eventJson) {
    byte[] line = (eventJson + "\n").getBytes(StandardCharsets.UTF_8);
    for (OutputStream out : eventStreams) {
      try {
        synchronized (out) {
          out.write((Integer.toHexString(line.length) + "\r\n")
              .getBytes(StandardCharsets.US_ASCII));
          out.write(line);
          out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
          out.flush();
        }
      } catch (IOException e) {
        eventStreams.remove(out); // the client went away
      }
    }
  }

  private void accept() {
    while (!closed) {
      try {
        SocketChannel channel = server.accept();
        Thread connection = new Thread(() -> serve(channel), "fake-docker-connection");
        connection.setDaemon(true);
        connection.start();
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void serve(SocketChannel channel) {
    try (channel) {
      InputStream in = new BufferedInputStream(Channels.newInputStream(channel));
      OutputStream out = Channels.newOutputStream(channel);
      while (!closed) {
        String requestLine = readLine(in);
        if (requestLine == null || requestLine.isEmpty()) {
          return;
        }
        long bodyLength = 0;
        for (String header = readLine(in); header != null && !header.isEmpty();
            header = readLine(in)) {
          int colon = header.indexOf(':');
          if (colon > 0 && header.substring(0, colon).trim().equalsIgnoreCase("content-length")) {
            bodyLength = Long.parseLong(header.substring(colon + 1).trim());
          }
        }
        in.skipNBytes(bodyLength);
        String[] parts = requestLine.split(" ");
        if (parts.length < 2) {
          return;
        }
        traffic.request();
        if (!answer(parts[0], parts[1], out)) {
          return; // the connection became an event stream and ended
        }
      }
    } catch (IOException e) {
      // the client closed the connection
    } catch (RuntimeException e) {
      // A bug in the fake: the training reports it instead of waiting for its bound.
      traffic.failed(e.toString());
      System.err.println("aot-training: fake Docker engine failed: " + e);
    }
  }

  /** Writes one response; false when the connection must not be reused. */
  private boolean answer(String method, String target, OutputStream out) throws IOException {
    int question = target.indexOf('?');
    String path = URLDecoder.decode(question < 0 ? target : target.substring(0, question),
        StandardCharsets.UTF_8);
    Matcher versioned = VERSIONED.matcher(path);
    if (versioned.matches()) {
      path = versioned.group(1);
    }
    if (!method.equals("GET")) {
      traffic.unhandled(method, path);
      respond(out, 404, "application/json", "{\"message\":\"page not found\"}");
      return true;
    }
    Matcher inspect = INSPECT.matcher(path);
    switch (path) {
      case "/_ping" -> respond(out, 200, "text/plain; charset=utf-8", "OK");
      case "/version" -> respond(out, 200, "application/json", version());
      case "/info" -> respond(out, 200, "application/json", info());
      case "/containers/json" -> respond(out, 200, "application/json", list());
      case "/events" -> {
        streamEvents(out);
        return false;
      }
      default -> {
        if (inspect.matches()) {
          CannedContainers.Container container = find(inspect.group(1));
          if (container == null) {
            respond(out, 404, "application/json",
                "{\"message\":\"No such container: " + inspect.group(1) + "\"}");
          } else {
            respond(out, 200, "application/json", CannedContainers.inspect(container));
          }
        } else {
          traffic.unhandled(method, path);
          respond(out, 404, "application/json", "{\"message\":\"page not found\"}");
        }
      }
    }
    return true;
  }

  /** By full ID, unique ID prefix or name, as the engine resolves them. */
  private synchronized CannedContainers.Container find(String ref) {
    for (CannedContainers.Container c : containers.values()) {
      if (c.id().startsWith(ref) || c.name().equals(ref) || ("/" + c.name()).equals(ref)) {
        return c;
      }
    }
    return null;
  }

  private synchronized String list() {
    List<Object> running = new ArrayList<>();
    for (CannedContainers.Container c : containers.values()) {
      if (c.running()) {
        running.add(CannedContainers.summary(c));
      }
    }
    return CannedContainers.json(running);
  }

  private String info() {
    synchronized (this) {
      long running = containers.values().stream().filter(CannedContainers.Container::running)
          .count();
      return """
          {"ID":"AOTT:RAIN:INGE:NGIN:E000:0000:0000:0000:0000:0000:0000:0000",\
          "Containers":%d,"ContainersRunning":%d,"ContainersPaused":0,"ContainersStopped":%d,\
          "Images":12,"Driver":"overlay2","DriverStatus":[["Backing Filesystem","extfs"]],\
          "MemoryLimit":true,"SwapLimit":true,"CpuCfsPeriod":true,"CpuCfsQuota":true,\
          "CPUShares":true,"CPUSet":true,"PidsLimit":true,"IPv4Forwarding":true,"Debug":false,\
          "NFd":42,"OomKillDisable":true,"NGoroutines":64,"SystemTime":"%s",\
          "LoggingDriver":"json-file","CgroupDriver":"cgroupfs","CgroupVersion":"1",\
          "NEventsListener":%d,"KernelVersion":"6.1.0","OperatingSystem":"Debian GNU/Linux 12",\
          "OSVersion":"12","OSType":"linux","Architecture":"x86_64","NCPU":2,\
          "MemTotal":8589934592,"DockerRootDir":"/var/lib/docker","HttpProxy":"",\
          "HttpsProxy":"","NoProxy":"","Name":"%s","Labels":[],"ExperimentalBuild":false,\
          "ServerVersion":"20.10.24","DefaultRuntime":"runc","LiveRestoreEnabled":false,\
          "Isolation":"","InitBinary":"docker-init",\
          "SecurityOptions":["name=seccomp,profile=default"],\
          "Warnings":null}"""
          .formatted(containers.size(), running, containers.size() - running, Instant.now(),
              eventStreams.size(), name);
    }
  }

  private static String version() {
    return """
        {"Platform":{"Name":""},"Version":"20.10.24","ApiVersion":"1.41","MinAPIVersion":"1.12",\
        "GitCommit":"5d6db84","GoVersion":"go1.19.8","Os":"linux","Arch":"amd64",\
        "KernelVersion":"6.1.0","BuildTime":"2023-04-04T10:20:30.000000000+00:00"}""";
  }

  /** Headers now, then one chunk per event until the client or {@link #close} ends it. */
  private void streamEvents(OutputStream out) throws IOException {
    synchronized (out) {
      out.write(("HTTP/1.1 200 OK\r\n" + headers("application/json")
          + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
    }
    eventStreams.add(out);
    // The connection's thread parks here; emit() writes from the training's thread.
    while (!closed && eventStreams.contains(out)) {
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private static void respond(OutputStream out, int status, String type, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    String reason = status == 200 ? "OK" : "Not Found";
    String head = "HTTP/1.1 " + status + " " + reason + "\r\n" + headers(type)
        + "Content-Length: " + bytes.length + "\r\n\r\n";
    out.write(head.getBytes(StandardCharsets.US_ASCII));
    out.write(bytes);
    out.flush();
  }

  private static String headers(String type) {
    return "Api-Version: 1.41\r\nContent-Type: " + type + "\r\nDocker-Experimental: false\r\n"
        + "Ostype: linux\r\nServer: Docker/20.10.24 (linux)\r\nDate: "
        + HTTP_DATE.format(Instant.now()) + "\r\n";
  }

  /** One CRLF- (or LF-) terminated line, or null at the end of the stream. */
  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream(128);
    for (int b = in.read(); b != '\n'; b = in.read()) {
      if (b < 0) {
        return line.size() == 0 ? null : line.toString(StandardCharsets.US_ASCII);
      }
      if (b != '\r') {
        line.write(b);
      }
    }
    return line.toString(StandardCharsets.US_ASCII);
  }

  @Override
  public void close() throws IOException {
    closed = true;
    for (OutputStream out : eventStreams) {
      try {
        synchronized (out) {
          out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
          out.close();
        }
      } catch (IOException e) {
        // already gone
      }
    }
    eventStreams.clear();
    server.close();
    Files.deleteIfExists(socket);
  }
}
