package io.registrybridge.sink.consul;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.registrybridge.core.DesiredIndex;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.Sink;
import io.registrybridge.core.SinkReconciler;
import io.registrybridge.core.SyncResult;
import io.registrybridge.retry.RetryPolicy;
import io.registrybridge.sink.consul.kv.ConsulKvSinkProvider;
import io.registrybridge.spi.DaemonSettings;
import io.registrybridge.spi.SinkHost;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A consulkv sink as the daemon runs it, through its provider alone: plan, prepare with a {@link
 * SinkHost}, create, then a {@link SinkReconciler} over a {@link DesiredIndex}.
 */
final class KvRun implements AutoCloseable {
  static final RetryPolicy FAST_RETRY =
      RetryPolicy.forever(Duration.ofMillis(200), Duration.ofSeconds(1));

  final DesiredIndex index;
  final Sink sink;
  final SinkReconciler reconciler;
  final AtomicInteger syncs = new AtomicInteger();
  private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();

  KvRun(String uri, Map<String, String> env, boolean cleanup, Set<String> sources) {
    sink = create(uri, env, cleanup);
    index = new DesiredIndex(sources);
    reconciler = new SinkReconciler(sink, index, FAST_RETRY, executor, Clock.systemUTC(),
        new SinkReconciler.Listener() {
          @Override
          public void synced(String name, SyncResult result) {
            syncs.incrementAndGet();
          }
        });
    index.addListener(reconciler);
    reconciler.start();
  }

  /** The sink alone, built as the daemon builds it, for owner {@code host-a}. */
  static Sink create(String uri, Map<String, String> env, boolean cleanup) {
    DaemonSettings settings = new DaemonSettings(env, List.of(), Optional.empty(),
        Optional.empty(), cleanup, Optional.empty(), FAST_RETRY, Optional.empty());
    SinkHost host = new SinkHost("consulkv", "host-a", settings, Clock.systemUTC(),
        Executors::newSingleThreadScheduledExecutor, new SimpleMeterRegistry());
    return new ConsulKvSinkProvider().plan(uri, settings).prepare(host).create().sink();
  }

  void list(String source, Map<String, List<ServiceInstance>> byOrigin) {
    index.listenerFor(source).replaceAll(byOrigin);
  }

  void update(String source, String origin, List<ServiceInstance> instances) {
    index.listenerFor(source).update(origin, instances);
  }

  @Override
  public void close() {
    reconciler.close();
    executor.shutdownNow();
    sink.close();
  }
}
