package io.registrybridge.sink.zookeeper;

import io.registrybridge.core.DesiredIndex;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.Sink;
import io.registrybridge.core.SinkReconciler;
import io.registrybridge.core.SourceListener;
import io.registrybridge.retry.RetryPolicy;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryNTimes;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;

/**
 * The ZooKeeper sink under load, for bench/backend-zookeeper.sh (not a test): N synthetic
 * containers through the real {@link DesiredIndex}, {@link SinkReconciler} and sink, against a
 * bare Curator client creating the same nodes one after another (the floor, what Registrator's
 * adapter does). Prints {@code key=value} lines.
 *
 * <pre>
 *   ZooKeeperLoad floor  CONNECT PATH N
 *   ZooKeeperLoad bridge CONNECT PATH N SAMPLES
 * </pre>
 */
public final class ZooKeeperLoad {
  private ZooKeeperLoad() {}

  public static void main(String[] args) throws Exception {
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
        org.slf4j.Logger.ROOT_LOGGER_NAME)).setLevel(ch.qos.logback.classic.Level.WARN);
    String connect = args[1];
    String path = args[2];
    int n = Integer.parseInt(args[3]);
    switch (args[0]) {
      case "floor" -> floor(connect, path, n);
      case "bridge" -> bridge(connect, path, n, Integer.parseInt(args[4]));
      default -> throw new IllegalArgumentException("floor or bridge");
    }
    System.exit(0);
  }

  static ServiceInstance instance(int i) {
    return ServiceInstance.builder("bench:c" + i + ":80", "svc" + (i % 50))
        .address("10.1." + (i / 250) + "." + (i % 250)).port(8080).targetPort(80)
        .tags(List.of("bench")).meta(Map.of("i", Integer.toString(i)))
        .origin("docker:c" + i).build();
  }

  private static void floor(String connect, String path, int n) throws Exception {
    try (CuratorFramework client = CuratorFrameworkFactory.newClient(connect,
        new RetryNTimes(3, 100))) {
      client.start();
      client.blockUntilConnected();
      long start = System.nanoTime();
      for (int i = 0; i < n; i++) {
        RegistratorZnode node = RegistratorZnode.of(path, instance(i), instance(i).address());
        try {
          client.create().withMode(CreateMode.EPHEMERAL).forPath(node.path(), node.body());
        } catch (KeeperException.NoNodeException e) {
          client.create().creatingParentsIfNeeded().forPath(node.serviceNode(), new byte[0]);
          client.create().withMode(CreateMode.EPHEMERAL).forPath(node.path(), node.body());
        }
      }
      System.out.println("floor_ms=" + (System.nanoTime() - start) / 1_000_000);
    }
  }

  private static void bridge(String connect, String path, int n, int samples) throws Exception {
    Map<String, List<ServiceInstance>> byOrigin = new HashMap<>();
    for (int i = 0; i < n; i++) {
      byOrigin.put("docker:c" + i, List.of(instance(i)));
    }
    DesiredIndex index = new DesiredIndex(Set.of("docker"));
    SourceListener source = index.listenerFor("docker");
    CountDownLatch converged = new CountDownLatch(1);
    long start = System.nanoTime();
    Sink sink = ZooKeeperSinkIT.create("zookeeper://" + connect + path);
    ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
    SinkReconciler reconciler = new SinkReconciler(sink, index,
        RetryPolicy.forever(Duration.ofMillis(200), Duration.ofSeconds(1)), executor,
        Clock.systemUTC(), new SinkReconciler.Listener() {
          @Override
          public void convergedFirst(String name) {
            converged.countDown();
          }
        });
    index.addListener(reconciler);
    reconciler.start();
    source.replaceAll(byOrigin);
    if (!converged.await(10, TimeUnit.MINUTES)) {
      throw new IllegalStateException("not converged");
    }
    System.out.println("bridge_ms=" + (System.nanoTime() - start) / 1_000_000);
    System.out.println("bridge_writes=" + reconciler.status().writes());

    // Report -> visible, one new container at a time, seen by another client.
    try (CuratorFramework reader = CuratorFrameworkFactory.newClient(connect,
        new RetryNTimes(3, 100))) {
      reader.start();
      reader.blockUntilConnected();
      long[] micros = new long[samples];
      for (int s = 0; s < samples; s++) {
        ServiceInstance extra = instance(n + s);
        String node = RegistratorZnode.of(path, extra, extra.address()).path();
        long t0 = System.nanoTime();
        source.update("docker:c" + (n + s), List.of(extra));
        while (reader.checkExists().forPath(node) == null) {
          Thread.onSpinWait();
        }
        micros[s] = (System.nanoTime() - t0) / 1_000;
      }
      Arrays.sort(micros);
      System.out.println("visible_p50_ms=" + micros[samples / 2] / 1000.0);
      System.out.println("visible_p99_ms=" + micros[(int) (samples * 0.99)] / 1000.0);
    }
    reconciler.close();
    executor.shutdownNow();
    sink.close();
  }
}
