package io.registrybridge.sink.mesh.xds;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The xDS server's meters (names as Prometheus shows them; {@code type} is {@code ServiceEntry}
 * or {@code other}):
 *
 * <ul>
 *   <li>{@code registry_bridge_xds_streams}: open streams; {@code
 *       registry_bridge_xds_streams_opened_total}: streams since start
 *   <li>{@code registry_bridge_xds_streams_behind}: open streams that have not acknowledged the
 *       current ServiceEntry version
 *   <li>{@code registry_bridge_xds_pushes_total{type}}, {@code
 *       registry_bridge_xds_push_bytes_total{type}}: responses sent and their size
 *   <li>{@code registry_bridge_xds_acks_total{type}}, {@code registry_bridge_xds_nacks_total{type}}
 *   <li>{@code registry_bridge_xds_resources{type="ServiceEntry"}}: objects in the current
 *       snapshot
 * </ul>
 */
final class XdsMetrics {
  private final MeterRegistry meters;
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicInteger resources = new AtomicInteger();

  XdsMetrics(MeterRegistry meters, SnapshotCache cache) {
    this.meters = meters;
    Gauge.builder("registry.bridge.xds.streams", open, AtomicInteger::get)
        .description("Open xDS streams (istiod config clients)").register(meters);
    Gauge.builder("registry.bridge.xds.streams.behind", cache, c -> c.behind().size())
        .description("Open xDS streams that have not acknowledged the current ServiceEntry"
            + " version").register(meters);
    Gauge.builder("registry.bridge.xds.resources", resources, AtomicInteger::get)
        .description("Objects in the current snapshot, by type")
        .tag("type", XdsTypes.SERVICE_ENTRY).register(meters);
    opened();
    // At zero from the start, so that increase() sees the first event.
    for (String type : new String[] {XdsTypes.SERVICE_ENTRY, XdsTypes.OTHER}) {
      pushes(type);
      pushBytes(type);
      acks(type);
      nacks(type);
    }
  }

  void streamOpened() {
    open.incrementAndGet();
    opened().increment();
  }

  void streamClosed() {
    open.decrementAndGet();
  }

  void pushed(String type, int bytes) {
    pushes(type).increment();
    pushBytes(type).increment(bytes);
  }

  void acknowledged(String type) {
    acks(type).increment();
  }

  void rejected(String type) {
    nacks(type).increment();
  }

  void serving(int count) {
    resources.set(count);
  }

  private Counter opened() {
    return Counter.builder("registry.bridge.xds.streams.opened")
        .description("xDS streams opened since start").register(meters);
  }

  private Counter pushes(String type) {
    return Counter.builder("registry.bridge.xds.pushes")
        .description("xDS responses sent, by type").tag("type", type).register(meters);
  }

  private Counter pushBytes(String type) {
    return Counter.builder("registry.bridge.xds.push.bytes").baseUnit("bytes")
        .description("Serialized size of the xDS responses sent, by type").tag("type", type)
        .register(meters);
  }

  private Counter acks(String type) {
    return Counter.builder("registry.bridge.xds.acks")
        .description("xDS responses the client acknowledged, by type").tag("type", type)
        .register(meters);
  }

  private Counter nacks(String type) {
    return Counter.builder("registry.bridge.xds.nacks")
        .description("xDS responses the client rejected (NACK), by type").tag("type", type)
        .register(meters);
  }
}
