package io.registrybridge.core;

import java.util.HashSet;
import java.util.Set;

/**
 * The writes one {@link Sink#apply} or {@link Sink#sync} made.
 *
 * @param retry IDs the sink could not write this time for a reason that may pass (the control
 *     plane answered with an error); the reconciler hands them back after a backoff
 */
public record SyncResult(int created, int updated, int deleted, Set<String> retry) {

  public static final SyncResult NOTHING = new SyncResult(0, 0, 0);

  public SyncResult {
    retry = Set.copyOf(retry);
  }

  public SyncResult(int created, int updated, int deleted) {
    this(created, updated, deleted, Set.of());
  }

  public int writes() {
    return created + updated + deleted;
  }

  /** Both results added up. */
  public SyncResult plus(SyncResult other) {
    Set<String> both = new HashSet<>(retry);
    both.addAll(other.retry);
    return new SyncResult(created + other.created, updated + other.updated,
        deleted + other.deleted, both);
  }
}
