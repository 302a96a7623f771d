package io.registrybridge.core;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Merges what every source reports into one {@link DesiredState}.
 *
 * <p>Memory is bounded by the number of running services, not by the number of events: an update
 * replaces an origin's instances, so a sink that is down for an hour finds the latest state, not a
 * queue of everything that happened.
 *
 * <p>When two origins claim the same service ID (two containers with the same {@code
 * SERVICE_ID}), the one whose source and origin sort first wins and the other is reported once.
 */
public final class DesiredStateStore {
  private static final Logger log = LoggerFactory.getLogger(DesiredStateStore.class);

  private final Object lock = new Object();
  private final Set<String> sources;
  // source -> origin -> instances; TreeMaps make conflict resolution deterministic.
  private final Map<String, SortedMap<String, List<ServiceInstance>>> bySource = new HashMap<>();
  private final Set<String> listedOnce = new HashSet<>();
  private final Set<String> reportedConflicts = new HashSet<>();
  private final List<Runnable> changeListeners = new CopyOnWriteArrayList<>();
  private long version;
  private DesiredState snapshot = DesiredState.EMPTY_INCOMPLETE;

  /** @param sourceNames every source that must list once before the state is complete */
  public DesiredStateStore(Collection<String> sourceNames) {
    this.sources = Set.copyOf(sourceNames);
    for (String source : sources) {
      bySource.put(source, new TreeMap<>());
    }
    snapshot = new DesiredState(new TreeMap<>(), sources.isEmpty(), 0);
  }

  /** The listener a source reports to. */
  public SourceListener listenerFor(String sourceName) {
    requireNonNull(sourceName, "sourceName");
    if (!sources.contains(sourceName)) {
      throw new IllegalArgumentException("unknown source: " + sourceName);
    }
    return new SourceListener() {
      @Override
      public void replaceAll(Map<String, List<ServiceInstance>> instancesByOrigin) {
        DesiredStateStore.this.replaceAll(sourceName, instancesByOrigin);
      }

      @Override
      public void update(String origin, List<ServiceInstance> instances) {
        DesiredStateStore.this.update(sourceName, origin, instances);
      }
    };
  }

  /** Runs {@code listener} (on the reporting source's thread) after every change. */
  public void onChange(Runnable listener) {
    changeListeners.add(requireNonNull(listener, "listener"));
  }

  /** The current desired state; cheap, it is rebuilt only when something changed. */
  public DesiredState snapshot() {
    synchronized (lock) {
      return snapshot;
    }
  }

  private void replaceAll(String source, Map<String, List<ServiceInstance>> byOrigin) {
    SortedMap<String, List<ServiceInstance>> fresh = new TreeMap<>();
    byOrigin.forEach((origin, list) -> {
      if (!list.isEmpty()) {
        fresh.put(origin, List.copyOf(list));
      }
    });
    boolean changed;
    synchronized (lock) {
      boolean firstListing = listedOnce.add(source);
      changed = firstListing || !bySource.get(source).equals(fresh);
      if (changed) {
        bySource.put(source, fresh);
        rebuild();
      }
    }
    if (changed) {
      notifyListeners();
    }
  }

  private void update(String source, String origin, List<ServiceInstance> instances) {
    boolean changed;
    synchronized (lock) {
      SortedMap<String, List<ServiceInstance>> origins = bySource.get(source);
      List<ServiceInstance> previous = instances.isEmpty()
          ? origins.remove(origin)
          : origins.put(origin, List.copyOf(instances));
      changed = previous == null ? !instances.isEmpty() : !previous.equals(instances);
      if (changed) {
        rebuild();
      }
    }
    if (changed) {
      notifyListeners();
    }
  }

  // Called with the lock held.
  private void rebuild() {
    SortedMap<String, ServiceInstance> services = new TreeMap<>();
    Set<String> conflicts = new HashSet<>();
    for (String source : new TreeSet<>(bySource.keySet())) {
      for (List<ServiceInstance> list : bySource.get(source).values()) {
        for (ServiceInstance instance : list) {
          ServiceInstance winner = services.putIfAbsent(instance.id(), instance);
          if (winner != null) {
            String key = instance.id() + "|" + instance.origin();
            conflicts.add(key);
            if (!reportedConflicts.contains(key)) {
              log.warn("service id {} is claimed by {} and {}; keeping the one from {}",
                  instance.id(), winner.origin(), instance.origin(), winner.origin());
            }
          }
        }
      }
    }
    reportedConflicts.retainAll(conflicts);
    reportedConflicts.addAll(conflicts);
    snapshot = new DesiredState(services, listedOnce.containsAll(sources), ++version);
  }

  private void notifyListeners() {
    for (Runnable listener : new ArrayList<>(changeListeners)) {
      try {
        listener.run();
      } catch (RuntimeException e) {
        log.error("desired-state listener failed", e);
      }
    }
  }
}
