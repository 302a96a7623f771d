package io.registrybridge.sink.mesh;

import java.util.List;

/**
 * A point-in-time view of a mesh sink, for health endpoints and metrics.
 *
 * @param activeCollisions port collisions present in the last sync (report mode)
 * @param collisionsDetected port collisions that appeared since start, each counted once when it
 *     appears, not on every sync while it lasts
 * @param heldServices object names left as they are because their service cannot be written
 * @param rejectedObjects objects the control plane refused for good and that wait for a change
 * @param reports every problem present in the last sync
 */
public record MeshSinkStatus(int activeCollisions, long collisionsDetected, int heldServices,
    int rejectedObjects, List<MeshReport> reports) {

  public static final MeshSinkStatus EMPTY = new MeshSinkStatus(0, 0, 0, 0, List.of());

  public MeshSinkStatus {
    reports = List.copyOf(reports);
  }
}
