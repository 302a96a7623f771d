package io.registrybridge.sink.mesh;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The current reports of a sink, kept by key (a host, a service name, a port), logged once. A
 * sink finds the same problems again and again; only a report that was not there before under
 * its key is logged (and passed to the listener), so a bad container produces one line, and one
 * again if it is fixed and breaks again. Keys let the incremental path replace the reports of
 * what it touched without looking at the others.
 *
 * <p>Confined to the sink's thread.
 */
final class ReportLog {
  private static final Logger log = LoggerFactory.getLogger(ReportLog.class);

  private final String sink;
  private final MeshSinkListener listener;
  private final SortedMap<String, Set<MeshReport>> current = new TreeMap<>();
  private long collisionsDetected;
  private boolean changed;

  ReportLog(String sink, MeshSinkListener listener) {
    this.sink = requireNonNull(sink, "sink");
    this.listener = requireNonNull(listener, "listener");
  }

  /** Replaces the reports under {@code key}, logging those that are new; empty removes them. */
  void replace(String key, List<MeshReport> reports) {
    Set<MeshReport> before = current.getOrDefault(key, Set.of());
    Set<MeshReport> next = new LinkedHashSet<>(reports);
    if (next.equals(before)) {
      return;
    }
    changed = true;
    for (MeshReport report : next) {
      if (!before.contains(report)) {
        announce(report);
      }
    }
    if (next.isEmpty()) {
      current.remove(key);
    } else {
      current.put(key, next);
    }
  }

  /** Replaces every report: keys missing from {@code all} lose theirs. */
  void replaceAll(Map<String, List<MeshReport>> all) {
    for (String key : List.copyOf(current.keySet())) {
      if (!all.containsKey(key)) {
        replace(key, List.of());
      }
    }
    all.forEach(this::replace);
  }

  private void announce(MeshReport report) {
    if (report.kind() == MeshReport.Kind.PORT_COLLISION) {
      collisionsDetected++;
    }
    if (report.kind().warning()) {
      log.warn("{}: {}", sink, report.message());
    } else {
      log.info("{}: {}", sink, report.message());
    }
    try {
      listener.reported(sink, report);
    } catch (RuntimeException e) {
      log.error("{}: report listener failed", sink, e);
    }
  }

  /** Whether the reports changed since the last call. */
  boolean takeChanged() {
    boolean was = changed;
    changed = false;
    return was;
  }

  long collisionsDetected() {
    return collisionsDetected;
  }

  /** Every current report, in key order. */
  List<MeshReport> current() {
    List<MeshReport> all = new ArrayList<>();
    current.values().forEach(all::addAll);
    return all;
  }
}
