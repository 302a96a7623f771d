package io.registrybridge.sink.consul;

import static java.util.Objects.requireNonNull;

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
 */
record HeldService(String id, String describe, String hash, Set<String> checkIds,
    boolean legacy) {

  HeldService {
    requireNonNull(id, "id");
    requireNonNull(describe, "describe");
    checkIds = checkIds == null ? null : Set.copyOf(checkIds);
  }

  /** A service as the agent's service list shows it. */
  static HeldService read(AgentService service) {
    return new HeldService(service.id(), service.describe(), service.meta().get(ConsulMeta.HASH),
        null, Ownership.isLegacy(service));
  }

  /** A service just written from {@code plan}. */
  static HeldService written(PlannedRegistration plan) {
    return new HeldService(plan.id(), plan.describe(), plan.hash(), plan.checkIds(), false);
  }

  boolean matches(PlannedRegistration plan) {
    return plan.hash().equals(hash);
  }
}
