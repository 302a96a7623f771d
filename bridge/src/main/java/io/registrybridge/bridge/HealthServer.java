package io.registrybridge.bridge;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /healthz}, {@code /readyz}, {@code /metrics} and the {@code /debug/} pages on the JDK's
 * HTTP server: no web framework for a few read-only endpoints. Answers GET and HEAD only.
 */
final class HealthServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HealthServer.class);

  /** A probe's answer: OK or not, and a short text saying why. */
  record Probe(boolean ok, String detail) {}

  private final HttpServer server;
  private final java.util.concurrent.ExecutorService executor;

  private HealthServer(HttpServer server, java.util.concurrent.ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /**
   * A {@code /debug/} page: the JSON for a path and the request's query parameters, or empty
   * when there is no such page (404).
   */
  interface DebugPages {
    java.util.Optional<String> render(String path, java.util.Map<String, List<String>> query);
  }

  static HealthServer start(InetSocketAddress address, Supplier<Probe> alive,
      Supplier<Probe> ready, PrometheusMeterRegistry meters, DebugPages debug)
      throws IOException {
    HttpServer server = HttpServer.create(address, 16);
    server.createContext("/healthz", exchange -> probe(exchange, alive.get()));
    server.createContext("/readyz", exchange -> probe(exchange, ready.get()));
    server.createContext("/metrics", exchange -> respond(exchange, 200,
        "text/plain; version=0.0.4; charset=utf-8", meters.scrape()));
    server.createContext("/debug/", exchange -> {
      java.util.Optional<String> page = debug.render(exchange.getRequestURI().getPath(),
          query(exchange.getRequestURI().getRawQuery()));
      respond(exchange, page.isPresent() ? 200 : 404,
          page.isPresent() ? "application/json" : "text/plain; charset=utf-8",
          page.map(json -> json + "\n").orElse("no such page\n"));
    });
    java.util.concurrent.ExecutorService executor = Executors.newSingleThreadExecutor(
        runnable -> {
          Thread thread = new Thread(runnable, "http");
          thread.setDaemon(true);
          return thread;
        });
    server.setExecutor(executor);
    server.start();
    log.info("serving /healthz, /readyz, /metrics and /debug/ on {}", server.getAddress());
    return new HealthServer(server, executor);
  }

  /** The port actually bound (for {@code :0}). */
  int port() {
    return server.getAddress().getPort();
  }

  /** A query string's parameters, decoded; a name without {@code =} has the value "". */
  static java.util.Map<String, List<String>> query(String raw) {
    java.util.Map<String, List<String>> query = new java.util.LinkedHashMap<>();
    if (raw == null || raw.isEmpty()) {
      return query;
    }
    for (String pair : raw.split("&")) {
      int equals = pair.indexOf('=');
      String name = decode(equals < 0 ? pair : pair.substring(0, equals));
      String value = equals < 0 ? "" : decode(pair.substring(equals + 1));
      query.computeIfAbsent(name, n -> new java.util.ArrayList<>()).add(value);
    }
    return query;
  }

  private static String decode(String text) {
    return java.net.URLDecoder.decode(text, StandardCharsets.UTF_8);
  }

  /**
   * Parses {@code HOST:PORT} or {@code :PORT} (every interface). A bare port is refused: it
   * reads as a host name as well, and every interface is a choice to make in writing.
   */
  static InetSocketAddress parseListen(String listen) {
    int colon = listen.lastIndexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException("-http-listen must be HOST:PORT or :PORT, not '"
          + listen + "'" + (listen.matches("[0-9]+") ? " (:" + listen
          + " listens on every interface, 127.0.0.1:" + listen + " on this host only)" : ""));
    }
    String host = listen.substring(0, colon);
    String port = listen.substring(colon + 1);
    try {
      int number = Integer.parseInt(port);
      if (number < 0 || number > 65535) {
        throw new NumberFormatException();
      }
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      if (host.isEmpty()) {
        return new InetSocketAddress(number);
      }
      InetSocketAddress address = new InetSocketAddress(host, number);
      if (address.isUnresolved()) {
        // Binding it would fail with a bare stack trace; say which value is wrong instead.
        throw new IllegalArgumentException("-http-listen=" + listen + ": cannot resolve the host '"
            + host + "' (use an address of this machine, or :PORT for every interface)");
      }
      return address;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "-http-listen must be HOST:PORT or :PORT, not '" + listen + "'");
    }
  }

  private static void probe(HttpExchange exchange, Probe probe) throws IOException {
    respond(exchange, probe.ok() ? 200 : 503, "text/plain; charset=utf-8",
        probe.detail() + "\n");
  }

  private static void respond(HttpExchange exchange, int status, String type, String body)
      throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      if (!method.equals("GET") && !method.equals("HEAD")) {
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", type);
      exchange.sendResponseHeaders(status, method.equals("HEAD") ? -1 : bytes.length);
      if (!method.equals("HEAD")) {
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(bytes);
        }
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    // HttpServer.stop leaves the executor it was given running.
    executor.shutdownNow();
  }
}
