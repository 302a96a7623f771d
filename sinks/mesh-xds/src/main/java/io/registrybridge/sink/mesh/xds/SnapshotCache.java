package io.registrybridge.sink.mesh.xds;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ServiceEntry snapshot being served and the streams watching it: the pure half of the xDS
 * server, without gRPC (in the manner of java-control-plane's {@code cache} package).
 *
 * <p>Until the first {@link #publish} there is no snapshot, and streams answer no ServiceEntry
 * request: an empty first answer would make istiod delete everything it holds from this source,
 * on every restart of the bridge. The store publishes only once the desired state was complete.
 *
 * <p>Thread-safe: the sink's thread publishes, gRPC threads add and remove watchers and read.
 */
final class SnapshotCache {
  private static final Logger log = LoggerFactory.getLogger(SnapshotCache.class);

  /** A stream that serves the snapshot. Implementations must not block. */
  interface Watcher {
    /** A new snapshot is current; send it where the client is not waiting for an answer. */
    void published(ServiceEntrySnapshot snapshot);

    /** Whether every ServiceEntry subscription of this stream acknowledged {@code version}. */
    boolean acknowledged(String version);
  }

  private volatile ServiceEntrySnapshot current;
  private final Set<Watcher> watchers = ConcurrentHashMap.newKeySet();

  /** The snapshot being served; empty until the first publish. */
  Optional<ServiceEntrySnapshot> current() {
    return Optional.ofNullable(current);
  }

  /**
   * Makes {@code snapshot} current and tells every stream, unless it has the version already
   * served.
   *
   * @return whether it was new
   */
  boolean publish(ServiceEntrySnapshot snapshot) {
    requireNonNull(snapshot, "snapshot");
    ServiceEntrySnapshot before = current;
    if (before != null && before.version().equals(snapshot.version())) {
      return false;
    }
    current = snapshot; // before telling: a stream subscribing meanwhile reads it
    for (Watcher watcher : watchers) {
      try {
        watcher.published(snapshot);
      } catch (RuntimeException e) {
        // A stream handles its own failures; one that does not must still not keep the
        // snapshot from the others, nor fail the sink's commit.
        log.error("xDS: {} failed to take version {}", watcher, snapshot.version(), e);
      }
    }
    return true;
  }

  void watch(Watcher watcher) {
    watchers.add(requireNonNull(watcher, "watcher"));
  }

  void unwatch(Watcher watcher) {
    watchers.remove(watcher);
  }

  int streams() {
    return watchers.size();
  }

  /** The streams that have not acknowledged the current snapshot (all, before the first). */
  List<Watcher> behind() {
    ServiceEntrySnapshot served = current;
    return watchers.stream().filter(w -> served == null || !w.acknowledged(served.version()))
        .toList();
  }

  /**
   * Why istiod does not hold the current snapshot yet; empty when every connected stream
   * acknowledged it (also when none is connected: nobody is waiting for anything).
   */
  Optional<String> notReady() {
    ServiceEntrySnapshot served = current;
    if (served == null) {
      return Optional.of("no ServiceEntry served yet (waiting for the first complete listing)");
    }
    List<Watcher> behind = behind();
    if (behind.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(behind.size() + " of " + watchers.size() + " xDS streams have not"
        + " acknowledged version " + served.version() + ": "
        + behind.stream().map(String::valueOf).collect(Collectors.joining(", ")));
  }
}
