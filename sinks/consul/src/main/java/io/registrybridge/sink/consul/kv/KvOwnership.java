package io.registrybridge.sink.consul.kv;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Which keys the sink may change. Consul KV has no metadata but a key's {@code flags}, a 64-bit
 * number that Consul stores and returns untouched; the sink writes its <em>owner mark</em> there.
 *
 * <p>The mark is {@code FNV-1a-64("registry-bridge:" + ownerId)} with the top bit cleared (so
 * that it reads as a positive signed number in every client), and 1 should that be 0. Registrator
 * and most tools write flags 0, {@code consul lock} writes {@code 0x2ddccbc058a50c18}: neither is a
 * mark. A key is <em>ours</em> when its flags equal our mark; with Registrator's {@code -cleanup},
 * a key with flags 0 whose ID starts with {@code <hostname>:} (what Registrator on this host
 * wrote) is <em>legacy</em> and managed too: removed when not desired, taken over (written again
 * with our mark) when desired. Every other key is foreign and never written or removed.
 */
final class KvOwnership {
  private static final String MARK_SEED = "registry-bridge:";

  private final long mark;
  private final Optional<String> legacyIdPrefix;

  /**
   * @param legacyIdPrefix with {@code -cleanup}: {@code <hostname>:}
   */
  KvOwnership(String ownerId, Optional<String> legacyIdPrefix) {
    this.mark = markOf(requireNonNull(ownerId, "ownerId"));
    this.legacyIdPrefix = requireNonNull(legacyIdPrefix, "legacyIdPrefix");
    legacyIdPrefix.ifPresent(prefix -> {
      if (prefix.isBlank()) {
        throw new IllegalArgumentException("the legacy ID prefix must not be blank");
      }
    });
  }

  /** The flags every key of this owner carries. */
  long mark() {
    return mark;
  }

  static long markOf(String ownerId) {
    long hash = 0xcbf29ce484222325L;
    for (byte b : (MARK_SEED + ownerId).getBytes(StandardCharsets.UTF_8)) {
      hash ^= b & 0xff;
      hash *= 0x100000001b3L;
    }
    hash &= Long.MAX_VALUE;
    return hash == 0 ? 1 : hash;
  }

  boolean ours(long flags) {
    return flags == mark;
  }

  /** A key Registrator wrote on this host, managed only with {@code -cleanup}. */
  boolean legacy(long flags, String id) {
    return flags == 0 && legacyIdPrefix.isPresent() && id.startsWith(legacyIdPrefix.get());
  }
}
