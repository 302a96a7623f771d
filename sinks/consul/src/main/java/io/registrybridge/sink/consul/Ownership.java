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

  /** The agent's services, split. Both maps are sorted by ID. */
  record Split(SortedMap<String, AgentService> managed, SortedMap<String, AgentService> foreign) {
    Split {
      managed = Collections.unmodifiableSortedMap(managed);
      foreign = Collections.unmodifiableSortedMap(foreign);
    }
  }

  Ownership(String ownerId, Optional<String> legacyPrefix) {
    this.ownerId = requireNonNull(ownerId, "ownerId");
    this.legacyPrefix = requireNonNull(legacyPrefix, "legacyPrefix");
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
