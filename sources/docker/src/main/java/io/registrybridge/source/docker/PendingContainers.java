package io.registrybridge.source.docker;

import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The containers waiting for an inspect, kept as keys, not events (client-go's workqueue): an
 * event for a container already waiting only marks it dirty, and one arriving while its inspect
 * runs makes it run once more afterwards, so the newest state is always read and never more than
 * one inspect per container waits. Memory is bounded by the number of containers, however many
 * events a {@code compose up} or a {@code health_status} storm produces.
 *
 * <p>Thread-safe: docker-java's callback thread adds, the source's thread takes.
 */
final class PendingContainers {
  // Waiting and not being inspected, in arrival order.
  private final Set<String> queue = new LinkedHashSet<>();
  // Every container that needs an inspect it has not had yet (queued or marked during its run).
  private final Set<String> dirty = new HashSet<>();
  private final Set<String> processing = new HashSet<>();

  /**
   * Marks a container as needing an inspect.
   *
   * @return whether it was queued now (the caller makes sure someone takes it); false when it
   *     was already waiting or is being inspected (then {@link #done} queues it again)
   */
  synchronized boolean add(String containerId) {
    if (!dirty.add(containerId)) {
      return false;
    }
    if (processing.contains(containerId)) {
      return false;
    }
    return queue.add(containerId);
  }

  /** The next container to inspect, now being processed; null when none waits. */
  synchronized String take() {
    Iterator<String> first = queue.iterator();
    if (!first.hasNext()) {
      return null;
    }
    String containerId = first.next();
    first.remove();
    dirty.remove(containerId);
    processing.add(containerId);
    return containerId;
  }

  /** Ends the inspect of a container; queues it again when an event came in meanwhile. */
  synchronized void done(String containerId) {
    processing.remove(containerId);
    if (dirty.contains(containerId)) {
      queue.add(containerId);
    }
  }

  /** Whether a container is waiting to be taken. */
  synchronized boolean hasWaiting() {
    return !queue.isEmpty();
  }

  /** Containers that still need an inspect: at most one entry each. */
  synchronized int size() {
    return dirty.size();
  }
}
