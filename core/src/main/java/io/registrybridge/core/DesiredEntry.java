package io.registrybridge.core;

import static java.util.Objects.requireNonNull;

/**
 * One service of the {@link DesiredIndex}, with a fingerprint computed once when the source
 * reported it, so that sinks can cache what they derive from it (a rendered registration, its
 * hash) and tell cheaply whether it changed.
 *
 * @param instance the winning instance for its ID
 * @param contentHash a 64-bit hash of every field of {@code instance}; equal instances have equal
 *     hashes within and across runs
 */
public record DesiredEntry(ServiceInstance instance, long contentHash) {

  public DesiredEntry {
    requireNonNull(instance, "instance");
  }

  /** Wraps {@code instance}, hashing it. */
  public static DesiredEntry of(ServiceInstance instance) {
    return new DesiredEntry(instance, hash(instance));
  }

  /**
   * FNV-1a over the record's text form, which spells every component in a fixed order (meta is
   * sorted, enums print their names, durations print ISO-8601), so it is stable across runs.
   */
  static long hash(ServiceInstance instance) {
    String text = instance.toString();
    long hash = 0xcbf29ce484222325L;
    for (int i = 0; i < text.length(); i++) {
      hash ^= text.charAt(i);
      hash *= 0x100000001b3L;
    }
    return hash;
  }
}
