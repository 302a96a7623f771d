package io.registrybridge.sink.consul;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * A Consul sink's own meters, tagged with its name ({@code sink}), as Prometheus shows them:
 *
 * <ul>
 *   <li>{@code registry_bridge_consul_rejected_services{sink}}: service IDs Consul refuses now
 *       (a registration it answered 4xx/5xx for, or a deregistration it refused), each waiting
 *       for its service to change or for the retry period; the others are written as usual
 *   <li>{@code registry_bridge_consul_rejections_total{sink}}: every refusal since start
 * </ul>
 *
 * The mesh sinks report theirs as {@code registry_bridge_mesh_rejected_objects}.
 */
final class ConsulMetrics {
  private ConsulMetrics() {}

  /** Registers the meters of {@code consul}, read when scraped. */
  static void watch(MeterRegistry meters, String sinkName, ConsulSink consul) {
    requireNonNull(meters, "meters");
    requireNonNull(sinkName, "sinkName");
    Gauge.builder("registry.bridge.consul.rejected.services", consul, ConsulSink::rejectedNow)
        .description("Service IDs Consul refuses now, waiting for their service to change")
        .tag("sink", sinkName).register(meters);
    FunctionCounter.builder("registry.bridge.consul.rejections", consul, ConsulSink::rejections)
        .description("Registrations and deregistrations Consul refused since start")
        .tag("sink", sinkName).register(meters);
  }
}
