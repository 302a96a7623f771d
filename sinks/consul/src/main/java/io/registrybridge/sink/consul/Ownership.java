package io.registrybridge.sink.consul;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Decides which services on the agent the sink may change.
 *
 * <p>A service is <em>managed</em> when its {@value ConsulMeta#OWNER} is our owner ID, or, with
 * legacy cleanup on, when it has no owner marker at all and its ID starts with the legacy prefix
 * (a registration left by a real Registrator). Everything else is <em>foreign</em>: services of
 * other tools, of other bridges, and Consul's own {@code consul} service. The sink never writes
 * to a foreign service, not even when a desired service has the same ID.
 */
final class Ownership {
  private final String ownerId;
  private final Optional<String> legacyPrefix;
  private final Optional<String> namespace;

  /** The agent's services, split. Both maps are sorted by ID. */
  record Split(SortedMap<String, AgentService> managed, SortedMap<String, AgentService> foreign) {
    Split {
      managed = Collections.unmodifiableSortedMap(managed);
      foreign = Collections.unmodifiableSortedMap(foreign);
    }
  }

  Ownership(String ownerId, Optional<String> legacyPrefix) {
    this(ownerId, legacyPrefix, Optional.empty());
  }

  /**
   * @param namespace the prefix of the IDs this bridge generates ({@code <host>:}, Registrator's
   *     form), whose foreign holders a full read also lists; see {@link #readFilter()}
   */
  Ownership(String ownerId, Optional<String> legacyPrefix, Optional<String> namespace) {
    this.ownerId = requireNonNull(ownerId, "ownerId");
    this.legacyPrefix = requireNonNull(legacyPrefix, "legacyPrefix");
    this.namespace = requireNonNull(namespace, "namespace");
    namespace.ifPresent(prefix -> {
      if (prefix.isEmpty()) {
        throw new IllegalArgumentException("an empty ID namespace would match every service");
      }
    });
  }

  String ownerId() {
    return ownerId;
  }

  /**
   * The filter expression (go-bexpr) that selects the services this sink manages: the owner
   * mark, and with legacy cleanup also unmarked ones, whose ID prefix {@link #isManaged} checks.
   */
  String filter() {
    String own = "Meta[" + ConsulAgent.quote(ConsulMeta.OWNER) + "] == "
        + ConsulAgent.quote(ownerId);
    return legacyPrefix.isPresent()
        ? own + " or " + ConsulAgent.quote(ConsulMeta.OWNER) + " not in Meta"
        : own;
  }

  /**
   * What a full read asks for: {@link #filter()}, and with a namespace also every service whose
   * ID is in it, ours or not. The foreign ones among them are all the IDs of our form that anyone
   * else holds, so a create of any other ID of that form needs no lookup until the next full read
   * (the lookup cost about 4 ms of a container start's 15). A foreign service registered under our
   * form after that read can only come from a second writer using our host name on this agent: a
   * race the lookup could not win either, since both writers look up before either writes.
   */
  String readFilter() {
    return namespace.map(prefix -> filter() + " or ID matches " + ConsulAgent.quote(
        "^" + literalRegex(prefix))).orElseGet(this::filter);
  }

  /** Whether {@code id} has the form this bridge generates: a full read shows who holds it. */
  boolean inNamespace(String id) {
    return namespace.isPresent() && id.startsWith(namespace.get());
  }

  boolean hasNamespace() {
    return namespace.isPresent();
  }

  /** {@code s} as an RE2 pattern that matches it literally: every other character hex-escaped. */
  static String literalRegex(String s) {
    StringBuilder regex = new StringBuilder(s.length() * 2);
    s.codePoints().forEach(c -> {
      if (c < 128 && (Character.isLetterOrDigit(c) || c == ':' || c == '_')) {
        regex.appendCodePoint(c);
      } else {
        regex.append("\\x{").append(Integer.toHexString(c)).append('}');
      }
    });
    return regex.toString();
  }

  Split split(Map<String, AgentService> onAgent) {
    SortedMap<String, AgentService> managed = new TreeMap<>();
    SortedMap<String, AgentService> foreign = new TreeMap<>();
    onAgent.forEach((id, service) -> (isManaged(service) ? managed : foreign).put(id, service));
    return new Split(managed, foreign);
  }

  boolean isManaged(AgentService service) {
    String owner = service.meta().get(ConsulMeta.OWNER);
    if (owner != null) {
      return owner.equals(ownerId);
    }
    return legacyPrefix.isPresent() && service.id().startsWith(legacyPrefix.get());
  }

  /** Whether a managed service was left by Registrator rather than written by us. */
  static boolean isLegacy(AgentService service) {
    return !service.meta().containsKey(ConsulMeta.OWNER);
  }
}
