package io.registrybridge.sink.consul;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Service names that Consul's DNS interface cannot serve, each reported once per sink. Consul
 * registers such a name (its own log only warns), and then {@code NAME.service.consul} gets no
 * answer: a user who looks there finds nothing and no word from the bridge. Consul's rule
 * (agent.go, 1.8 to today): letters, digits and {@code -} only, at most 63 bytes.
 */
final class DnsNames {
  // The sink's logger: operators filter on its name.
  private static final Logger log = LoggerFactory.getLogger(ConsulSink.class);
  static final int MAX_LABEL_BYTES = 63;

  // Names already reported; per name, not per write or per instance, so a busy name is one line.
  private final Set<String> reported = ConcurrentHashMap.newKeySet();

  /**
   * What Consul DNS does with {@code name} and why, or null when it serves it. Measured against
   * Consul 1.8.7's DNS on port 8600: a name with '.' is read as {@code TAG.NAME} and gets
   * NXDOMAIN; a name over 63 bytes cannot be sent in a query at all; '_' is still answered, but
   * Consul flags it and hostname rules (RFC 952/1123) reject it.
   */
  static String problemWith(String name) {
    int bytes = name.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > MAX_LABEL_BYTES) {
      return "it is " + bytes + " bytes long and a DNS label has at most " + MAX_LABEL_BYTES
          + ", so no DNS query can ask for it";
    }
    if (name.indexOf('.') >= 0) {
      int dot = name.lastIndexOf('.');
      return "it contains '.', so Consul DNS reads " + name + ".service.consul as the tag '"
          + name.substring(0, dot) + "' of a service '" + name.substring(dot + 1)
          + "' and does not find it";
    }
    if (name.codePoints().anyMatch(c -> c > 127)) {
      return "it contains non-ASCII characters, which a DNS query carries only IDNA-encoded "
          + "(xn--...), a name Consul does not know";
    }
    Set<String> bad = new TreeSet<>();
    name.codePoints().filter(c -> !(Character.isLetterOrDigit(c) || c == '-'))
        .forEach(c -> bad.add(c < 32 || c == 127 ? String.format("U+%04X", c)
            : "'" + Character.toString(c) + "'"));
    if (!bad.isEmpty()) {
      return "it contains " + String.join(" ", bad) + ", which Consul marks as not discoverable"
          + " via DNS (it may answer, but resolvers and clients that follow hostname rules"
          + " refuse the name)";
    }
    return null;
  }

  /** Warns, the first time {@code name} is registered, when Consul DNS cannot serve it. */
  void registered(String sinkName, String name, String id, String from) {
    String problem = problemWith(name);
    if (problem != null && reported.add(name)) {
      log.warn("{}: service name \"{}\" of {}{} is not a valid DNS label: {}. It is registered"
          + " and Consul's HTTP API and catalog list it; for DNS, name it with letters, digits"
          + " and '-' only (at most 63)", sinkName, shorten(name), id, from, problem);
    }
  }

  private static String shorten(String name) {
    return name.length() > 80 ? name.substring(0, 77) + "..." : name;
  }
}
