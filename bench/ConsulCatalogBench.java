import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * N catalog registrations on one node of a Consul agent, written the ways the Consul sink could:
 * one {@code PUT /v1/catalog/register} each from 4 threads (what the sink does today), or
 * {@code PUT /v1/txn} batches of 64 Service "set" operations (Consul 1.8's limit per
 * transaction) from 1, 2 or 4 threads. JDK only: {@code java bench/ConsulCatalogBench.java URL
 * [N] [ROUNDS]}. Each round deletes the node first, so every mode writes N new services; the
 * modes alternate within a round so a drift of the shared machine hits them alike.
 */
public final class ConsulCatalogBench {
  static final String NODE = "k8s-sync";
  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .build();

  public static void main(String[] args) throws Exception {
    String consul = args[0];
    int n = args.length > 1 ? Integer.parseInt(args[1]) : 5000;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    String[] modes = {"put x4", "txn64 x1", "txn64 x2", "txn64 x4"};
    List<List<Long>> times = new ArrayList<>();
    for (String mode : modes) {
      times.add(new ArrayList<>());
    }
    for (int round = 0; round <= rounds; round++) { // round 0 warms up both paths
      for (int m = 0; m < modes.length; m++) {
        resetNode(consul);
        long start = System.nanoTime();
        int written = switch (m) {
          case 0 -> puts(consul, n, 4);
          default -> txns(consul, n, 64, 1 << (m - 1));
        };
        long ms = (System.nanoTime() - start) / 1_000_000;
        int listed = count(consul);
        if (written != n || listed != n) {
          throw new IllegalStateException(modes[m] + ": wrote " + written + ", catalog lists "
              + listed + " of " + n);
        }
        if (round > 0) {
          times.get(m).add(ms);
        }
      }
    }
    for (int m = 0; m < modes.length; m++) {
      List<Long> t = times.get(m).stream().sorted().toList();
      System.out.printf("%-9s %d registrations: median %d ms, min %d, max %d, all %s%n",
          modes[m], n, t.get(t.size() / 2), t.get(0), t.get(t.size() - 1), times.get(m));
    }
  }

  static String service(int i) {
    String name = "svc-" + (i / 25);
    String address = "10." + (1 + i / 65536) + "." + (i / 256 % 256) + "." + (i % 256);
    String id = "cluster-1:shop." + name + ":" + address + ":80";
    return "{\"ID\":\"" + id + "\",\"Service\":\"" + name + "\",\"Tags\":[\"app|" + name
        + "\",\"version|v1\",\"k8s\"],\"Address\":\"" + address + "\",\"Port\":8080,"
        + "\"Meta\":{\"external-source\":\"kubernetes\",\"external-k8s-ns\":\"shop\","
        + "\"external-k8s-service\":\"" + name + "\",\"external-k8s-ref-kind\":\"Pod\","
        + "\"external-k8s-ref-name\":\"" + name + "-" + i + "\",\"external-k8s-node-name\":"
        + "\"node-1\",\"port-http\":\"80\",\"app\":\"" + name + "\",\"version\":\"v1\","
        + "\"registry-bridge\":\"host-1\"},\"Weights\":{\"Passing\":1,\"Warning\":1}}";
  }

  static String registration(int i) {
    return "{\"Node\":\"" + NODE + "\",\"Address\":\"127.0.0.1\",\"NodeMeta\":{"
        + "\"external-source\":\"kubernetes\"},\"SkipNodeUpdate\":true,\"Service\":"
        + service(i) + "}";
  }

  static int puts(String consul, int n, int threads) throws Exception {
    AtomicInteger next = new AtomicInteger();
    return parallel(threads, () -> {
      int done = 0;
      for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
        put(consul + "/v1/catalog/register", registration(i));
        done++;
      }
      return done;
    });
  }

  static int txns(String consul, int n, int batch, int threads) throws Exception {
    AtomicInteger next = new AtomicInteger();
    return parallel(threads, () -> {
      int done = 0;
      for (int from = next.getAndAdd(batch); from < n; from = next.getAndAdd(batch)) {
        StringBuilder ops = new StringBuilder("[");
        for (int i = from; i < Math.min(n, from + batch); i++) {
          ops.append(i == from ? "" : ",").append("{\"Service\":{\"Verb\":\"set\",\"Node\":\"")
              .append(NODE).append("\",\"Service\":").append(service(i)).append("}}");
          done++;
        }
        put(consul + "/v1/txn", ops.append(']').toString());
      }
      return done;
    });
  }

  static int parallel(int threads, java.util.concurrent.Callable<Integer> work)
      throws Exception {
    try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        results.add(pool.submit(work));
      }
      int total = 0;
      for (Future<Integer> result : results) {
        total += result.get();
      }
      return total;
    }
  }

  static void resetNode(String consul) throws Exception {
    put(consul + "/v1/catalog/deregister", "{\"Node\":\"" + NODE + "\"}");
    put(consul + "/v1/catalog/register", "{\"Node\":\"" + NODE + "\",\"Address\":\"127.0.0.1\","
        + "\"NodeMeta\":{\"external-source\":\"kubernetes\"}}");
  }

  static int count(String consul) throws Exception {
    String body = HTTP.send(HttpRequest.newBuilder(URI.create(consul + "/v1/catalog/node/"
        + NODE)).build(), HttpResponse.BodyHandlers.ofString()).body();
    // The dev agent indents its JSON.
    return (int) java.util.regex.Pattern.compile("\"ID\":\\s*\"cluster-1:").matcher(body)
        .results().count();
  }

  static void put(String url, String body) throws Exception {
    HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(url))
        .PUT(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IllegalStateException(url + ": HTTP " + response.statusCode() + ": "
          + response.body());
    }
  }
}
