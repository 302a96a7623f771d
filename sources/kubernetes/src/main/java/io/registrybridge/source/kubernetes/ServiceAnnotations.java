package io.registrybridge.source.kubernetes;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A Service's annotations in one vocabulary: the Docker source's ({@code SERVICE_*}) under our
 * prefix, and consul-k8s catalog sync's under {@code consul.hashicorp.com/}, resolved per port.
 *
 * <p>Ours: {@code registry-bridge.io/<key>} for every port and {@code
 * registry-bridge.io/<port>.<key>} for one Service port, named by number ({@code 80.name}) or by
 * name ({@code http.protocol}); keys are lower-cased. consul-k8s's {@code service-name}, {@code
 * service-tags}, {@code service-sync}, {@code service-port}, {@code service-weight} and {@code
 * service-meta-<key>} are read as our {@code name}, {@code tags}, {@code sync}, {@code port},
 * {@code weight} and {@code <key>}. For one port the value comes from the first of: our key for
 * that port by name, by number, our generic key, consul-k8s's key. Ours win so that a Service
 * migrated from consul-k8s can be adjusted without removing what it had.
 */
final class ServiceAnnotations {
  static final String PREFIX = "registry-bridge.io/";
  static final String CONSUL_PREFIX = "consul.hashicorp.com/";
  private static final String CONSUL_META = "service-meta-";
  private static final Map<String, String> CONSUL_KEYS = Map.of(
      "service-name", "name",
      "service-tags", "tags",
      "service-sync", "sync",
      "service-port", "port",
      "service-weight", "weight");

  /**
   * One annotation, resolved.
   *
   * @param key our lower-case key without prefix and port ({@code protocol})
   * @param value as written
   * @param sourceKey the annotation's name, for messages
   * @param portSpecific whether it applies to one port only
   */
  record Attribute(String key, String value, String sourceKey, boolean portSpecific) {
    Attribute {
      requireNonNull(key, "key");
      requireNonNull(value, "value");
      requireNonNull(sourceKey, "sourceKey");
    }

    /** The trimmed value, or empty when blank (an empty value means unset). */
    Optional<String> text() {
      String v = value.trim();
      return v.isEmpty() ? Optional.empty() : Optional.of(v);
    }
  }

  private final SortedMap<String, Attribute> generic;
  // port reference (a number or a port name) -> key -> attribute
  private final SortedMap<String, SortedMap<String, Attribute>> byPort;

  private ServiceAnnotations(SortedMap<String, Attribute> generic,
      SortedMap<String, SortedMap<String, Attribute>> byPort) {
    this.generic = generic;
    this.byPort = byPort;
  }

  static ServiceAnnotations of(Map<String, String> annotations) {
    SortedMap<String, Attribute> consul = new TreeMap<>();
    SortedMap<String, Attribute> ours = new TreeMap<>();
    SortedMap<String, SortedMap<String, Attribute>> byPort = new TreeMap<>();
    for (Map.Entry<String, String> e : new TreeMap<>(annotations).entrySet()) {
      String name = e.getKey();
      String value = e.getValue() == null ? "" : e.getValue();
      if (name.startsWith(CONSUL_PREFIX)) {
        consulKey(name.substring(CONSUL_PREFIX.length())).ifPresent(key ->
            consul.putIfAbsent(key, new Attribute(key, value, name, false)));
      } else if (name.startsWith(PREFIX) && name.length() > PREFIX.length()) {
        String rest = name.substring(PREFIX.length()).toLowerCase(Locale.ROOT);
        int dot = rest.indexOf('.');
        if (dot > 0 && dot < rest.length() - 1) {
          String key = rest.substring(dot + 1);
          byPort.computeIfAbsent(rest.substring(0, dot), p -> new TreeMap<>())
              .putIfAbsent(key, new Attribute(key, value, name, true));
        } else {
          ours.putIfAbsent(rest, new Attribute(rest, value, name, false));
        }
      }
    }
    SortedMap<String, Attribute> generic = new TreeMap<>(consul);
    generic.putAll(ours);
    return new ServiceAnnotations(generic, byPort);
  }

  private static Optional<String> consulKey(String name) {
    if (name.startsWith(CONSUL_META) && name.length() > CONSUL_META.length()) {
      return Optional.of(name.substring(CONSUL_META.length()));
    }
    return Optional.ofNullable(CONSUL_KEYS.get(name));
  }

  /** The attributes for the Service port {@code number} called {@code name} (may be empty). */
  SortedMap<String, Attribute> forPort(int number, String name) {
    SortedMap<String, Attribute> resolved = new TreeMap<>(generic);
    resolved.putAll(byPort.getOrDefault(Integer.toString(number), Collections.emptySortedMap()));
    if (!name.isEmpty()) {
      resolved.putAll(byPort.getOrDefault(name.toLowerCase(Locale.ROOT),
          Collections.emptySortedMap()));
    }
    return Collections.unmodifiableSortedMap(resolved);
  }

  /** The attributes for every port, by key. */
  SortedMap<String, Attribute> generic() {
    return Collections.unmodifiableSortedMap(generic);
  }

  /** The port-specific attributes by port reference (a number or a name, lower case). */
  SortedMap<String, SortedMap<String, Attribute>> portSpecific() {
    return Collections.unmodifiableSortedMap(byPort);
  }
}
