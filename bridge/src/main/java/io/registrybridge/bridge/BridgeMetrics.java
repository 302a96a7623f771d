package io.registrybridge.bridge;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.registrybridge.core.DesiredIndex;
import io.registrybridge.core.SinkReconciler;
import io.registrybridge.core.SyncResult;
import java.time.Clock;
import java.time.Duration;

/**
 * The daemon's Prometheus metrics (names as Prometheus shows them):
 *
 * <ul>
 *   <li>{@code registry_bridge_source_events_total{source,type}}, {@code
 *       registry_bridge_source_listings_total}, {@code registry_bridge_source_reconnects_total}
 *       (from the sources)
 *   <li>{@code registry_bridge_desired_services}: services the sources see
 *   <li>{@code registry_bridge_sink_writes_total{sink,op}} (op: create, update, delete), {@code
 *       registry_bridge_sink_failures_total{sink}}
 *   <li>{@code registry_bridge_sink_services{sink}}: services in the state the sink last wrote
 *   <li>{@code registry_bridge_sink_backlog{sink}}: service IDs that changed and that the sink has
 *       not written yet (grows while its control plane is down)
 *   <li>{@code registry_bridge_sink_consecutive_failures{sink}}
 *   <li>{@code registry_bridge_loop_failures_total{loop}}: throwables that escaped a task of a
 *       loop, or a sink call that failed with something other than an outage (a bug, one bad
 *       item); {@code loop} is the thread's name ({@code source-docker}, {@code sink-0}). Above 0
 *       is worth an alert: the loop carried on, but something was skipped
 *   <li>{@code registry_bridge_sink_quarantined{sink}}: service IDs whose own writes failed
 *       unexpectedly, each waiting out a backoff while the others flow
 *   <li>{@code registry_bridge_sink_seconds_since_last_sync{sink}}: NaN before the first
 *   <li>each sink's and source's own meters, registered by its module through {@link
 *       io.registrybridge.spi.SinkHost#meters()} (the mesh sinks' {@code registry_bridge_mesh_*},
 *       the xDS server's {@code registry_bridge_xds_*}; see docs/operations.md)
 * </ul>
 *
 * plus the JVM's memory, GC, threads, class loading, CPU and uptime.
 */
final class BridgeMetrics {
  private final MeterRegistry meters;
  private final Clock clock;

  BridgeMetrics(MeterRegistry meters, Clock clock) {
    this.meters = meters;
    this.clock = clock;
    new JvmMemoryMetrics().bindTo(meters);
    new JvmGcMetrics().bindTo(meters);
    new JvmThreadMetrics().bindTo(meters);
    new ClassLoaderMetrics().bindTo(meters);
    new ProcessorMetrics().bindTo(meters);
    new UptimeMetrics().bindTo(meters);
  }

  void watchIndex(DesiredIndex index) {
    Gauge.builder("registry.bridge.desired.services", index, DesiredIndex::size)
        .description("Services the sources currently see").register(meters);
  }

  void watchSink(SinkReconciler reconciler) {
    String sink = reconciler.sinkName();
    Gauge.builder("registry.bridge.sink.services", reconciler, r -> r.status().services())
        .description("Services desired when the sink last wrote successfully")
        .tag("sink", sink).register(meters);
    Gauge.builder("registry.bridge.sink.backlog", reconciler, r -> r.status().backlog())
        .description("Service IDs that changed and that the sink has not written yet")
        .tag("sink", sink).register(meters);
    Gauge.builder("registry.bridge.sink.consecutive.failures", reconciler,
            r -> r.status().consecutiveFailures())
        .description("Failed calls to the sink since its last success; above 0 means its"
            + " control plane is failing now")
        .tag("sink", sink).register(meters);
    Gauge.builder("registry.bridge.sink.seconds.since.last.sync", reconciler, r -> {
      var last = r.status().lastSuccess();
      return last == null ? Double.NaN
          : Duration.between(last, clock.instant()).toMillis() / 1000.0;
    }).description("Seconds since the sink last succeeded; NaN before the first success")
        .tag("sink", sink).register(meters);
    Gauge.builder("registry.bridge.sink.quarantined", reconciler,
            r -> r.status().quarantined())
        .description("Service IDs whose own writes failed unexpectedly, waiting out a backoff")
        .tag("sink", sink).register(meters);
    // Counters exist from the start, at zero, so that increase() sees their first event.
    failures(sink);
    for (String op : new String[] {"create", "update", "delete"}) {
      writes(sink, op);
    }
  }

  private Counter failures(String sink) {
    return Counter.builder("registry.bridge.sink.failures")
        .description("Failed calls to the sink (its control plane did not answer or refused)")
        .tag("sink", sink).register(meters);
  }

  private Counter writes(String sink, String op) {
    return Counter.builder("registry.bridge.sink.writes")
        .description("Writes the sink made to its control plane, by operation")
        .tag("sink", sink).tag("op", op).register(meters);
  }

  void synced(String sink, SyncResult result) {
    count(sink, "create", result.created());
    count(sink, "update", result.updated());
    count(sink, "delete", result.deleted());
  }

  void failed(String sink) {
    failures(sink).increment();
  }

  /** The counter of unexpected failures of one loop; registered at zero by the first call. */
  Counter loopFailures(String loop) {
    return Counter.builder("registry.bridge.loop.failures")
        .description("Throwables that escaped a loop's task, and sink calls that failed with"
            + " something other than an outage (a bug or one bad item)")
        .tag("loop", loop).register(meters);
  }

  private void count(String sink, String op, int n) {
    writes(sink, op).increment(n);
  }
}
