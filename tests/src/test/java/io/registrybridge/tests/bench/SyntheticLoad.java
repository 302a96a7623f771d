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
 * </pre>
 *
 * Prints {@code key=value} lines.
 */
public final class SyntheticLoad {
  private SyntheticLoad() {}

  public static void main(String[] args) throws Exception {
    String mode = args[0];
    String consul = args[1];
    int n = Integer.parseInt(args[2]);
    int extra = Integer.parseInt(args[3]);
    switch (mode) {
      case "floor" -> floor(consul, n, extra);
      case "bridge" -> bridge(consul, n, extra);
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
      source.update("c" + k, List.of(instance(k, 81 + k % 2)));
      while (written.get() == before) {
        Thread.onSpinWait();
      }
      took[k] = System.nanoTime() - t0;
    }
    System.out.printf("bridge_change_p50_ms=%.2f bridge_change_p99_ms=%.2f changes=%d%n",
        percentile(took, 50) / 1e6, percentile(took, 99) / 1e6, changes);
    reconciler.close();
    sink.close();
  }

  private static double percentile(long[] values, int p) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    int i = (int) Math.ceil(sorted.length * p / 100.0) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }
}
