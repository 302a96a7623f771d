package io.registrybridge.sink.mesh;

import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What the desired state means for the mesh, shared by every transport.
 *
 * @param entries valid entries to write, by object name
 * @param held object names that must be left as they are, neither updated nor deleted: the
 *     service still exists but cannot be written now (an invalid name, conflicting ports, every
 *     instance skipped for an error), so the last good entry stays until the problem is fixed
 * @param reports every problem found, in a stable order
 * @param collisions hosts that would share an opaque TCP listener
 */
record Conversion(SortedMap<String, ServiceEntryModel> entries, SortedSet<String> held,
    List<MeshReport> reports, List<PortCollision> collisions) {

  Conversion {
    entries = Collections.unmodifiableSortedMap(new TreeMap<>(entries));
    held = Collections.unmodifiableSortedSet(new TreeSet<>(held));
    reports = List.copyOf(reports);
    collisions = List.copyOf(collisions);
  }
}
