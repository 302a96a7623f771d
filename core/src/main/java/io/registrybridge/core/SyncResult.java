package io.registrybridge.core;

/** The writes one {@link Sink#sync} made. */
public record SyncResult(int created, int updated, int deleted) {

  public static final SyncResult NOTHING = new SyncResult(0, 0, 0);

  public int writes() {
    return created + updated + deleted;
  }
}
