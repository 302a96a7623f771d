package io.registrybridge.core;

import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * The rules a {@link ServiceInstance#meta()} map obeys, so every sink can write it unchanged.
 *
 * <p>They are Consul's rules for {@code ServiceMeta}, the strictest of our sinks: keys of ASCII
 * letters, digits, {@code _} and {@code -}, at most 128 characters, no {@code consul-} prefix;
 * values of at most 512 characters; at most 64 pairs. Consul rejects a whole registration when one
 * pair breaks a rule, so a source drops the offending pair with a warning instead, and every
 * other attribute still gets through. A few keys are reserved for the sinks themselves.
 */
public final class MetaKeys {
  /** Consul's limits (agent/structs: metaKeyMaxLength, metaValueMaxLength, metaMaxKeyPairs). */
  public static final int MAX_KEY_LENGTH = 128;

  public static final int MAX_VALUE_LENGTH = 512;
  public static final int MAX_PAIRS = 64;

  /** Application protocol; Consul's and Istio's convention for {@code Meta.protocol}. */
  public static final String PROTOCOL = "protocol";

  /** Prefix of keys the sinks write to mark and fingerprint what the bridge owns. */
  public static final String BRIDGE_PREFIX = "registry-bridge-";

  /** Pairs kept free for the sinks' own keys: protocol, owner marker, source, content hash. */
  public static final int RESERVED_PAIRS = 4;

  private static final Pattern KEY = Pattern.compile("[A-Za-z0-9_-]+");

  private MetaKeys() {}

  /**
   * Returns the pairs of {@code attributes} that every sink accepts, in key order. Each dropped
   * pair is described to {@code warnings} with its key and the rule it broke; values are never
   * included in the message because they may hold secrets.
   */
  public static SortedMap<String, String> sanitize(
      Map<String, String> attributes, Consumer<String> warnings) {
    return sanitizeByKey(attributes, (key, problem) -> warnings.accept(
        "meta key '" + key + "' dropped: " + problem));
  }

  /**
   * Like {@link #sanitize(Map, Consumer)}, telling {@code problems} the key and the rule it broke
   * separately, so that a source can name the key as its user wrote it (a container label, an
   * annotation).
   */
  public static SortedMap<String, String> sanitizeByKey(
      Map<String, String> attributes, BiConsumer<String, String> problems) {
    SortedMap<String, String> kept = new TreeMap<>();
    for (Map.Entry<String, String> e : new TreeMap<>(attributes).entrySet()) {
      String problem = problemWith(e.getKey(), e.getValue());
      if (problem != null) {
        problems.accept(e.getKey(), problem);
      } else if (kept.size() >= MAX_PAIRS - RESERVED_PAIRS) {
        problems.accept(e.getKey(), "more than " + (MAX_PAIRS - RESERVED_PAIRS)
            + " attributes");
      } else {
        kept.put(e.getKey(), e.getValue());
      }
    }
    return kept;
  }

  /**
   * The meta a source derives from its attributes (container labels and env, annotations): the
   * value of each attribute whose key {@code isMeta} accepts, then {@code added} (keys the source
   * sets itself, which win), as far as {@link #sanitizeByKey} lets them through. A dropped pair
   * is reported to {@code problems} under the key as its user wrote it ({@code sourceKey}), or
   * {@code meta <key>} for an added one, with a message that never holds the value.
   */
  public static <A> SortedMap<String, String> fromAttributes(Map<String, A> attributes,
      Predicate<String> isMeta, Function<A, String> value, Function<A, String> sourceKey,
      Map<String, String> added, BiConsumer<String, String> problems) {
    SortedMap<String, String> wanted = new TreeMap<>();
    Map<String, String> sourceKeys = new TreeMap<>();
    attributes.forEach((key, attribute) -> {
      if (isMeta.test(key)) {
        wanted.put(key, value.apply(attribute));
        sourceKeys.put(key, sourceKey.apply(attribute));
      }
    });
    wanted.putAll(added);
    sourceKeys.keySet().removeAll(added.keySet());
    return sanitizeByKey(wanted, (key, problem) -> problems.accept(
        sourceKeys.getOrDefault(key, "meta " + key), "meta key '" + key + "' dropped: " + problem));
  }

  /** Why Consul would reject this pair, or null when it is fine. */
  static String problemWith(String key, String value) {
    if (key.isEmpty()) {
      return "empty key";
    }
    if (key.length() > MAX_KEY_LENGTH) {
      return "key longer than " + MAX_KEY_LENGTH + " characters";
    }
    if (!KEY.matcher(key).matches()) {
      return "key may only hold letters, digits, '_' and '-'";
    }
    String lower = key.toLowerCase(Locale.ROOT);
    if (lower.startsWith("consul-")) {
      return "the 'consul-' prefix is reserved by Consul";
    }
    if (lower.startsWith(BRIDGE_PREFIX)) {
      return "the '" + BRIDGE_PREFIX + "' prefix is reserved for the bridge";
    }
    if (lower.equals(PROTOCOL)) {
      return "protocol is set through SERVICE_PROTOCOL, not as an attribute";
    }
    if (value == null) {
      return "no value";
    }
    if (value.length() > MAX_VALUE_LENGTH) {
      return "value longer than " + MAX_VALUE_LENGTH + " characters";
    }
    return null;
  }
}
