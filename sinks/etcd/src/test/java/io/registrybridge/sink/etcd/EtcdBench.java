package io.registrybridge.sink.etcd;

import static org.awaitility.Awaitility.await;

import io.registrybridge.core.DesiredIndex;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.SinkReconciler;
import io.registrybridge.core.SourceListener;
import io.registrybridge.retry.RetryPolicy;
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

/**
 * {@code bench/backends.sh etcd|etcd3|skydns2}: N services through the real index, reconciler
 * and sink (built by the provider, as the daemon builds it) into a fresh etcd, against the floor
 * (a bare HttpClient writing the same keys, 1 and 8 threads); then services added one at a
 * time: change → visible in etcd, p50/p99. Synthetic instances, no Docker: the daemon's wiring
 * of this sink is the lead's (ServiceLoader), so this measures the sink and its loop.
 *
 * <p>Arguments: scheme [services] [one-by-one].
 */
public final class EtcdBench {
  private EtcdBench() {}

  public static void main(String[] args) throws Exception {
    String scheme = args[0];
    int services = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
    int oneByOne = args.length > 2 ? Integer.parseInt(args[2]) : 200;
    String path = scheme.equals("skydns2") ? "/bench.local" : "/bench";
    try (EtcdServer etcd = new EtcdServer().start(); SinkFixture fixture = new SinkFixture()) {
      String uri = scheme + "://" + etcd.endpoint() + path;
      EtcdUri parsed = EtcdUri.parse(uri);
      Layout layout = new Layout(parsed.kind() == EtcdUri.Kind.SKYDNS2, parsed.root(),
          parsed.kind() != EtcdUri.Kind.ETCD3);
      List<ServiceInstance> instances = new ArrayList<>();
      for (int i = 0; i < services; i++) {
        instances.add(SinkFixture.own("c" + i, "svc" + (i % 50), "10.1." + (i / 250) + "."
            + (i % 250), 8000 + i % 1000));
      }
      double floor1 = floor(etcd, layout, instances, scheme, 1, "/floor1");
      double floor8 = floor(etcd, layout, instances, scheme, 8, "/floor8");

      EtcdSink sink = fixture.sink(uri, SinkFixture.settings());
      DesiredIndex index = new DesiredIndex(Set.of("docker"));
      SourceListener docker = index.listenerFor("docker");
      ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor();
      SinkReconciler reconciler = new SinkReconciler(sink, index,
          RetryPolicy.forever(Duration.ofMillis(100), Duration.ofSeconds(1)), loop,
          Clock.systemUTC(), new SinkReconciler.Listener() {});
      index.addListener(reconciler);
      Map<String, List<ServiceInstance>> byOrigin = new HashMap<>();
      instances.forEach(i -> byOrigin.put(i.origin(), List.of(i)));
      long start = System.nanoTime();
      reconciler.start();
      docker.replaceAll(byOrigin);
      await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(20))
          .until(() -> reconciler.status().convergedOnce());
      double bulk = (System.nanoTime() - start) / 1e9;
      int written = count(etcd, layout, scheme);

      long[] latencies = new long[oneByOne];
      try (HttpClient client = HttpClient.newHttpClient()) {
        for (int i = 0; i < oneByOne; i++) {
          ServiceInstance next = SinkFixture.own("late" + i, "late", "10.9.0." + (i % 250),
              9000 + i);
          long t0 = System.nanoTime();
          docker.update(next.origin(), List.of(next));
          String key = layout.key(next);
          while (!visible(client, etcd, scheme, key)) {
            Thread.onSpinWait();
          }
          latencies[i] = System.nanoTime() - t0;
        }
      }
      reconciler.close();
      loop.shutdown();
      sink.close();
      Arrays.sort(latencies);
      System.out.printf("%s: %d services -> all written in %.2f s (%d keys); floor %.2f s"
              + " (1 thread), %.2f s (8 threads): %.2fx the faster%n", scheme, services, bulk,
          written, floor1, floor8, bulk / Math.min(floor1, floor8));
      System.out.printf("%s: %d services one by one, change -> visible: p50 %.1f ms, p90 %.1f"
              + " ms, p99 %.1f ms, max %.1f ms%n", scheme, oneByOne,
          latencies[oneByOne / 2] / 1e6, latencies[oneByOne * 9 / 10] / 1e6,
          latencies[Math.min(oneByOne - 1, oneByOne * 99 / 100)] / 1e6,
          latencies[oneByOne - 1] / 1e6);
    }
  }

  /** The same keys and values from a bare client into another directory: the floor. */
  private static double floor(EtcdServer etcd, Layout layout, List<ServiceInstance> instances,
      String scheme, int threads, String dir) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    // The client keeps its own executor: sharing the pool of blocking senders would deadlock.
    try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .build()) {
      long start = System.nanoTime();
      List<Future<?>> done = new ArrayList<>();
      for (ServiceInstance instance : instances) {
        String key = dir + layout.key(instance);
        String value = layout.value(instance);
        done.add(pool.submit(() -> {
          HttpRequest request = scheme.equals("etcd3")
              ? HttpRequest.newBuilder(etcd.base().resolve("/v3/kv/put"))
                  .POST(HttpRequest.BodyPublishers.ofString("{\"key\":\"" + V3KeyStore.b64(key)
                      + "\",\"value\":\"" + V3KeyStore.b64(value) + "\"}")).build()
              : HttpRequest.newBuilder(etcd.base().resolve(V2KeyStore.path(key)))
                  .header("Content-Type", "application/x-www-form-urlencoded")
                  .PUT(HttpRequest.BodyPublishers.ofString("value="
                      + java.net.URLEncoder.encode(value, java.nio.charset.StandardCharsets.UTF_8)))
                  .build();
          HttpResponse<String> response = client.send(request,
              HttpResponse.BodyHandlers.ofString());
          if (response.statusCode() / 100 != 2) {
            throw new IllegalStateException(response.body());
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
      return (System.nanoTime() - start) / 1e9;
    } finally {
      pool.shutdown();
    }
  }

  private static int count(EtcdServer etcd, Layout layout, String scheme) throws Exception {
    return scheme.equals("etcd3") ? Etcd3SinkIT.values(etcd, layout.root()).size()
        : EtcdSinkIT.values(etcd, layout.root()).size();
  }

  private static boolean visible(HttpClient client, EtcdServer etcd, String scheme, String key)
      throws Exception {
    HttpRequest request = scheme.equals("etcd3")
        ? HttpRequest.newBuilder(etcd.base().resolve("/v3/kv/range"))
            .POST(HttpRequest.BodyPublishers.ofString("{\"key\":\"" + V3KeyStore.b64(key)
                + "\",\"count_only\":true}")).build()
        : HttpRequest.newBuilder(etcd.base().resolve(V2KeyStore.path(key))).GET().build();
    String body = client.send(request, HttpResponse.BodyHandlers.ofString()).body();
    return scheme.equals("etcd3") ? body.contains("\"count\":\"1\"") : body.contains("\"value\"");
  }

}
