package io.registrybridge.sink.mesh;

/**
 * Hears about problems as a mesh sink finds them, for metrics. Called on the sink's thread; must
 * not block.
 */
@FunctionalInterface
public interface MeshSinkListener {
  MeshSinkListener NONE = (sink, report) -> { };

  /**
   * A problem appeared; called once when it appears, not again while it lasts. A port collision
   * comes as a report of kind {@link MeshReport.Kind#PORT_COLLISION}.
   *
   * @param sink the sink's name ({@code mesh-k8s}, {@code mesh-dir})
   */
  void reported(String sink, MeshReport report);
}
