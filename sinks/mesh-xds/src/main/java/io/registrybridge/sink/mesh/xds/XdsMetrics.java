package io.registrybridge.sink.mesh.xds;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The xDS server's meters (names as Prometheus shows them; {@code sink} is the sink's name,
 * {@code type} is {@code ServiceEntry} or {@code other}):
 *
 * <ul>
 *   <li>{@code registry_bridge_xds_streams{sink}}: open streams; {@code
 *       registry_bridge_xds_streams_opened_total{sink}}: streams since start; {@code
 *       registry_bridge_xds_streams_refused_total{sink}}: streams refused or ended at a cap
 *       ({@code maxStreams}, {@code maxSubscriptions})
 *   <li>{@code registry_bridge_xds_streams_behind{sink}}: open streams that have not
 *       acknowledged the current ServiceEntry version
 *   <li>{@code registry_bridge_xds_pushes_total{sink,type}}, {@code
 *       registry_bridge_xds_push_bytes_total{sink,type}}: responses sent and their size
 *   <li>{@code registry_bridge_xds_acks_total{sink,type}}, {@code
 *       registry_bridge_xds_nacks_total{sink,type}}
 *   <li>{@code registry_bridge_xds_resources{sink,type="ServiceEntry"}}: objects in the current
 *       snapshot
 * </ul>
 *
 * <p>The server counts from the moment its port is bound, which is before the sink exists (the
 * port is bound first, at process start); the meters are registered once the sink is built and
 * has its name ({@link #register}), and show what was counted since the port was bound.
 */
final class XdsMetrics {
  private static final String[] TYPES = {XdsTypes.SERVICE_ENTRY, XdsTypes.OTHER};

  private final AtomicInteger open = new AtomicInteger();
  private final AtomicInteger resources = new AtomicInteger();
  private final LongAdder opened = new LongAdder();
  private final LongAdder refused = new LongAdder();
  private final Map<String, LongAdder> pushes = byType();
  private final Map<String, LongAdder> pushBytes = byType();
  private final Map<String, LongAdder> acks = byType();
  private final Map<String, LongAdder> nacks = byType();
  /**
   * For tests: runs before each ServiceEntry push is counted, on the thread that pushes. A
   * fault injected here stands for any bug on a stream's path.
   */
  volatile Runnable beforeServiceEntryPush = () -> { };

  private static Map<String, LongAdder> byType() {
    return Map.of(XdsTypes.SERVICE_ENTRY, new LongAdder(), XdsTypes.OTHER, new LongAdder());
  }

  /** Registers the meters in {@code meters}, tagged {@code sink}; {@code cache} for behind. */
  void register(MeterRegistry meters, String sink, SnapshotCache cache) {
    Gauge.builder("registry.bridge.xds.streams", open, AtomicInteger::get)
        .description("Open xDS streams (istiod config clients)").tag("sink", sink)
        .register(meters);
    Gauge.builder("registry.bridge.xds.streams.behind", cache, c -> c.behind().size())
        .description("Open xDS streams that have not acknowledged the current ServiceEntry"
            + " version").tag("sink", sink).register(meters);
    Gauge.builder("registry.bridge.xds.resources", resources, AtomicInteger::get)
        .description("Objects in the current snapshot, by type").tag("sink", sink)
        .tag("type", XdsTypes.SERVICE_ENTRY).register(meters);
    counter(meters, "registry.bridge.xds.streams.opened", "xDS streams opened since start",
        sink, null, opened);
    counter(meters, "registry.bridge.xds.streams.refused", "xDS streams refused or ended"
        + " because they went beyond maxStreams or maxSubscriptions", sink, null, refused);
    for (String type : TYPES) {
      counter(meters, "registry.bridge.xds.pushes", "xDS responses sent, by type", sink, type,
          pushes.get(type));
      FunctionCounter.builder("registry.bridge.xds.push.bytes", pushBytes.get(type),
              LongAdder::doubleValue).baseUnit("bytes")
          .description("Serialized size of the xDS responses sent, by type").tag("sink", sink)
          .tag("type", type).register(meters);
      counter(meters, "registry.bridge.xds.acks", "xDS responses the client acknowledged, by"
          + " type", sink, type, acks.get(type));
      counter(meters, "registry.bridge.xds.nacks", "xDS responses the client rejected (NACK),"
          + " by type", sink, type, nacks.get(type));
    }
  }

  private static void counter(MeterRegistry meters, String name, String description,
      String sink, String type, LongAdder count) {
    FunctionCounter.Builder<LongAdder> builder = FunctionCounter
        .builder(name, count, LongAdder::doubleValue).description(description)
        .tag("sink", sink);
    if (type != null) {
      builder.tag("type", type);
    }
    builder.register(meters);
  }

  void streamOpened() {
    open.incrementAndGet();
    opened.increment();
  }

  void streamClosed() {
    open.decrementAndGet();
  }

  void streamRefused() {
    refused.increment();
  }

  void pushed(String type, int bytes) {
    if (type.equals(XdsTypes.SERVICE_ENTRY)) {
      beforeServiceEntryPush.run();
    }
    pushes.get(type).increment();
    pushBytes.get(type).add(bytes);
  }

  void acknowledged(String type) {
    acks.get(type).increment();
  }

  void rejected(String type) {
    nacks.get(type).increment();
  }

  void serving(int count) {
    resources.set(count);
  }
}
