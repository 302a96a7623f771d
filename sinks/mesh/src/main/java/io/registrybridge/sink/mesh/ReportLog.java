package io.registrybridge.sink.mesh;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs reports once. A sink syncs every few seconds and finds the same problems each time; only
 * a report that was not there in the previous sync is logged (and passed to the listener), so a
 * bad container produces one line, and one again if it is fixed and breaks again.
 *
 * <p>Confined to the sink's thread.
 */
final class ReportLog {
  private static final Logger log = LoggerFactory.getLogger(ReportLog.class);

  private final String sink;
  private final MeshSinkListener listener;
  private Set<MeshReport> current = Set.of();
  private long collisionsDetected;

  ReportLog(String sink, MeshSinkListener listener) {
    this.sink = requireNonNull(sink, "sink");
    this.listener = requireNonNull(listener, "listener");
  }

  /** Replaces the current reports with {@code reports}, logging those that are new. */
  void update(List<MeshReport> reports) {
    Set<MeshReport> next = new LinkedHashSet<>(reports);
    for (MeshReport report : next) {
      if (current.contains(report)) {
        continue;
      }
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
    current = next;
  }

  long collisionsDetected() {
    return collisionsDetected;
  }

  List<MeshReport> current() {
    return List.copyOf(current);
  }
}
