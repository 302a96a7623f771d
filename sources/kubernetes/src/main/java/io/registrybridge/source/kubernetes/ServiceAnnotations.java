package io.registrybridge.source.kubernetes;

import io.registrybridge.core.attributes.Attribute;
import io.registrybridge.core.attributes.AttributeSet;
import io.registrybridge.core.attributes.ServiceGrammar;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;

/**
 * The Kubernetes spelling of the attribute grammar ({@link ServiceGrammar}): a Service's
 * annotations, ours (the Docker source's {@code SERVICE_*} vocabulary under our prefix) and
 * consul-k8s catalog sync's under {@code consul.hashicorp.com/}, resolved per port.
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
  static final String SYNC = "sync";
  static final String PORT = "port";
  static final String WEIGHT = "weight";
  /** The keys of the whole Service, which have no per-port form. */
  static final Set<String> GENERIC_ONLY = Set.of(SYNC, PORT, WEIGHT);
  static final ServiceGrammar GRAMMAR = new ServiceGrammar(key -> PREFIX + key, GENERIC_ONLY);

  private static final String CONSUL_META = "service-meta-";
  private static final Map<String, String> CONSUL_KEYS = Map.of(
      "service-name", ServiceGrammar.NAME,
      "service-tags", ServiceGrammar.TAGS,
      "service-sync", SYNC,
      "service-port", PORT,
      "service-weight", WEIGHT);

  private ServiceAnnotations() {}

  /** The annotations by port reference: a Service port's number or its name, lower case. */
  static AttributeSet<String> of(Map<String, String> annotations) {
    AttributeSet.Builder<String> builder = AttributeSet.builder();
    annotations.forEach((name, value) -> {
      if (name.startsWith(CONSUL_PREFIX)) {
        consulKey(name.substring(CONSUL_PREFIX.length())).ifPresent(key ->
            builder.generic(new Attribute(key, value == null ? "" : value, name, false)));
      }
    });
    builder.nextLayer(); // ours beat consul-k8s's
    annotations.forEach((name, value) -> {
      if (name.startsWith(PREFIX) && name.length() > PREFIX.length()) {
        String v = value == null ? "" : value;
        String rest = name.substring(PREFIX.length()).toLowerCase(Locale.ROOT);
        int dot = rest.indexOf('.');
        if (dot > 0 && dot < rest.length() - 1) {
          builder.port(rest.substring(0, dot),
              new Attribute(rest.substring(dot + 1), v, name, true));
        } else {
          builder.generic(new Attribute(rest, v, name, false));
        }
      }
    });
    return builder.build();
  }

  /** The attributes of the Service port {@code number} called {@code name} (may be empty). */
  static SortedMap<String, Attribute> forPort(AttributeSet<String> annotations, int number,
      String name) {
    List<String> refs = new ArrayList<>(List.of(Integer.toString(number)));
    if (!name.isEmpty()) {
      refs.add(name.toLowerCase(Locale.ROOT)); // by name beats by number
    }
    return annotations.forPort(refs);
  }

  private static Optional<String> consulKey(String name) {
    if (name.startsWith(CONSUL_META) && name.length() > CONSUL_META.length()) {
      return Optional.of(name.substring(CONSUL_META.length()));
    }
    return Optional.ofNullable(CONSUL_KEYS.get(name));
  }
}
