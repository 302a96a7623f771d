package io.registrybridge.source.docker;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The containers waiting for an inspect, kept as keys, not events (client-go's workqueue): an
 * event for a container already waiting only marks it dirty, and one arriving while its inspect
 * runs makes it run once more afterwards, so the newest state is always read and never more than
 * one inspect per container waits. Memory is bounded by the number of containers, however many
 * events a {@code compose up} or a {@code health_status} storm produces.
 *
 * <p>One exception to "once more afterwards": an event that only says the container now runs (or
 * stopped) when the inspect under way answered just that. {@code docker run} makes this the common
 * case: the inspect that the network {@code connect} event asks for waits in the engine while the
 * container starts (the engine holds the container's lock), answers "running", and the {@code
 * start} event arrives meanwhile. A second inspect would tell nothing new, and on a small host it
 * would take the CPU the registration needs at that very moment.
 *
 * <p>Thread-safe: docker-java's callback thread adds, the source's thread takes.
 */
final class PendingContainers {
  /** What an event says of the container's running state. */
  enum Says {
    RUNNING,
    STOPPED,
    /** Anything else (a network, a health status, a rename...), or events that disagree. */
    MORE;

    /** {@code start} and {@code unpause} say running, {@code die} and {@code stop} stopped. */
    static Says of(String verb) {
      return switch (verb) {
        case "start", "unpause" -> RUNNING;
        case "die", "stop" -> STOPPED;
        default -> MORE;
      };
    }

    Says and(Says other) {
      return this == other ? this : MORE;
    }

    /** Whether an inspect that found the container {@code running} (and not paused) shows it. */
    boolean shownBy(boolean running) {
      return this == RUNNING ? running : this == STOPPED && !running;
    }
  }

  // Waiting and not being inspected, in arrival order.
  private final Set<String> queue = new LinkedHashSet<>();
  // Every container that needs an inspect it has not had yet (queued or marked during its run).
  private final Set<String> dirty = new HashSet<>();
  private final Set<String> processing = new HashSet<>();
  // What the events that came in during a container's inspect said, together.
  private final Map<String, Says> markedDuringRun = new HashMap<>();

  /**
   * Marks a container as needing an inspect.
   *
   * @return whether it was queued now (the caller makes sure someone takes it); false when it
   *     was already waiting or is being inspected (then {@link #done} queues it again)
   */
  synchronized boolean add(String containerId) {
    return add(containerId, Says.MORE);
  }

  /** {@link #add(String)} for an event that says {@code says}. */
  synchronized boolean add(String containerId, Says says) {
    if (processing.contains(containerId)) {
      markedDuringRun.merge(containerId, says, Says::and);
      dirty.add(containerId);
      return false;
    }
    if (!dirty.add(containerId)) {
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
    done(containerId, null);
  }

  /**
   * Ends the inspect of a container that found it running (not paused) or not, null when it
   * found nothing (failed, or the container is gone): queues it again when an event came in
   * meanwhile, unless every such event only said what the inspect found.
   */
  synchronized void done(String containerId, Boolean foundRunning) {
    processing.remove(containerId);
    Says says = markedDuringRun.remove(containerId);
    if (says != null && foundRunning != null && says.shownBy(foundRunning)) {
      dirty.remove(containerId);
      return;
    }
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
