package io.registrybridge.core;

import java.util.Optional;
import java.util.Set;

/**
 * What a sink reads of the desired state: single services by ID for incremental work, a full
 * {@link #snapshot} for a full sync. Implementations are thread-safe; each call sees the newest
 * state, so a sink that applies a set of changed IDs always writes the latest version of each.
 */
public interface DesiredView {

  /** The desired service with this ID, if any. */
  Optional<DesiredEntry> entry(String id);

  /** The desired instance with this ID, if any. */
  default Optional<ServiceInstance> get(String id) {
    return entry(id).map(DesiredEntry::instance);
  }

  /** The IDs of every desired instance of the service {@code name}; a copy. */
  Set<String> idsNamed(String name);

  /**
   * Whether every source has finished one full listing. Until then sinks add and update but never
   * delete, or a restart would briefly wipe services that are still running.
   */
  boolean complete();

  /** Whether the source named {@code source} has finished one full listing. */
  boolean listed(String source);

  /**
   * Whether a sink may delete what it holds from {@code source} and is no longer desired: once
   * that source has listed once, so that a second source being down delays only its own
   * deletions. What a sink holds without a known source (written before sinks recorded it) waits
   * for every source, as {@link #complete()} says.
   */
  default boolean mayDelete(String source) {
    return complete() || (!source.isEmpty() && listed(source));
  }

  /** Increases with every change; equal revisions mean equal states. */
  long revision();

  /** How many services are desired. */
  int size();

  /** A copy of the whole state, for a full sync; costs O(n log n). */
  DesiredState snapshot();
}
