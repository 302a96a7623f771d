package io.registrybridge.core;

import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * An immutable snapshot of every service the sources see, keyed by service ID: what a full
 * {@link Sink#sync} works from. It is also a {@link DesiredView}, so a sink can run its
 * incremental path over a snapshot.
 *
 * @param services by {@link ServiceInstance#id()}, sorted
 * @param complete whether every source has finished one full listing; until then a sink may add
 *     and update but must not delete, or a restart would briefly wipe services that are still
 *     running
 * @param version increases with every change, so loops can tell snapshots apart cheaply
 * @param listedSources the sources that have finished one full listing (all of them when {@code
 *     complete}); a sink may delete what one of them reported before ({@link #mayDelete})
 */
public record DesiredState(SortedMap<String, ServiceInstance> services, boolean complete,
    long version, Set<String> listedSources) implements DesiredView {

  public static final DesiredState EMPTY_INCOMPLETE =
      new DesiredState(new TreeMap<>(), false, 0, Set.of());

  public DesiredState {
    services = Collections.unmodifiableSortedMap(new TreeMap<>(services));
    listedSources = Set.copyOf(listedSources);
  }

  /** A state in which either every source or none has listed. */
  public static DesiredState of(Map<String, ServiceInstance> services, boolean complete,
      long version) {
    return new DesiredState(new TreeMap<>(services), complete, version, Set.of());
  }

  public static DesiredState of(Map<String, ServiceInstance> services, boolean complete,
      long version, Set<String> listedSources) {
    return new DesiredState(new TreeMap<>(services), complete, version, listedSources);
  }

  @Override
  public boolean listed(String source) {
    return complete || listedSources.contains(source);
  }

  @Override
  public Optional<DesiredEntry> entry(String id) {
    return get(id).map(DesiredEntry::of);
  }

  @Override
  public Optional<ServiceInstance> get(String id) {
    return Optional.ofNullable(services.get(id));
  }

  /** Scans every service: O(n). */
  @Override
  public Set<String> idsNamed(String name) {
    return services.values().stream().filter(s -> s.name().equals(name))
        .map(ServiceInstance::id).collect(Collectors.toUnmodifiableSet());
  }

  @Override
  public long revision() {
    return version;
  }

  @Override
  public int size() {
    return services.size();
  }

  @Override
  public DesiredState snapshot() {
    return this;
  }
}
