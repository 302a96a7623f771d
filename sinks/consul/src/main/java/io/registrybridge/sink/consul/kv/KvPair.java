package io.registrybridge.sink.consul.kv;

import static java.util.Objects.requireNonNull;

/**
 * One key as Consul holds it.
 *
 * @param value the value as UTF-8 text; empty for a key without a value
 * @param flags the key's flags, as the 64 bits Consul stores (an unsigned number; values of 2^63
 *     and more are negative here)
 */
record KvPair(String key, String value, long flags) {
  KvPair {
    requireNonNull(key, "key");
    requireNonNull(value, "value");
  }
}
