package io.registrybridge.core;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * An immutable snapshot of every service the sources see, keyed by service ID.
 *
 * @param services by {@link ServiceInstance#id()}, sorted
 * @param complete whether every source has finished one full listing; until then a sink may add
 *     and update but must not delete, or a restart would briefly wipe services that are still
 *     running
 * @param version increases with every change, so loops can tell snapshots apart cheaply
 */
public record DesiredState(SortedMap<String, ServiceInstance> services, boolean complete,
    long version) {

  public static final DesiredState EMPTY_INCOMPLETE = new DesiredState(new TreeMap<>(), false, 0);

  public DesiredState {
    services = Collections.unmodifiableSortedMap(new TreeMap<>(services));
  }

  public static DesiredState of(Map<String, ServiceInstance> services, boolean complete,
      long version) {
    return new DesiredState(new TreeMap<>(services), complete, version);
  }
}
