package io.registrybridge.sink.mesh.xds;

import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.sink.mesh.xds.FakeIstiod.Profile;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The cost of pushing N services to istiod over {@code istio-xds}, without JUnit: the real
 * engine, store and ADS server on a local port, and the istiod-like client over plaintext gRPC.
 * Run by {@code bench/xds-push.sh}; prints {@code key=value} lines.
 *
 * <pre>
 *   XdsPushBench SERVICES RUNS
 * </pre>
 *
 * <ul>
 *   <li>first: a complete sync of N services (2 endpoints each) → the client's store holds all N,
 *       decoded; the client was connected and waiting, as istiod is when the bridge starts
 *   <li>change: one endpoint of one service changes → the client holds the new version; the
 *       whole set goes out again (state of the world)
 *   <li>bytes: the ServiceEntry response's serialized size, and per service
 * </ul>
 */
public final class XdsPushBench {
  private XdsPushBench() {}

  public static void main(String[] args) throws Exception {
    int services = Integer.parseInt(args[0]);
    int runs = Integer.parseInt(args[1]);
    long[] first = new long[runs];
    long[] change = new long[runs];
    int bytes = 0;
    for (int run = 0; run < runs; run++) {
      try (XdsHarness xds = new XdsHarness()) {
        FakeIstiod istiod = xds.connect(Profile.ISTIO_1_24);
        List<ServiceInstance> desired = instances(services, "10.1");
        long start = System.nanoTime();
        xds.sync(desired, true);
        waitUntil(() -> istiod.serviceEntries().size() == services);
        first[run] = System.nanoTime() - start;
        List<DiscoveryResponse> pushes = istiod.responses(Profile.ISTIO_1_24.serviceEntry());
        bytes = pushes.get(0).getSerializedSize();

        List<ServiceInstance> changed = new ArrayList<>(desired);
        changed.set(0, XdsHarness.instance("svc-0-a", "svc-0", "10.9.0.1", "version|v1"));
        start = System.nanoTime();
        xds.sync(changed, true);
        waitUntil(() -> istiod.serviceEntryUpdates() == services + 1);
        change[run] = System.nanoTime() - start;
      }
    }
    System.out.println("services=" + services + " runs=" + runs);
    System.out.println("push_bytes=" + bytes + " bytes_per_service=" + bytes / services);
    System.out.println("first_push_ms_median=" + median(first) + " all=" + ms(first));
    System.out.println("one_change_ms_median=" + median(change) + " all=" + ms(change));
  }

  /** N services, two instances each, HTTP on 9080, a version label. */
  private static List<ServiceInstance> instances(int services, String net) {
    List<ServiceInstance> all = new ArrayList<>(services * 2);
    for (int i = 0; i < services; i++) {
      String third = net + "." + (i / 250) + "." + (i % 250 + 1);
      all.add(XdsHarness.instance("svc-" + i + "-a", "svc-" + i, third, "version|v1"));
      all.add(XdsHarness.instance("svc-" + i + "-b", "svc-" + i,
          "10.2." + (i / 250) + "." + (i % 250 + 1), "version|v2"));
    }
    return all;
  }

  private static void waitUntil(java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("no push within 60 s");
      }
      Thread.sleep(1); // a benchmark's poll, 1 ms resolution
    }
  }

  private static String median(long[] nanos) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    return String.format("%.1f", sorted[sorted.length / 2] / 1e6);
  }

  private static String ms(long[] nanos) {
    return Arrays.stream(nanos).mapToObj(n -> String.format("%.1f", n / 1e6)).toList()
        .toString();
  }
}
