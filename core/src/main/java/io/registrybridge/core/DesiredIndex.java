package io.registrybridge.core;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every service the sources see, kept as an index {@code id -> instance} that is updated in place,
 * and told to listeners as the set of IDs that changed.
 *
 * <p>The cost of a report is proportional to what it touches: an update of one origin (a
 * container, an EndpointSlice) looks only at the IDs that origin had and has. Nothing is copied
 * or re-hashed for the rest of the index; a full copy is made only by {@link #snapshot()}, for a
 * sink's full sync.
 *
 * <p>Memory is bounded by the number of running services, not by the number of events: an update
 * replaces what its origin had, so a sink that is down for an hour finds the latest state.
 *
 * <p>When several origins claim one service ID (two containers with the same {@code SERVICE_ID}),
 * the claim whose source, then origin, then position in the origin's list sorts first wins, and
 * the others are reported once. When the winner goes, the next claim takes over.
 *
 * <p>Writers (the sources' threads) serialize on a lock; readers ({@link #entry}, from the sinks'
 * threads) do not take it.
 */
public final class DesiredIndex implements DesiredView {
  private static final Logger log = LoggerFactory.getLogger(DesiredIndex.class);

  /**
   * What one report changed.
   *
   * @param revision the index's revision after the change
   * @param ids the IDs whose desired instance appeared, changed or went away
   * @param becameComplete whether this report completed the first listing of every source
   * @param firstListingOf the source whose first full listing this was, if it was one: sinks
   *     may now delete what that source reported before, so they go over everything once
   */
  public record Change(long revision, Set<String> ids, boolean becameComplete,
      Optional<String> firstListingOf) {
    public Change {
      ids = Set.copyOf(ids);
      requireNonNull(firstListingOf, "firstListingOf");
    }

    public Change(long revision, Set<String> ids, boolean becameComplete) {
      this(revision, ids, becameComplete, Optional.empty());
    }
  }

  /** Receives every change, on the reporting source's thread; must return quickly. */
  public interface Listener {
    void changed(Change change);
  }

  /** Orders competing claims on one ID. */
  private record Claim(String source, String origin, int position) {
    static final Comparator<Claim> ORDER = Comparator.comparing(Claim::source)
        .thenComparing(Claim::origin).thenComparingInt(Claim::position);
  }

  private final Object lock = new Object();
  private final Set<String> sources;
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();

  // Guarded by lock.
  private final Map<String, Map<String, List<ServiceInstance>>> bySource = new HashMap<>();
  private final Map<String, TreeMap<Claim, ServiceInstance>> claims = new HashMap<>();
  private final Map<String, Set<String>> idsByName = new HashMap<>();
  private final Set<String> listedOnce = new HashSet<>();
  // id -> origins of losing claims already warned about
  private final Map<String, Set<String>> reportedConflicts = new HashMap<>();

  // Written under lock, read without it.
  private final ConcurrentHashMap<String, DesiredEntry> winners = new ConcurrentHashMap<>();
  private volatile long revision;
  private volatile boolean complete;

  /** @param sourceNames every source that must list once before the state is complete */
  public DesiredIndex(Collection<String> sourceNames) {
    this.sources = Set.copyOf(sourceNames);
    for (String source : sources) {
      bySource.put(source, new HashMap<>());
    }
    this.complete = sources.isEmpty();
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
        DesiredIndex.this.replaceAll(sourceName, instancesByOrigin);
      }

      @Override
      public void update(String origin, List<ServiceInstance> instances) {
        DesiredIndex.this.update(sourceName, origin, instances);
      }
    };
  }

  public void addListener(Listener listener) {
    listeners.add(requireNonNull(listener, "listener"));
  }

  @Override
  public Optional<DesiredEntry> entry(String id) {
    return Optional.ofNullable(winners.get(id));
  }

  @Override
  public Set<String> idsNamed(String name) {
    synchronized (lock) {
      Set<String> ids = idsByName.get(name);
      return ids == null ? Set.of() : Set.copyOf(ids);
    }
  }

  @Override
  public boolean complete() {
    return complete;
  }

  @Override
  public boolean listed(String source) {
    synchronized (lock) {
      return listedOnce.contains(source);
    }
  }

  @Override
  public long revision() {
    return revision;
  }

  @Override
  public int size() {
    return winners.size();
  }

  @Override
  public DesiredState snapshot() {
    synchronized (lock) {
      Map<String, ServiceInstance> services = new HashMap<>(winners.size() * 2);
      winners.forEach((id, entry) -> services.put(id, entry.instance()));
      return DesiredState.of(services, complete, revision, listedOnce);
    }
  }

  private void replaceAll(String source, Map<String, List<ServiceInstance>> byOrigin) {
    Change change;
    synchronized (lock) {
      Set<String> changed = new LinkedHashSet<>();
      Set<String> origins = new HashSet<>(bySource.get(source).keySet());
      origins.addAll(byOrigin.keySet());
      for (String origin : origins) {
        replaceOrigin(source, origin, byOrigin.getOrDefault(origin, List.of()), changed);
      }
      // A source's first listing allows deleting what it reported before, even while another
      // source is still down: the sinks go over everything they hold once (a full sync).
      Optional<String> firstListing = listedOnce.add(source) ? Optional.of(source)
          : Optional.empty();
      change = commit(changed, firstListing);
    }
    notifyListeners(change);
  }

  private void update(String source, String origin, List<ServiceInstance> instances) {
    Change change;
    synchronized (lock) {
      Set<String> changed = new LinkedHashSet<>();
      replaceOrigin(source, origin, instances, changed);
      change = commit(changed, Optional.empty());
    }
    notifyListeners(change);
  }

  // Called with the lock held: replaces one origin's claims and adds the IDs whose winner changed.
  private void replaceOrigin(String source, String origin, List<ServiceInstance> instances,
      Set<String> changed) {
    Map<String, List<ServiceInstance>> origins = bySource.get(source);
    List<ServiceInstance> fresh = stamped(source, instances);
    List<ServiceInstance> previous = fresh.isEmpty()
        ? origins.remove(origin)
        : origins.put(origin, fresh);
    if (previous == null ? fresh.isEmpty() : previous.equals(fresh)) {
      return;
    }
    Set<String> touched = new LinkedHashSet<>();
    if (previous != null) {
      for (int i = 0; i < previous.size(); i++) {
        String id = previous.get(i).id();
        TreeMap<Claim, ServiceInstance> onId = claims.get(id);
        onId.remove(new Claim(source, origin, i));
        if (onId.isEmpty()) {
          claims.remove(id);
        }
        touched.add(id);
      }
    }
    for (int i = 0; i < fresh.size(); i++) {
      ServiceInstance instance = fresh.get(i);
      claims.computeIfAbsent(instance.id(), id -> new TreeMap<>(Claim.ORDER))
          .put(new Claim(source, origin, i), instance);
      touched.add(instance.id());
    }
    for (String id : touched) {
      if (elect(id)) {
        changed.add(id);
      }
    }
  }

  /** The instances, each saying which source reported it; copied only where one does not. */
  private static List<ServiceInstance> stamped(String source, List<ServiceInstance> instances) {
    List<ServiceInstance> out = new ArrayList<>(instances.size());
    for (ServiceInstance instance : instances) {
      out.add(instance.source().equals(source) ? instance
          : instance.toBuilder().source(source).build());
    }
    return List.copyOf(out);
  }

  // Called with the lock held: makes the first claim the winner; returns whether it changed.
  private boolean elect(String id) {
    TreeMap<Claim, ServiceInstance> onId = claims.get(id);
    DesiredEntry current = winners.get(id);
    if (onId == null) {
      if (current == null) {
        return false;
      }
      winners.remove(id);
      unindexName(current.instance());
      reportedConflicts.remove(id);
      return true;
    }
    reportConflicts(id, onId);
    ServiceInstance winner = onId.firstEntry().getValue();
    if (current != null && current.instance().equals(winner)) {
      return false;
    }
    if (current != null) {
      unindexName(current.instance());
    }
    winners.put(id, DesiredEntry.of(winner));
    idsByName.computeIfAbsent(winner.name(), n -> new HashSet<>()).add(id);
    return true;
  }

  private void unindexName(ServiceInstance instance) {
    Set<String> ids = idsByName.get(instance.name());
    if (ids != null) {
      ids.remove(instance.id());
      if (ids.isEmpty()) {
        idsByName.remove(instance.name());
      }
    }
  }

  /** Warns once per losing claim; a claim that stops losing may be warned about again later. */
  private void reportConflicts(String id, TreeMap<Claim, ServiceInstance> onId) {
    if (onId.size() == 1) {
      reportedConflicts.remove(id);
      return;
    }
    ServiceInstance winner = onId.firstEntry().getValue();
    Set<String> warned = reportedConflicts.computeIfAbsent(id, k -> new HashSet<>());
    Set<String> losing = new HashSet<>();
    for (ServiceInstance loser : new ArrayList<>(onId.values()).subList(1, onId.size())) {
      losing.add(loser.origin());
      if (warned.add(loser.origin())) {
        log.warn("service id {} is claimed by {} and {}; keeping the one from {}", id,
            winner.origin(), loser.origin(), winner.origin());
      }
    }
    warned.retainAll(losing);
  }

  // Called with the lock held.
  private Change commit(Set<String> changed, Optional<String> firstListing) {
    if (changed.isEmpty() && firstListing.isEmpty()) {
      return null;
    }
    boolean becameComplete = !complete && listedOnce.containsAll(sources);
    if (becameComplete) {
      complete = true;
    }
    revision++;
    return new Change(revision, changed, becameComplete, firstListing);
  }

  private void notifyListeners(Change change) {
    if (change == null) {
      return;
    }
    for (Listener listener : listeners) {
      try {
        listener.changed(change);
      } catch (RuntimeException e) {
        log.error("desired-state listener failed", e);
      }
    }
  }
}
