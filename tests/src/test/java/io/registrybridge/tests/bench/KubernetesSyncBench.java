package io.registrybridge.tests.bench;

import static io.registrybridge.source.kubernetes.KubernetesFixtures.NS;
import static io.registrybridge.source.kubernetes.KubernetesFixtures.endpoint;
import static io.registrybridge.source.kubernetes.KubernetesFixtures.pod;
import static io.registrybridge.source.kubernetes.KubernetesFixtures.port;
import static io.registrybridge.source.kubernetes.KubernetesFixtures.service;
import static io.registrybridge.source.kubernetes.KubernetesFixtures.slice;
import static io.registrybridge.source.kubernetes.KubernetesFixtures.slicePort;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.registrybridge.core.CatalogNodes;
import io.registrybridge.core.DesiredIndex;
import io.registrybridge.core.SinkReconciler;
import io.registrybridge.core.SyncResult;
import io.registrybridge.retry.RetryPolicy;
import io.registrybridge.sink.consul.ConsulSink;
import io.registrybridge.sink.consul.ConsulSinkConfig;
import io.registrybridge.sink.consul.ConsulSinkFactory;
import io.registrybridge.source.kubernetes.KubernetesFixtures;
import io.registrybridge.source.kubernetes.KubernetesSource;
import io.registrybridge.source.kubernetes.KubernetesSourceConfig;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The Kubernetes source end to end, in one JVM: fabric8's mock API server in CRUD mode (there is
 * no kube-apiserver on the project's machine) holding S Services x E ready endpoints in
 * EndpointSlices, each endpoint with its Pod, all on one Node, read by the real {@link
 * KubernetesSource} into a {@link DesiredIndex}, a {@link SinkReconciler} and a {@link
 * ConsulSink} writing the catalog node {@value CatalogNodes#DEFAULT} of a real Consul agent. Run
 * by bench/k8s-sync.sh:
 *
 * <pre>
 *   KubernetesSyncBench http://127.0.0.1:8500 [SERVICES [ENDPOINTS [CHANGES]]]   # 200 25 50
 * </pre>
 *
 * <p>Prints, as {@code key=value} lines: the full sync from the source's start to every instance
 * in the catalog, against two bare-client floors (the same registrations, read back from the
 * catalog, as 4 threads of {@code PUT /v1/catalog/register} and as 4 threads of {@code /v1/txn}
 * with 64 operations); one EndpointSlice change from the API write to Consul showing it; heap
 * after a full collection and RSS, with the mock's own store measured before the source starts;
 * the sink's writes while idle.
 */
public final class KubernetesSyncBench {
  private static final String OWNER = "bench-k8s";
  private static final String NODE = CatalogNodes.DEFAULT;
  private static final int TXN_OPS = 64;
  private static final int FLOOR_THREADS = 4;
  private static final int FLOOR_ROUNDS = 3;
  private static final Duration BOUND = Duration.ofSeconds(120);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).build();
  // The mock logs every request at INFO through java.util.logging, which would be part of what
  // a change's time measures; held here because JUL keeps its loggers weakly.
  private static final java.util.logging.Logger MOCK_LOG =
      java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

  private final String consul;
  private final int services;
  private final int endpoints;
  private final int total;

  private KubernetesSyncBench(String consul, int services, int endpoints) {
    this.consul = consul;
    this.services = services;
    this.endpoints = endpoints;
    this.total = services * endpoints;
  }

  public static void main(String[] args) throws Exception {
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
        org.slf4j.Logger.ROOT_LOGGER_NAME)).setLevel(ch.qos.logback.classic.Level.WARN);
    MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
    int services = args.length > 1 ? Integer.parseInt(args[1]) : 200;
    int endpoints = args.length > 2 ? Integer.parseInt(args[2]) : 25;
    int changes = args.length > 3 ? Integer.parseInt(args[3]) : 50;
    new KubernetesSyncBench(args[0], services, endpoints).run(changes);
    System.exit(0);
  }

  private void run(int changes) throws Exception {
    say("api_server=fabric8 kubernetes-server-mock (CRUD mode, watches) in this JVM; no"
        + " kube-apiserver on this machine");
    say("jvm=" + Runtime.version() + " options=" + String.join(" ",
        ManagementFactory.getRuntimeMXBean().getInputArguments()));
    say("cores=" + Runtime.getRuntime().availableProcessors() + " load_before="
        + Files.readString(Path.of("/proc/loadavg")).trim());
    put("/v1/catalog/deregister", "{\"Node\":\"" + NODE + "\"}");

    long heapEmpty = heapAfterGc();
    KubernetesMockServer mock = crudMockServer();
    KubernetesFixtures.serveEndpointSlices(mock);
    KubernetesClient writer = mock.createClient();
    long heapMockEmpty = heapAfterGc();
    long created = System.nanoTime();
    populate(writer);
    say("mock_populated_ms=%d objects=%d (%d Services, %d Pods, %d EndpointSlices, 1 Node)",
        ms(System.nanoTime() - created), services * 2 + total + 1, services, total, services);
    long heapMockFull = heapAfterGc();
    long rssMockFull = rssKib();
    long mockStore = heapMockFull - heapMockEmpty;
    say("heap_before_mock_mib=%.1f heap_mock_empty_mib=%.1f heap_mock_full_mib=%.1f"
        + " mock_store_mib=%.1f rss_before_source_mib=%.1f", mib(heapEmpty), mib(heapMockEmpty),
        mib(heapMockFull), mib(mockStore), rssMockFull / 1024.0);

    // --- 1. the full sync, from the source's start -------------------------------------------
    KubernetesClient reader = mock.createClient();
    DesiredIndex index = new DesiredIndex(Set.of("kubernetes"));
    ConsulSink sink = ConsulSinkFactory.create(ConsulSinkConfig.builder(
        consul.replace("http://", "consul://"), Map.of(), OWNER).build());
    ScheduledExecutorService sinkLoop = Executors.newSingleThreadScheduledExecutor();
    ScheduledExecutorService sourceLoop = Executors.newSingleThreadScheduledExecutor();
    AtomicLong written = new AtomicLong();
    AtomicLong syncStart = new AtomicLong();
    java.util.Queue<String> syncs = new java.util.concurrent.ConcurrentLinkedQueue<>();
    RetryPolicy retry = RetryPolicy.forever(Duration.ofMillis(100), Duration.ofSeconds(1));
    SinkReconciler reconciler = new SinkReconciler(sink, index, retry, sinkLoop,
        Clock.systemUTC(), new SinkReconciler.Listener() {
          @Override
          public void synced(String name, SyncResult result) {
            written.addAndGet(result.writes());
            if (result.writes() > 0) {
              syncs.add(ms(System.nanoTime() - syncStart.get()) + "ms:" + result.writes());
            }
          }
        });
    index.addListener(reconciler);
    KubernetesSource source = new KubernetesSource(reader, KubernetesSourceConfig.defaults(OWNER),
        retry, sourceLoop, () -> {
          throw new IllegalStateException("the source gave up on the mock API server");
        }, new SimpleMeterRegistry());
    Map<java.time.Instant, Map<String, Long>> consulHttp = new java.util.TreeMap<>();
    java.time.Instant startWall = java.time.Instant.now();
    long start = System.nanoTime();
    syncStart.set(start);
    reconciler.start();
    source.start(index.listenerFor("kubernetes"));
    await("the source's first listing", index::complete);
    long listed = System.nanoTime() - start;
    // Consul's own count of HTTP requests by endpoint, from its 10 s metrics intervals:
    // /v1/agent/metrics shows only the last finished one, so it is read every second.
    long[] sampled = {start};
    await("the sink's " + total + " writes", () -> {
      if (System.nanoTime() - sampled[0] > 1_000_000_000L) {
        consulHttp(consulHttp);
        sampled[0] = System.nanoTime();
      }
      return written.get() >= total;
    });
    long wroteAll = System.nanoTime() - start;
    // Confirmed on the agent, by one read of the node once the sink counted every write (a
    // poll of 5,000 services every few ms would cost Consul more CPU than the writes); the
    // floors below end with the same read.
    await("all " + total + " in the catalog", () -> catalogCount() == total);
    long bridgeMs = ms(System.nanoTime() - start);
    say("bridge_sync_ms=%d listed_ms=%d sink_wrote_all_ms=%d instances=%d writes=%d", bridgeMs,
        ms(listed), ms(wroteAll), total, written.get());
    java.time.Instant endWall = java.time.Instant.now();
    say("sink_syncs_with_writes (since start: writes)=" + syncs);
    await("Consul's metrics interval of the sync's end", () -> {
      consulHttp(consulHttp);
      Thread.sleep(1000);
      return consulHttp.keySet().stream().anyMatch(t -> !t.isBefore(endWall.minusSeconds(10)));
    });
    Map<String, Long> requests = new java.util.TreeMap<>();
    consulHttp.forEach((interval, counts) -> {
      if (interval.plusSeconds(10).isAfter(startWall) && !interval.isAfter(endWall)) {
        counts.forEach((name, count) -> requests.merge(name, count, Long::sum));
      }
    });
    say("consul_http_requests (Consul's metrics, its 10 s intervals around the sync; with this"
        + " bench's reads of the node and of the metrics)=" + requests);

    // --- 3. memory at S x E endpoints, the sink converged -------------------------------------
    await("the sink converged", () -> reconciler.status().convergedOnce()
        && reconciler.status().backlog() == 0);
    long heapSynced = heapAfterGc();
    long rssSynced = rssKib();
    say("heap_after_full_gc_mib=%.1f heap_without_mock_store_mib=%.1f"
        + " heap_grown_since_mock_full_mib=%.1f rss_mib=%.1f rss_grown_since_mock_full_mib=%.1f",
        mib(heapSynced), mib(heapSynced - mockStore), mib(heapSynced - heapMockFull),
        rssSynced / 1024.0, (rssSynced - rssMockFull) / 1024.0);

    // --- 2. one EndpointSlice change -> visible in Consul --------------------------------------
    changes(writer, changes);

    // Idle: the sink writes nothing when nothing changes.
    long before = written.get();
    Thread.sleep(10_000);
    say("idle_10s_writes=%d", written.get() - before);

    source.close();
    reconciler.close();
    sink.close();
    sourceLoop.shutdown();
    sinkLoop.shutdown();

    // --- 1b. the floors: the same registrations, bare JDK client, freshly emptied node ---------
    floors(bridgeMs);
    reader.close();
    writer.close();
    mock.destroy();
    say("load_after=" + Files.readString(Path.of("/proc/loadavg")).trim());
  }

  /**
   * What {@code @EnableKubernetesMockClient(crud = true)} starts: expectations first (the
   * discovery answer of {@link KubernetesFixtures#serveEndpointSlices}), then the CRUD store.
   */
  @SuppressWarnings("deprecation") // the extension's own mapper, Serialization.jsonMapper()
  private static KubernetesMockServer crudMockServer() {
    Map<ServerRequest, Queue<ServerResponse>> expectations = new HashMap<>();
    KubernetesMockServer mock = new KubernetesMockServer(new Context(Serialization.jsonMapper()),
        new MockWebServer(), expectations, new KubernetesMixedDispatcher(expectations), false);
    mock.init();
    return mock;
  }

  // --- the cluster -----------------------------------------------------------------------------

  private static String serviceName(int s) {
    return "svc-" + s;
  }

  private static String address(int s, int e) {
    return "10.1." + s + "." + (e + 1);
  }

  private static String podName(int s, int e) {
    return serviceName(s) + "-" + e;
  }

  private static Endpoint endpointOf(int s, int e, boolean ready) {
    return endpoint(address(s, e), podName(s, e), ready, false);
  }

  /** The catalog ID the source gives endpoint {@code e} of Service {@code s}. */
  private static String id(int s, int e) {
    return OWNER + ":" + NS + "." + serviceName(s) + ":" + address(s, e) + ":80";
  }

  private void populate(KubernetesClient writer) throws Exception {
    writer.resource(KubernetesFixtures.node("node-1", "10.0.0.1", "203.0.113.1")).create();
    // 4 writers: the mock's CRUD store takes one write at a time, the client's side overlaps.
    AtomicInteger next = new AtomicInteger();
    parallel(4, () -> {
      for (int s = next.getAndIncrement(); s < services; s = next.getAndIncrement()) {
        for (int e = 0; e < endpoints; e++) {
          create(writer, pod(podName(s, e), Map.of("app", serviceName(s), "version", "v1")));
        }
        create(writer, service(serviceName(s), Map.of(), port("http", 80, 8080)));
        Endpoint[] ready = new Endpoint[endpoints];
        for (int e = 0; e < endpoints; e++) {
          ready[e] = endpointOf(s, e, true);
        }
        create(writer, slice(serviceName(s), serviceName(s) + "-a", "IPv4",
            List.of(slicePort("http", 8080)), ready));
      }
      return 0;
    });
  }

  private static void create(KubernetesClient writer, HasMetadata object) {
    writer.resource(object).create();
  }

  /**
   * Changes one after the other, each on another Service: even ones add an endpoint (its Pod
   * created beforehand, outside the timing), odd ones flip endpoint 0 to not ready. Each is
   * timed from just before the write to the mock until a blocking query on the Service's
   * catalog entries (woken by Consul on its change, so no polling load) shows it.
   */
  private void changes(KubernetesClient writer, int changes) throws Exception {
    for (int k = 0; k < changes; k += 2) {
      create(writer, pod(podName(serviceOf(k), endpoints), Map.of("app",
          serviceName(serviceOf(k)), "version", "v1")));
    }
    Thread.sleep(1000); // the Pods' events handled before the first timed change
    long[] took = new long[changes];
    long[] writeCall = new long[changes];
    List<Long> adds = new ArrayList<>();
    List<Long> flips = new ArrayList<>();
    for (int k = 0; k < changes; k++) {
      int s = serviceOf(k);
      boolean add = k % 2 == 0;
      EndpointSlice current = writer.discovery().v1().endpointSlices().inNamespace(NS)
          .withName(serviceName(s) + "-a").get();
      List<Endpoint> list = new ArrayList<>(current.getEndpoints());
      if (add) {
        list.add(endpointOf(s, endpoints, true));
      } else {
        list.set(0, endpointOf(s, 0, false));
      }
      EndpointSlice changed = new EndpointSliceBuilder(current).withEndpoints(list).build();
      String id = add ? id(s, endpoints) : id(s, 0);
      String path = "/v1/catalog/service/" + serviceName(s);
      long consulIndex = Long.parseLong(get(path).headers().firstValue("X-Consul-Index")
          .orElseThrow());
      long t0 = System.nanoTime();
      writer.resource(changed).update();
      writeCall[k] = System.nanoTime() - t0;
      long deadline = t0 + BOUND.toNanos();
      while (true) {
        HttpResponse<String> seen = get(path + "?index=" + consulIndex + "&wait=10s");
        if (seen.body().contains("\"" + id + "\"") == add) {
          break;
        }
        consulIndex = Long.parseLong(seen.headers().firstValue("X-Consul-Index").orElseThrow());
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("change " + k + " (" + id + ") not seen in " + BOUND);
        }
      }
      took[k] = System.nanoTime() - t0;
      (add ? adds : flips).add(took[k]);
      Thread.sleep(20); // apart, as single changes
    }
    say("change_ms p50=%.1f p90=%.1f p99=%.1f max=%.1f n=%d (from the API write to the"
        + " blocking query that shows it)", pct(took, 50), pct(took, 90), pct(took, 99),
        pct(took, 100), changes);
    say("change_ms endpoint_added p50=%.1f max=%.1f n=%d; ready_flipped_false p50=%.1f"
        + " max=%.1f n=%d", pct(longs(adds), 50), pct(longs(adds), 100), adds.size(),
        pct(longs(flips), 50), pct(longs(flips), 100), flips.size());
    say("change_api_write_call_ms p50=%.1f max=%.1f", pct(writeCall, 50), pct(writeCall, 100));
    StringBuilder order = new StringBuilder();
    for (long t : took) {
      order.append(order.isEmpty() ? "" : " ").append(String.format("%.1f", t / 1e6));
    }
    say("change_ms_in_order=" + order);
  }

  private int serviceOf(int change) {
    return change * 7 % services; // 7 and 200 share no factor: a different Service each time
  }

  // --- the floors ------------------------------------------------------------------------------

  /**
   * The registrations as the catalog holds them after the bridge's sync, sent again by a bare
   * JDK client into a freshly emptied node: 4 threads of catalog PUTs, and 4 threads of
   * transactions of 64 (the sink's own concurrency and batch). A warm-up round first, then
   * {@value #FLOOR_ROUNDS} rounds, the modes alternating so a drift of the machine hits both.
   */
  private void floors(long bridgeMs) throws Exception {
    JsonNode node = JSON.readTree(get("/v1/catalog/node/" + NODE).body());
    String nodeAddress = node.get("Node").get("Address").asText();
    JsonNode nodeMeta = node.get("Node").get("Meta");
    List<ObjectNode> registrations = new ArrayList<>();
    node.get("Services").forEach(s -> {
      ObjectNode service = JSON.createObjectNode();
      for (String field : List.of("ID", "Service", "Tags", "Address", "Port", "Meta", "Weights",
          "EnableTagOverride")) {
        service.set(field, s.get(field));
      }
      registrations.add(service);
    });
    if (registrations.size() != total) {
      throw new IllegalStateException("the catalog holds " + registrations.size() + " of "
          + total);
    }
    String nodeJson = "\"Node\":\"" + NODE + "\",\"Address\":\"" + nodeAddress
        + "\",\"NodeMeta\":" + nodeMeta;
    List<String> puts = registrations.stream().map(s -> "{" + nodeJson
        + ",\"SkipNodeUpdate\":true,\"Service\":" + s + "}").toList();
    List<String> txns = new ArrayList<>();
    for (int from = 0; from < total; from += TXN_OPS) {
      StringBuilder ops = new StringBuilder("[");
      for (int i = from; i < Math.min(total, from + TXN_OPS); i++) {
        ops.append(i == from ? "" : ",").append("{\"Service\":{\"Verb\":\"set\",\"Node\":\"")
            .append(NODE).append("\",\"Service\":").append(registrations.get(i)).append("}}");
      }
      txns.add(ops.append(']').toString());
    }
    List<Long> putMs = new ArrayList<>();
    List<Long> txnMs = new ArrayList<>();
    for (int round = 0; round <= FLOOR_ROUNDS; round++) {
      for (boolean txn : new boolean[] {false, true}) {
        put("/v1/catalog/deregister", "{\"Node\":\"" + NODE + "\"}");
        put("/v1/catalog/register", "{" + nodeJson + "}");
        long t0 = System.nanoTime();
        sendAll(txn ? "/v1/txn" : "/v1/catalog/register", txn ? txns : puts);
        await("the floor's " + total, () -> catalogCount() == total);
        long took = ms(System.nanoTime() - t0);
        if (round > 0) {
          (txn ? txnMs : putMs).add(took);
        }
      }
    }
    long put = median(putMs);
    long txn = median(txnMs);
    say("floor_put_x4_ms median=%d all=%s", put, putMs);
    say("floor_txn64_x4_ms median=%d all=%s", txn, txnMs);
    say("ratio bridge/floor_put_x4=%.2f bridge/floor_txn64_x4=%.2f", (double) bridgeMs / put,
        (double) bridgeMs / txn);
  }

  private void sendAll(String path, List<String> bodies) throws Exception {
    AtomicInteger next = new AtomicInteger();
    parallel(FLOOR_THREADS, () -> {
      for (int i = next.getAndIncrement(); i < bodies.size(); i = next.getAndIncrement()) {
        put(path, bodies.get(i));
      }
      return 0;
    });
  }

  // --- Consul over a kept-alive JDK client -----------------------------------------------------

  private int catalogCount() throws Exception {
    HttpResponse<String> node = get("/v1/catalog/node/" + NODE);
    if (node.statusCode() == 404 || node.body().equals("null")) {
      return 0;
    }
    // The dev agent indents its JSON: count the IDs of our owner's instances.
    return (int) java.util.regex.Pattern.compile("\"ID\":\\s*\"" + OWNER + ":")
        .matcher(node.body()).results().count();
  }

  /** Consul's HTTP request counts of its current metrics interval, kept by interval. */
  private void consulHttp(Map<java.time.Instant, Map<String, Long>> byInterval)
      throws Exception {
    JsonNode metrics = JSON.readTree(get("/v1/agent/metrics").body());
    Map<String, Long> counts = new java.util.TreeMap<>();
    metrics.get("Samples").forEach(sample -> {
      String name = sample.get("Name").asText();
      if (name.startsWith("consul.http.")) {
        counts.put(name.substring("consul.http.".length()), sample.get("Count").asLong());
      }
    });
    // "2026-12-05 21:36:50 +0000 UTC": the interval's start.
    byInterval.put(java.time.LocalDateTime.parse(metrics.get("Timestamp").asText()
        .substring(0, 19).replace(' ', 'T')).toInstant(java.time.ZoneOffset.UTC), counts);
  }

  private HttpResponse<String> get(String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(consul + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private void put(String path, String body) throws Exception {
    HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(consul + path))
        .PUT(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IllegalStateException(path + ": HTTP " + response.statusCode() + ": "
          + response.body());
    }
  }

  // --- measuring -------------------------------------------------------------------------------

  private interface Check {
    boolean met() throws Exception;
  }

  /** Polls every millisecond (in-process checks) up to {@link #BOUND}; fails loudly after. */
  private static void await(String what, Check check) throws Exception {
    long deadline = System.nanoTime() + BOUND.toNanos();
    while (!check.met()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("not reached in " + BOUND + ": " + what);
      }
      Thread.sleep(1);
    }
  }

  private static long heapAfterGc() {
    var memory = ManagementFactory.getMemoryMXBean();
    memory.gc();
    memory.gc();
    return memory.getHeapMemoryUsage().getUsed();
  }

  private static long rssKib() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }

  private static int parallel(int threads, java.util.concurrent.Callable<Integer> work)
      throws Exception {
    try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        results.add(pool.submit(work));
      }
      int sum = 0;
      for (Future<Integer> result : results) {
        sum += result.get();
      }
      return sum;
    }
  }

  private static long[] longs(List<Long> values) {
    return values.stream().mapToLong(Long::longValue).toArray();
  }

  /** Nearest rank; with 50 values p99 is the largest. */
  private static double pct(long[] nanos, int p) {
    if (nanos.length == 0) {
      return Double.NaN;
    }
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    int i = (int) Math.ceil(sorted.length * p / 100.0) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
  }

  private static long median(List<Long> values) {
    return values.stream().sorted().toList().get(values.size() / 2);
  }

  private static long ms(long nanos) {
    return nanos / 1_000_000;
  }

  private static double mib(long bytes) {
    return bytes / 1048576.0;
  }

  private static void say(String format, Object... args) {
    System.out.println(args.length == 0 ? format : String.format(format, args));
  }
}
