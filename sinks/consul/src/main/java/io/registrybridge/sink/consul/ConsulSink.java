package io.registrybridge.sink.consul;

import static java.util.Objects.requireNonNull;

import io.registrybridge.core.DesiredState;
import io.registrybridge.core.Diff;
import io.registrybridge.core.MetaKeys;
import io.registrybridge.core.ServiceCheck;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.Sink;
import io.registrybridge.core.SyncResult;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the services of one Consul agent equal to the desired state, through the agent API
 * ({@code /v1/agent/services}, {@code /v1/agent/service/register}, {@code .../deregister}).
 * Create it with {@link ConsulSinkFactory}.
 *
 * <h2>Ownership</h2>
 *
 * Every registration carries {@code Meta.registry-bridge-owner = ownerId}. The sink only updates
 * and deregisters services that carry its own owner ID; services registered by anything else
 * (including other bridges and Consul itself) are never touched, even when not desired, and a
 * desired service whose ID is taken by such a foreign service is skipped with a warning.
 *
 * <p>The one exception is opt-in: with {@link ConsulSinkConfig#cleanupLegacy()} (Registrator's
 * {@code -cleanup}), services that have no owner marker and whose ID starts with {@link
 * ConsulSinkConfig#legacyIdPrefix()} (Registrator's {@code <host>:<container>:<port>[:udp]}) are
 * managed too: deregistered when not desired, and taken over (re-registered with our marker) when
 * a desired service has the same ID. This is how a host migrates off a real Registrator.
 *
 * <h2>Sync</h2>
 *
 * One {@code GET /v1/agent/services} per sync; a service is up to date when its {@code
 * Meta.registry-bridge-hash} equals the hash of what we would send (checks included), so a steady
 * state costs that one read and no write. A service the agent lost (restart, dev mode) is simply
 * missing from the read and registered again. Nothing is deleted while the desired state is
 * incomplete. After an update the agent's checks are read once more, because Consul keeps checks
 * that a re-registration no longer lists; those are deregistered.
 *
 * <p>When Consul refuses one registration (HTTP 400, 403, or script checks disabled on the agent)
 * the service is logged and skipped and the others are still written; the same registration is
 * sent again only when it changes, or after {@value #REJECTED_RETRY_MINUTES} minutes (a refused
 * deregistration likewise waits that long). Any other error answer is thrown after the remaining
 * writes; when Consul does not answer at all the sync stops and throws at once, so the reconciler
 * backs off and retries with the newest state.
 *
 * <h2>TTL</h2>
 *
 * With {@link ConsulSinkConfig#ttl()} set, every registration gets a TTL check {@code
 * service:<id>:ttl} and {@link #passTtlChecks()} (scheduled by {@link TtlHeartbeat}) passes them.
 * These passes are the only writes at steady state, and only when TTL is configured.
 *
 * <p>{@link #sync} must be called from one thread at a time; {@link #passTtlChecks()} may run
 * concurrently with it.
 */
public final class ConsulSink implements Sink {
  private static final Logger log = LoggerFactory.getLogger(ConsulSink.class);

  static final int REJECTED_RETRY_MINUTES = 10;
  private static final int MIN_REDACTED_LENGTH = 4;

  private final ConsulAgent agent;
  private final ConsulSinkConfig config;
  private final Clock clock;
  private final RegistrationMapper mapper;
  private final Ownership ownership;

  // Confined to the sync thread.
  private final RejectedRegistrations rejected =
      new RejectedRegistrations(Duration.ofMinutes(REJECTED_RETRY_MINUTES));
  // Same idea for deregistrations, e.g. a token without write access to that service name.
  private final RejectedRegistrations rejectedDeletes =
      new RejectedRegistrations(Duration.ofMinutes(REJECTED_RETRY_MINUTES));
  private final Set<String> reportedConflicts = new HashSet<>();

  // The services that are ours and on the agent after the last sync; read by the TTL heartbeat.
  private volatile Set<String> registered = Set.of();

  ConsulSink(ConsulAgent agent, ConsulSinkConfig config, Clock clock) {
    this.agent = requireNonNull(agent, "agent");
    this.config = requireNonNull(config, "config");
    this.clock = requireNonNull(clock, "clock");
    this.mapper = new RegistrationMapper(config.ownerId(), config.ttl());
    this.ownership = new Ownership(config.ownerId(), config.legacyCleanupPrefix());
  }

  @Override
  public String name() {
    return "consul";
  }

  public ConsulSinkConfig config() {
    return config;
  }

  @Override
  public SyncResult sync(DesiredState desired) {
    Ownership.Split onAgent = ownership.split(agent.services());
    SortedMap<String, PlannedRegistration> plans = plan(desired);
    skipForeignConflicts(plans, onAgent.foreign());
    rejected.retainOnly(plans.keySet());
    rejectedDeletes.retainOnly(onAgent.managed().keySet());
    Diff<PlannedRegistration> diff = Diff.between(plans, onAgent.managed(),
        ConsulSink::upToDate, desired.complete());

    Set<String> nowRegistered = new HashSet<>(onAgent.managed().keySet());
    nowRegistered.retainAll(plans.keySet());
    Writes writes = new Writes();
    for (PlannedRegistration plan : diff.create().values()) {
      if (register(plan, "registered", writes)) {
        writes.created++;
        nowRegistered.add(plan.id());
      }
    }
    List<PlannedRegistration> updated = new ArrayList<>();
    for (PlannedRegistration plan : diff.update().values()) {
      if (register(plan, "updated", writes)) {
        writes.updated++;
        updated.add(plan);
      }
    }
    removeStaleChecks(updated, writes);
    for (String id : diff.delete()) {
      if (deregister(onAgent.managed().get(id), writes)) {
        writes.deleted++;
      }
    }
    registered = Set.copyOf(nowRegistered);
    if (writes.deferred != null) {
      throw writes.deferred;
    }
    return new SyncResult(writes.created, writes.updated, writes.deleted);
  }

  /**
   * Passes the bridge's TTL check of every service this sink registered, as of the last sync.
   * Does nothing without a configured TTL. A service the agent lost is skipped (the next sync
   * registers it again).
   *
   * @return how many checks were passed
   * @throws ConsulAgentException when the agent does not answer; the remaining checks wait for
   *     the next round
   */
  public int passTtlChecks() {
    if (config.ttl().isEmpty()) {
      return 0;
    }
    int passed = 0;
    for (String id : registered) {
      try {
        agent.passCheck(RegistrationMapper.ttlCheckId(id), "");
        passed++;
      } catch (ConsulAgentException e) {
        if (!e.answered()) {
          throw e;
        }
        log.debug("{}: cannot pass the TTL check of {} (HTTP {})", name(), id, e.status());
      }
    }
    return passed;
  }

  /** Releases the connection pool; registrations stay in Consul. */
  @Override
  public void close() {
    try {
      agent.close();
    } catch (RuntimeException e) {
      log.debug("{}: error while closing", name(), e);
    }
  }

  private SortedMap<String, PlannedRegistration> plan(DesiredState desired) {
    // Checks of services without an address name the node's address; read it only when needed.
    boolean needsNodeAddress = desired.services().values().stream()
        .flatMap(instance -> instance.checks().stream())
        .anyMatch(check -> check.target().contains(ServiceCheck.NODE_ADDRESS));
    String nodeAddress = needsNodeAddress ? agent.nodeAddress() : "";
    SortedMap<String, PlannedRegistration> plans = new TreeMap<>();
    for (Map.Entry<String, ServiceInstance> e : desired.services().entrySet()) {
      plans.put(e.getKey(), mapper.map(e.getValue(), nodeAddress));
    }
    return plans;
  }

  private static boolean upToDate(PlannedRegistration plan, AgentService actual) {
    return plan.hash().equals(actual.meta().get(ConsulMeta.HASH));
  }

  /** Removes desired services whose ID a foreign service holds; warns once per ID. */
  private void skipForeignConflicts(SortedMap<String, PlannedRegistration> plans,
      Map<String, AgentService> foreign) {
    Set<String> conflicts = new HashSet<>(plans.keySet());
    conflicts.retainAll(foreign.keySet());
    for (String id : conflicts) {
      plans.remove(id);
      if (reportedConflicts.add(id)) {
        log.warn("{}: not registering {}: a service with this ID that registry-bridge does not "
            + "own is already on the agent", name(), id);
      }
    }
    reportedConflicts.retainAll(conflicts);
  }

  /** Returns whether the registration was written. */
  private boolean register(PlannedRegistration plan, String verb, Writes writes) {
    if (rejected.shouldSkip(plan.id(), plan.hash(), clock.instant())) {
      return false;
    }
    try {
      agent.register(plan.registration());
    } catch (ConsulAgentException e) {
      if (e.rejectsRegistration()) {
        rejected.remember(plan.id(), plan.hash(), clock.instant());
        log.error("{}: Consul rejected the registration of {} (HTTP {}); skipping it until it "
            + "changes or for {} minutes: {}", name(), plan.id(), e.status(),
            REJECTED_RETRY_MINUTES, redact(e.getMessage(), plan));
        return false;
      }
      writes.failed(e);
      return false;
    }
    rejected.forget(plan.id());
    log.info("{}: {} {} ({})", name(), verb, plan.id(), plan.describe());
    for (String warning : plan.warnings()) {
      log.warn("{}: {}: {}", name(), plan.id(), warning);
    }
    return true;
  }

  /**
   * Consul (1.8 at least) keeps the checks of a re-registered service that the new definition no
   * longer has, so a check that was removed or renumbered would stay, often critical. This costs
   * one read of the agent's checks, and only in a sync that updated something.
   */
  private void removeStaleChecks(List<PlannedRegistration> updated, Writes writes) {
    if (updated.isEmpty()) {
      return;
    }
    Map<String, Set<String>> wanted = new HashMap<>();
    for (PlannedRegistration plan : updated) {
      Set<String> ids = new HashSet<>();
      plan.registration().getChecks().forEach(check -> check.getId().ifPresent(ids::add));
      wanted.put(plan.id(), ids);
    }
    Map<String, String> checks;
    try {
      checks = agent.checkServiceIds();
    } catch (ConsulAgentException e) {
      writes.failed(e);
      return;
    }
    checks.forEach((checkId, serviceId) -> {
      Set<String> keep = wanted.get(serviceId);
      if (keep != null && !keep.contains(checkId)) {
        try {
          agent.deregisterCheck(checkId);
          log.debug("{}: removed stale check {} of {}", name(), checkId, serviceId);
        } catch (ConsulAgentException e) {
          writes.failed(e);
        }
      }
    });
  }

  /** Returns whether the service was deregistered. */
  private boolean deregister(AgentService service, Writes writes) {
    String hash = String.valueOf(service.meta().get(ConsulMeta.HASH));
    if (rejectedDeletes.shouldSkip(service.id(), hash, clock.instant())) {
      return false;
    }
    try {
      agent.deregister(service.id());
    } catch (ConsulAgentException e) {
      if (e.status() == 404) { // gone already (Consul 1.9+ answers 404 for unknown IDs)
        log.debug("{}: {} was already deregistered", name(), service.id());
        return false;
      }
      if (e.status() == 400 || e.status() == 403) {
        rejectedDeletes.remember(service.id(), hash, clock.instant());
        log.error("{}: Consul refused to deregister {} (HTTP {}); trying again in {} minutes: {}",
            name(), service.id(), e.status(), REJECTED_RETRY_MINUTES, e.getMessage());
        return false;
      }
      writes.failed(e);
      return false;
    }
    log.info("{}: deregistered {} ({}){}", name(), service.id(), service.describe(),
        Ownership.isLegacy(service) ? ", a legacy registration" : "");
    return true;
  }

  /**
   * Consul's error text may quote the request, e.g. a meta value it refused; meta values can be
   * secrets, so they are cut out (very short ones are left, they would mangle the message).
   */
  static String redact(String message, PlannedRegistration plan) {
    String text = String.valueOf(message);
    for (Map.Entry<String, String> e : plan.registration().getMeta().entrySet()) {
      String value = e.getValue();
      boolean ours = e.getKey().startsWith(MetaKeys.BRIDGE_PREFIX)
          || e.getKey().equals(ConsulMeta.PROTOCOL);
      if (!ours && value.length() >= MIN_REDACTED_LENGTH) {
        text = text.replace(value, "<redacted>");
      }
    }
    return text;
  }

  /** Counts of one sync, and the first failure that was put off until the other writes ran. */
  private static final class Writes {
    int created;
    int updated;
    int deleted;
    ConsulAgentException deferred;

    /** Consul answered with an error: carry on with the other writes, unless it did not answer. */
    void failed(ConsulAgentException e) {
      if (!e.answered()) {
        throw e;
      }
      if (deferred == null) {
        deferred = e;
      } else {
        deferred.addSuppressed(e);
      }
    }
  }
}
