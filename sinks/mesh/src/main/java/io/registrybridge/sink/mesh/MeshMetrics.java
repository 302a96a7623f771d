package io.registrybridge.sink.mesh;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Locale;

/**
 * A mesh sink's meters, tagged with its name ({@code sink}, unique among the daemon's sinks, so
 * that two sinks of one transport never share a gauge). Names as Prometheus shows them:
 *
 * <ul>
 *   <li>{@code registry_bridge_mesh_collisions{sink}}: port collisions now (collision mode
 *       report)
 *   <li>{@code registry_bridge_mesh_collisions_detected_total{sink}}: each counted once, when it
 *       appears
 *   <li>{@code registry_bridge_mesh_held_services{sink}}: services held back (invalid, or not
 *       writable now)
 *   <li>{@code registry_bridge_mesh_rejected_objects{sink}}: objects the control plane refused
 *       for good
 *   <li>{@code registry_bridge_mesh_problems_total{sink,kind}}: every report when it appears;
 *       {@code kind} as {@link MeshReport.Kind}, lower case
 * </ul>
 */
public final class MeshMetrics implements MeshSinkListener {
  private final MeterRegistry meters;
  private final String sink;

  /** @param sink the sink's name, the value of every meter's {@code sink} tag */
  public MeshMetrics(MeterRegistry meters, String sink) {
    this.meters = requireNonNull(meters, "meters");
    this.sink = requireNonNull(sink, "sink");
  }

  /** Registers the gauges of {@code mesh}, read when scraped. */
  public void watch(MeshSink mesh) {
    Gauge.builder("registry.bridge.mesh.collisions", mesh, m -> m.status().activeCollisions())
        .description("Port collisions in the mesh sink's last sync (collision mode report)")
        .tag("sink", sink).register(meters);
    FunctionCounter.builder("registry.bridge.mesh.collisions.detected", mesh,
            m -> m.status().collisionsDetected())
        .description("Port collisions that appeared since start, each counted once")
        .tag("sink", sink).register(meters);
    Gauge.builder("registry.bridge.mesh.held.services", mesh, m -> m.status().heldServices())
        .description("ServiceEntry objects held back: their service is invalid or cannot be"
            + " written now").tag("sink", sink).register(meters);
    Gauge.builder("registry.bridge.mesh.rejected.objects", mesh,
            m -> m.status().rejectedObjects())
        .description("ServiceEntry objects the control plane refused for good, waiting for"
            + " their service to change").tag("sink", sink).register(meters);
  }

  /** A problem appeared: counted under this sink's name, whatever name the sink reports. */
  @Override
  public void reported(String ignored, MeshReport report) {
    Counter.builder("registry.bridge.mesh.problems")
        .description("Problems mesh sinks found, each counted when it appears, by kind")
        .tag("sink", sink).tag("kind", report.kind().name().toLowerCase(Locale.ROOT))
        .register(meters).increment();
  }
}
