package io.registrybridge.source.docker;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A container's {@code SERVICE_*} attributes from its environment and labels, resolved per port.
 *
 * <p>{@code SERVICE_<KEY>} is generic; {@code SERVICE_<port>_<KEY>} applies only to that
 * container port (both transports). Keys are the lower-cased rest: {@code SERVICE_CHECK_HTTP} is
 * {@code check_http}. For one port, the value is taken from the first of:
 *
 * <ol>
 *   <li>a port-specific label,
 *   <li>a port-specific environment entry,
 *   <li>a generic label,
 *   <li>a generic environment entry.
 * </ol>
 *
 * <p>Registrator merged labels and environment into one map in which the environment won, and
 * then let whichever key the Go map iteration met last decide between port-specific and generic
 * ones, except that a port-specific key met first stuck. Here port-specific always beats generic,
 * and within the same specificity a label beats an environment entry: a label can be added to
 * a container by an operator without rebuilding the image whose {@code ENV} it overrides.
 *
 * <p>A set value wins even when it is empty; to the users of an attribute, empty means unset, so
 * {@code SERVICE_80_CHECK_HTTP=} switches off a generic HTTP check for port 80. When two keys of
 * the same source lower-case alike ({@code SERVICE_Name}, {@code SERVICE_NAME}), the one that
 * sorts first wins, where Registrator picked one at random.
 */
final class ServiceAttributes {

  /** Where an attribute came from. */
  enum Origin {
    ENV,
    LABEL
  }

  /**
   * One resolved attribute.
   *
   * @param key the lower-cased key without prefix and port ({@code check_http})
   * @param value as written, untrimmed
   * @param sourceKey the key as written on the container ({@code SERVICE_80_CHECK_HTTP}), for
   *     messages
   * @param portSpecific whether it came from a {@code SERVICE_<port>_} key
   */
  record Attribute(String key, String value, String sourceKey, Origin origin,
      boolean portSpecific) {
    Attribute {
      requireNonNull(key, "key");
      requireNonNull(value, "value");
      requireNonNull(sourceKey, "sourceKey");
      requireNonNull(origin, "origin");
    }

    /** The trimmed value, or empty when it is blank (an empty value means unset). */
    Optional<String> text() {
      String v = value.trim();
      return v.isEmpty() ? Optional.empty() : Optional.of(v);
    }
  }

  private final SortedMap<String, Attribute> generic;
  // port -> key -> attribute; a port of -1 stands for a number no port can have (SERVICE_99999_X)
  private final SortedMap<Integer, SortedMap<String, Attribute>> byPort;

  private ServiceAttributes(SortedMap<String, Attribute> generic,
      SortedMap<Integer, SortedMap<String, Attribute>> byPort) {
    this.generic = generic;
    this.byPort = byPort;
  }

  /** Parses every {@code SERVICE_*} key of {@code env} and {@code labels}. */
  static ServiceAttributes of(Map<String, String> env, Map<String, String> labels) {
    SortedMap<String, Attribute> generic = new TreeMap<>();
    SortedMap<Integer, SortedMap<String, Attribute>> byPort = new TreeMap<>();
    // Environment first, labels second, so that a label replaces an environment entry.
    for (Origin origin : Origin.values()) {
      Map<String, String> source = origin == Origin.ENV ? env : labels;
      Map<String, Attribute> seenGeneric = new HashMap<>();
      Map<Integer, Map<String, Attribute>> seenByPort = new HashMap<>();
      for (Map.Entry<String, String> e : new TreeMap<>(source).entrySet()) {
        parse(e.getKey(), e.getValue(), origin).ifPresent(parsed -> {
          if (parsed.port() == null) {
            seenGeneric.putIfAbsent(parsed.attribute().key(), parsed.attribute());
          } else {
            seenByPort.computeIfAbsent(parsed.port(), p -> new HashMap<>())
                .putIfAbsent(parsed.attribute().key(), parsed.attribute());
          }
        });
      }
      generic.putAll(seenGeneric);
      seenByPort.forEach((port, attrs) ->
          byPort.computeIfAbsent(port, p -> new TreeMap<>()).putAll(attrs));
    }
    return new ServiceAttributes(generic, byPort);
  }

  /** The attributes that apply to {@code containerPort}, by key. */
  SortedMap<String, Attribute> forPort(int containerPort) {
    SortedMap<String, Attribute> resolved = new TreeMap<>(generic);
    resolved.putAll(byPort.getOrDefault(containerPort, Collections.emptySortedMap()));
    return Collections.unmodifiableSortedMap(resolved);
  }

  /** The generic attributes ({@code SERVICE_<KEY>}), by key. */
  SortedMap<String, Attribute> generic() {
    return Collections.unmodifiableSortedMap(generic);
  }

  /** The port-specific attributes by port, including ports the container does not have. */
  SortedMap<Integer, SortedMap<String, Attribute>> portSpecific() {
    return Collections.unmodifiableSortedMap(byPort);
  }

  private record Parsed(Integer port, Attribute attribute) {}

  private static Optional<Parsed> parse(String sourceKey, String value, Origin origin) {
    if (!sourceKey.startsWith(ContainerView.SERVICE_PREFIX)) {
      return Optional.empty();
    }
    String key = sourceKey.substring(ContainerView.SERVICE_PREFIX.length())
        .toLowerCase(Locale.ROOT);
    if (key.isEmpty()) {
      return Optional.empty();
    }
    String v = value == null ? "" : value;
    int underscore = key.indexOf('_');
    // Like Registrator, SERVICE_80_NAME is port-specific but SERVICE_80 is a generic attribute
    // called "80".
    if (underscore > 0 && underscore < key.length() - 1
        && key.substring(0, underscore).chars().allMatch(c -> c >= '0' && c <= '9')) {
      String digits = key.substring(0, underscore);
      int port = digits.length() <= 5 ? Integer.parseInt(digits) : -1;
      if (port < 1 || port > 65535) {
        port = -1;
      }
      String rest = key.substring(underscore + 1);
      return Optional.of(new Parsed(port, new Attribute(rest, v, sourceKey, origin, true)));
    }
    return Optional.of(new Parsed(null, new Attribute(key, v, sourceKey, origin, false)));
  }
}
