package io.registrybridge.tests.bench;

import io.registrybridge.core.DesiredIndex;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.SinkReconciler;
import io.registrybridge.core.SourceListener;
import io.registrybridge.core.SyncResult;
import io.registrybridge.retry.RetryPolicy;
import io.registrybridge.sink.consul.ConsulSink;
import io.registrybridge.sink.consul.ConsulSinkConfig;
import io.registrybridge.sink.consul.ConsulSinkFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The Consul half of the pipeline under load, without Docker: a synthetic source of N services
 * feeding the real {@link DesiredIndex}, {@link SinkReconciler} and {@link ConsulSink}, next to a
 * bare HTTP client sending the same registrations, which is the floor. Run by bench/run.sh:
 *
 * <pre>
 *   SyntheticLoad floor  http://127.0.0.1:8500 N THREADS   # bare client, fresh agent
 *   SyntheticLoad bridge http://127.0.0.1:8500 N CHANGES   # the sink, fresh agent, then changes
 *   SyntheticLoad ourside - N CHANGES                      # the same against an agent that
 *                                                          # answers at once: our side only
 * </pre>
 *
 * Prints {@code key=value} lines.
 */
public final class SyntheticLoad {
  private SyntheticLoad() {}

  public static void main(String[] args) throws Exception {
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
        org.slf4j.Logger.ROOT_LOGGER_NAME)).setLevel(ch.qos.logback.classic.Level.WARN);
    String mode = args[0];
    String consul = args[1];
    int n = Integer.parseInt(args[2]);
    int extra = Integer.parseInt(args[3]);
    switch (mode) {
      case "floor" -> floor(consul, n, extra);
      case "bridge" -> bridge(consul, n, extra);
      case "ourside" -> ourSide(n, extra);
      default -> throw new IllegalArgumentException("mode: floor or bridge");
    }
    System.exit(0);
  }

  static ServiceInstance instance(int i, int port) {
    return ServiceInstance.builder("synthetic:c" + i + ":80", "svc-" + i)
        .address("10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255)).port(port)
        .protocol("http").tags(List.of("v1")).meta(Map.of("team", "bench")).build();
  }

  /** The same registrations as the sink sends, less the checks, from a plain JDK client. */
  private static void floor(String consul, int n, int threads) throws Exception {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    long start = System.nanoTime();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<Future<?>> done = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int first = t;
      done.add(pool.submit(() -> {
        for (int i = first; i < n; i += threads) {
          put(http, consul, i, 80);
        }
        return null;
      }));
    }
    for (Future<?> f : done) {
      f.get();
    }
    System.out.printf("floor_bulk_ms=%d threads=%d services=%d%n",
        (System.nanoTime() - start) / 1_000_000, threads, n);
    // One more PUT at this size: the agent's own cost of a change.
    long[] single = new long[50];
    for (int k = 0; k < single.length; k++) {
      long t0 = System.nanoTime();
      put(http, consul, k, 81 + k % 2);
      single[k] = System.nanoTime() - t0;
    }
    System.out.printf("floor_change_p50_ms=%.2f%n", percentile(single, 50) / 1e6);
    pool.shutdown();
  }

  private static void put(HttpClient http, String consul, int i, int port) throws Exception {
    ServiceInstance s = instance(i, port);
    String body = "{\"ID\":\"" + s.id() + "\",\"Name\":\"" + s.name() + "\",\"Address\":\""
        + s.address() + "\",\"Port\":" + s.port() + ",\"Tags\":[\"v1\"],\"Meta\":{\"team\":"
        + "\"bench\",\"protocol\":\"http\",\"registry-bridge-owner\":\"synthetic\","
        + "\"registry-bridge-hash\":\"0123456789abcdef\"}}";
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(
        URI.create(consul + "/v1/agent/service/register")).PUT(
        HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException(r.statusCode() + " " + r.body());
    }
  }

  /** N services into a fresh agent through the bridge's own pipeline, then single changes. */
  private static void bridge(String consul, int n, int changes) throws Exception {
    DesiredIndex index = new DesiredIndex(Set.of("synthetic"));
    SourceListener source = index.listenerFor("synthetic");
    ConsulSink sink = ConsulSinkFactory.create(
        ConsulSinkConfig.builder(consul.replace("http://", "consul://"), Map.of(), "synthetic")
            .build());
    ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor();
    AtomicLong written = new AtomicLong();
    SinkReconciler reconciler = new SinkReconciler(sink, index,
        RetryPolicy.forever(Duration.ofMillis(100), Duration.ofSeconds(1)), loop,
        Clock.systemUTC(), new SinkReconciler.Listener() {
          @Override
          public void synced(String name, SyncResult result) {
            written.addAndGet(result.writes());
          }
        });
    index.addListener(reconciler);
    Map<String, List<ServiceInstance>> all = new HashMap<>();
    for (int i = 0; i < n; i++) {
      all.put("c" + i, List.of(instance(i, 80)));
    }
    long start = System.nanoTime();
    reconciler.start();
    source.replaceAll(all);
    while (written.get() < n) {
      Thread.sleep(1);
    }
    System.out.printf("bridge_bulk_ms=%d services=%d%n", (System.nanoTime() - start) / 1_000_000,
        n);
    // Single changes: index update -> the PUT returned (the sink counted the write).
    long[] took = new long[changes];
    for (int k = 0; k < changes; k++) {
      long before = written.get();
      long t0 = System.nanoTime();
      // Round r moves every service to port 81 or 82 and back, so each update is a change.
      source.update("c" + (k % n), List.of(instance(k % n, 81 + (k / n) % 2)));
      while (written.get() == before) {
        Thread.onSpinWait();
      }
      took[k] = System.nanoTime() - t0;
    }
    System.out.printf("bridge_change_p50_ms=%.2f bridge_change_p90_ms=%.2f"
        + " bridge_change_p99_ms=%.2f changes=%d%n", percentile(took, 50) / 1e6,
        percentile(took, 90) / 1e6, percentile(took, 99) / 1e6, changes);
    reconciler.close();
    sink.close();
  }

  /**
   * The bridge against an agent that answers every request at once, on loopback: what remains
   * of a change's time is our side of the wire (index, queue, plan, HTTP client). Run at two
   * sizes, with the first half of the changes as warm-up.
   */
  private static void ourSide(int n, int changes) throws Exception {
    com.sun.net.httpserver.HttpServer agent = com.sun.net.httpserver.HttpServer.create(
        new java.net.InetSocketAddress("127.0.0.1", 0), 64);
    Set<String> held = java.util.concurrent.ConcurrentHashMap.newKeySet();
    java.util.regex.Pattern idField = java.util.regex.Pattern.compile("\"ID\"\\s*:\\s*\"([^\"]+)\"");
    agent.createContext("/", exchange -> {
      String path = exchange.getRequestURI().getPath();
      String query = String.valueOf(exchange.getRequestURI().getQuery());
      String request = new String(exchange.getRequestBody().readAllBytes());
      int status = 200;
      String body = "{}";
      if (path.equals("/v1/agent/service/register")) {
        java.util.regex.Matcher id = idField.matcher(request);
        if (id.find()) {
          held.add(id.group(1));
        }
      } else if (path.startsWith("/v1/agent/service/deregister/")) {
        held.remove(path.substring("/v1/agent/service/deregister/".length()));
      } else if (path.startsWith("/v1/agent/service/")) {
        String id = java.net.URLDecoder.decode(path.substring("/v1/agent/service/".length()),
            java.nio.charset.StandardCharsets.UTF_8);
        if (!held.contains(id)) {
          status = 404;
          body = "";
        } else {
          if (query.contains("hash=h1")) {
            try {
              Thread.sleep(5000); // a quiet blocking query
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          body = "{\"ID\":\"" + id + "\",\"Service\":\"s\",\"Tags\":[],\"Meta\":{},"
              + "\"Port\":80,\"Address\":\"\",\"ContentHash\":\"h1\"}";
        }
      } else if (path.equals("/v1/agent/self")) {
        body = "{\"Member\":{\"Addr\":\"127.0.0.1\"}}";
      }
      byte[] bytes = body.getBytes();
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
      exchange.getResponseBody().write(bytes);
      exchange.close();
    });
    agent.setExecutor(Executors.newFixedThreadPool(8));
    agent.start();
    bridge("http://127.0.0.1:" + agent.getAddress().getPort(), n, changes);
    agent.stop(0);
  }

  private static double percentile(long[] values, int p) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    int i = (int) Math.ceil(sorted.length * p / 100.0) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }
}
