package io.registrybridge.sink.consul;

import static java.util.Objects.requireNonNull;

import io.registrybridge.core.Health;
import java.util.Set;

/**
 * What the sink knows the agent holds for one service it manages: the mirror entry that lets a
 * change cost one write and no read.
 *
 * @param hash the {@value ConsulMeta#HASH} the agent has; null for a legacy registration, which
 *     never matches a plan and so is taken over
 * @param checkIds the IDs of the checks the agent has for it when the sink wrote it itself; null
 *     when it was only read (Consul's service list has no checks)
 * @param legacy whether it was left by Registrator rather than written by us
 * @param health the status its mirrored health check shows; null when it has none or the sink
 *     does not know it
 * @param source the {@value ConsulMeta#SOURCE} it carries; empty when it carries none (written
 *     before the sink recorded it, or by Registrator), which waits for every source to list
 */
record HeldService(String id, String describe, String hash, Set<String> checkIds,
    boolean legacy, Health.Status health, String source) {

  HeldService {
    requireNonNull(id, "id");
    requireNonNull(describe, "describe");
    requireNonNull(source, "source");
    checkIds = checkIds == null ? null : Set.copyOf(checkIds);
  }

  /** A service as the agent's service list shows it. */
  static HeldService read(AgentService service) {
    return new HeldService(service.id(), service.describe(), service.meta().get(ConsulMeta.HASH),
        null, Ownership.isLegacy(service), null,
        service.meta().getOrDefault(ConsulMeta.SOURCE, ""));
  }

  /** A service just written from {@code plan}. */
  static HeldService written(PlannedRegistration plan) {
    return new HeldService(plan.id(), plan.describe(), plan.hash(), plan.checkIds(), false,
        plan.health().map(Health::status).orElse(null), sourceOf(plan));
  }

  /** The same service, its health check now showing {@code status}. */
  HeldService withHealth(Health.Status status) {
    return new HeldService(id, describe, hash, checkIds, legacy, status, source);
  }

  /** The source {@code plan} marks its registration with; empty when none. */
  static String sourceOf(PlannedRegistration plan) {
    return plan.registration().getMeta().getOrDefault(ConsulMeta.SOURCE, "");
  }

  /** Whether its health check shows what {@code plan} wants (trivially, when it wants none). */
  boolean healthMatches(PlannedRegistration plan) {
    return plan.health().map(h -> h.status() == health).orElse(true);
  }

  boolean matches(PlannedRegistration plan) {
    return plan.hash().equals(hash);
  }
}
