package io.registrybridge.sink.etcd;

import io.registrybridge.core.ControlPlaneUnavailableException;
import java.util.Collection;
import java.util.List;

/**
 * One etcd API, as the sink needs it: read every key under the root, write and delete one key,
 * keep the TTL alive. Every method throws {@link ControlPlaneUnavailableException} when no
 * endpoint answers; {@link Rejected} is about one key.
 */
interface KeyStore {

  /** No TTL: the key stays until it is deleted. */
  long PERMANENT = 0;

  /** A key as etcd holds it. {@code mark} is {@link #PERMANENT} or the store's TTL mark. */
  record StoredKey(String key, String value, long mark) {}

  /** etcd refused this request for this key (a 4xx); the others are not concerned. */
  final class Rejected extends Exception {
    private static final long serialVersionUID = 1L;

    Rejected(String reason) {
      super(reason, null, false, false);
    }
  }

  /** Every key below {@code root + "/"}, at any depth. */
  List<StoredKey> readAll();

  /**
   * Takes over the TTL mark of what an earlier run of this owner wrote, when it is still alive
   * and has the TTL asked for, so that a restart writes nothing (etcd3's lease); otherwise does
   * nothing.
   */
  default void adopt() {}

  /** The mark a write gets now: {@link #PERMANENT} without {@code -ttl}. */
  long writeMark();

  /**
   * Writes {@code value} at {@code key} with {@code mark}.
   *
   * @return the mark it was written with (a lost lease is replaced on the way)
   */
  long put(String key, String value, long mark) throws Rejected;

  /** Deletes one key; a key that is already gone is fine. */
  void delete(String key) throws Rejected;

  /**
   * Keeps the TTL of these keys alive.
   *
   * @return false when etcd lost something (a key expired, the lease is gone): a full sync
   *     writes it again
   */
  boolean refresh(Collection<StoredKey> held);

  /** Whether a key read from etcd carries the mark of what this run writes. */
  default boolean markedByUs(long mark) {
    return false;
  }
}
