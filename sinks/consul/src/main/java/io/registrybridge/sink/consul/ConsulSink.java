package io.registrybridge.sink.consul;

import static java.util.Objects.requireNonNull;

import io.registrybridge.core.DesiredState;
import io.registrybridge.core.Health;
import io.registrybridge.core.DesiredView;
import io.registrybridge.core.MetaKeys;
import io.registrybridge.core.ServiceCheck;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.Sink;
import io.registrybridge.core.SinkContext;
import io.registrybridge.core.SinkTiming;
import io.registrybridge.core.SyncResult;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
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
 * desired service whose ID is taken by such a foreign service is skipped with a warning. Before
 * it creates a service it does not know, the sink asks the agent whether that ID is taken.
 *
 * <p>The one exception is opt-in: with {@link ConsulSinkConfig#cleanupLegacy()} (Registrator's
 * {@code -cleanup}), services that have no owner marker and whose ID starts with {@link
 * ConsulSinkConfig#legacyIdPrefix()} (Registrator's {@code <host>:<container>:<port>[:udp]}) are
 * managed too: deregistered when not desired, and taken over (re-registered with our marker) when
 * a desired service has the same ID. This is how a host migrates off a real Registrator.
 *
 * <h2>Incremental and full</h2>
 *
 * The sink keeps a mirror of what the agent holds of ours: filled by the last full read ({@link
 * #sync}) and by its own successful writes. A change ({@link #apply}) is compared with the mirror
 * through {@code Meta.registry-bridge-hash}, the hash of everything the sink sends (checks
 * included), so it costs one PUT or DELETE and no read, and an unchanged service costs nothing.
 * A full read asks only for our own services, with Consul's {@code filter} on the owner marker.
 * Nothing is deleted while the desired state is incomplete. When many writes are due (start-up,
 * an agent that lost its state) they go out {@link ConsulSinkConfig#writeConcurrency()} at a time.
 *
 * <p>An agent that lost its state (a restart in dev mode) is noticed by {@link AgentWatch}, a
 * blocking query on one service we own, which asks the reconciler for a full sync.
 *
 * <h2>Errors</h2>
 *
 * When Consul refuses one registration (HTTP 400, 403, or script checks disabled on the agent)
 * the service is logged and skipped and the others are still written; the same registration is
 * sent again only when it changes, or after {@value #REJECTED_RETRY_MINUTES} minutes (a refused
 * deregistration likewise waits that long). Any other error answer is handed back to the
 * reconciler as an ID to retry with backoff ({@link SyncResult#retry()}); when Consul does not
 * answer at all, the remaining writes are abandoned and the call throws, so the reconciler backs
 * off and starts over with a full sync.
 *
 * <h2>TTL</h2>
 *
 * With {@link ConsulSinkConfig#ttl()} set, every registration gets a TTL check {@code
 * service:<id>:ttl} and {@link #passTtlChecks()} (scheduled by {@link TtlHeartbeat} on a thread of
 * its own) passes them. These passes are the only writes at steady state, and only when TTL is
 * configured.
 *
 * <p>{@link #apply} and {@link #sync} must be called from one thread at a time; {@link
 * #passTtlChecks()} and the watch run concurrently with them and only read the mirror.
 */
public final class ConsulSink implements Sink {
  private static final Logger log = LoggerFactory.getLogger(ConsulSink.class);

  static final int REJECTED_RETRY_MINUTES = 10;
  /** From this many creates on, a full sync reads the other services once instead. */
  static final int BULK_LOOKUP_THRESHOLD = 32;
  private static final int MIN_REDACTED_LENGTH = 4;

  private final ConsulAgent agent;
  private final ConsulSinkConfig config;
  private final Clock clock;
  private final RegistrationMapper mapper;
  private final Ownership ownership;
  private final AgentWrites writes;
  private final AgentWatch watch;
  private final String ownFilter;

  // What the agent holds of ours; written by the sync thread and the write workers, read by the
  // TTL heartbeat and the watch.
  private final Map<String, HeldService> mirror = new ConcurrentHashMap<>();

  // Confined to the sync thread.
  private final Map<String, CachedPlan> plans = new HashMap<>();
  private final RejectedRegistrations rejected =
      new RejectedRegistrations(Duration.ofMinutes(REJECTED_RETRY_MINUTES));
  // Same idea for deregistrations, e.g. a token without write access to that service name.
  private final RejectedRegistrations rejectedDeletes =
      new RejectedRegistrations(Duration.ofMinutes(REJECTED_RETRY_MINUTES));
  // IDs a foreign service holds, as found before a create; cleared by each full sync.
  private final Set<String> foreignIds = new HashSet<>();
  private final Set<String> reportedConflicts = new HashSet<>();
  // IDs a full sync found free on the agent, so their create needs no lookup; consumed by it.
  private final Set<String> knownFree = new HashSet<>();
  private String nodeAddress; // null until a check needs it; re-read after each full sync

  private record CachedPlan(ServiceInstance instance, String nodeAddress,
      PlannedRegistration plan) {}

  ConsulSink(ConsulAgent agent, ConsulSinkConfig config, Clock clock) {
    this.agent = requireNonNull(agent, "agent");
    this.config = requireNonNull(config, "config");
    this.clock = requireNonNull(clock, "clock");
    this.mapper = new RegistrationMapper(config.ownerId(), config.ttl());
    this.ownership = new Ownership(config.ownerId(), config.legacyCleanupPrefix());
    this.writes = new AgentWrites(agent, ownership, mirror, config.writeConcurrency());
    this.watch = new AgentWatch(agent, this::pickSentinel, mirror::containsKey);
    String own = "Meta[" + ConsulAgent.quote(ConsulMeta.OWNER) + "] == "
        + ConsulAgent.quote(config.ownerId());
    this.ownFilter = config.cleanupLegacy()
        ? own + " or " + ConsulAgent.quote(ConsulMeta.OWNER) + " not in Meta"
        : own;
  }

  @Override
  public String name() {
    return "consul";
  }

  public ConsulSinkConfig config() {
    return config;
  }

  @Override
  public SinkTiming timing() {
    return new SinkTiming(config.verifyInterval());
  }

  /** Starts watching the agent for lost state. */
  @Override
  public void start(SinkContext context) {
    watch.start(context);
  }

  @Override
  public SyncResult apply(Set<String> ids, DesiredView desired) {
    List<AgentWrites.Op> ops = new ArrayList<>();
    for (String id : new TreeSet<>(ids)) {
      Optional<ServiceInstance> want = desired.get(id);
      HeldService have = mirror.get(id);
      if (want.isPresent()) {
        PlannedRegistration plan = plan(want.get());
        boolean upToDate = have != null && have.matches(plan);
        boolean taken = have == null && foreignIds.contains(id);
        if (!upToDate && !taken && !rejected.shouldSkip(id, plan.hash(), clock.instant())) {
          ops.add(new AgentWrites.Register(plan, have, knownFree.remove(id)));
        } else if (upToDate && !have.healthMatches(plan)) {
          ops.add(new AgentWrites.SetHealth(plan, have));
        }
      } else {
        plans.remove(id);
        rejected.forget(id);
        if (have != null && desired.complete()
            && !rejectedDeletes.shouldSkip(id, String.valueOf(have.hash()), clock.instant())) {
          ops.add(new AgentWrites.Deregister(have));
        }
      }
    }
    long started = System.nanoTime();
    List<AgentWrites.Outcome> outcomes = writes.run(ops);
    if (log.isDebugEnabled() && !ops.isEmpty()) {
      log.debug("{}: {} writes for {} IDs in {} ms", name(), ops.size(), ids.size(),
          (System.nanoTime() - started) / 1_000_000);
    }
    return record(outcomes);
  }

  /** Reads our services back from the agent, then makes every desired and held ID right. */
  @Override
  public SyncResult sync(DesiredState desired) {
    long started = System.nanoTime();
    Ownership.Split onAgent = ownership.split(agent.services(ownFilter));
    log.debug("{}: read {} of our services in {} ms", name(), onAgent.managed().size(),
        (System.nanoTime() - started) / 1_000_000);
    Map<String, HeldService> before = Map.copyOf(mirror);
    Map<String, Health.Status> health = healthStatuses(desired, before);
    mirror.clear();
    for (AgentService service : onAgent.managed().values()) {
      HeldService read = HeldService.read(service);
      HeldService known = before.get(service.id());
      // The list has no checks; what we wrote ourselves, unchanged since, still says which.
      boolean same = known != null && known.hash() != null && known.hash().equals(read.hash());
      mirror.put(service.id(), (same ? known : read)
          .withHealth(health.get(RegistrationMapper.healthCheckId(service.id()))));
    }
    foreignIds.clear();
    Set<String> creates = new HashSet<>(desired.services().keySet());
    creates.removeAll(mirror.keySet());
    // Only agents older than 1.4, which ignore the filter, show foreign services here; for many
    // creates, one read of the other services beats a lookup before each.
    boolean bulk = creates.size() > BULK_LOOKUP_THRESHOLD;
    Set<String> others = bulk
        ? otherServices()
        : onAgent.foreign().keySet();
    for (String id : others) {
      if (creates.contains(id)) {
        foreignIds.add(id);
        warnForeign(id);
      }
    }
    knownFree.clear();
    if (bulk) {
      creates.removeAll(foreignIds);
      knownFree.addAll(creates);
    }
    reportedConflicts.retainAll(desired.services().keySet());
    nodeAddress = null;
    plans.keySet().retainAll(desired.services().keySet());
    rejected.retainOnly(desired.services().keySet());
    rejectedDeletes.retainOnly(mirror.keySet());
    SortedSet<String> ids = new TreeSet<>(desired.services().keySet());
    ids.addAll(mirror.keySet());
    return apply(ids, desired);
  }

  /**
   * Passes the bridge's TTL check of every service this sink registered. Does nothing without a
   * configured TTL. A service the agent lost is skipped (the next sync registers it again).
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
    for (HeldService held : List.copyOf(mirror.values())) {
      if (held.legacy()) {
        continue;
      }
      try {
        agent.passCheck(RegistrationMapper.ttlCheckId(held.id()), "");
        passed++;
      } catch (ConsulAgentException e) {
        if (!e.answered()) {
          throw e;
        }
        log.debug("{}: cannot pass the TTL check of {} (HTTP {})", name(), held.id(),
            e.status());
      }
    }
    return passed;
  }

  /** Stops the watch and the writers and releases the connection pool; registrations stay. */
  @Override
  public void close() {
    watch.close();
    writes.close();
    try {
      agent.close();
    } catch (RuntimeException e) {
      log.debug("{}: error while closing", name(), e);
    }
  }

  /** The IDs of every service on the agent that is not managed by this sink. */
  private Set<String> otherServices() {
    String others = "not (" + ownFilter + ")";
    Set<String> ids = new HashSet<>();
    agent.services(others).values().forEach(s -> {
      if (!ownership.isManaged(s)) {
        ids.add(s.id());
      }
    });
    return ids;
  }

  /**
   * The status of every mirrored health check on the agent, by check ID; read only when some
   * service has one, so that a bridge without them reads no more than before.
   */
  private Map<String, Health.Status> healthStatuses(DesiredState desired,
      Map<String, HeldService> held) {
    boolean any = held.values().stream().anyMatch(h -> h.health() != null)
        || desired.services().values().stream().anyMatch(i -> i.health().isPresent());
    return any ? agent.checkStatuses(RegistrationMapper.HEALTH_CHECK_NAME) : Map.of();
  }

  /** The sentinel the watch blocks on: any service we wrote ourselves. */
  private Optional<String> pickSentinel() {
    return mirror.values().stream().filter(h -> !h.legacy()).map(HeldService::id).findFirst();
  }

  private PlannedRegistration plan(ServiceInstance instance) {
    boolean needsNodeAddress = instance.checks().stream()
        .anyMatch(check -> check.target().contains(ServiceCheck.NODE_ADDRESS));
    if (needsNodeAddress && nodeAddress == null) {
      nodeAddress = agent.nodeAddress();
    }
    String address = needsNodeAddress ? nodeAddress : "";
    CachedPlan cached = plans.get(instance.id());
    if (cached != null && cached.nodeAddress().equals(address)
        && (cached.instance() == instance || cached.instance().equals(instance))) {
      return cached.plan();
    }
    PlannedRegistration plan = mapper.map(instance, address);
    plans.put(instance.id(), new CachedPlan(instance, address, plan));
    return plan;
  }

  /** Logs what the writes did, in the order they were planned, and counts them. */
  private SyncResult record(List<AgentWrites.Outcome> outcomes) {
    int created = 0;
    int updated = 0;
    int deleted = 0;
    Set<String> retry = new HashSet<>();
    ConsulAgentException unreachable = null;
    for (AgentWrites.Outcome outcome : outcomes) {
      String id = outcome.op().id();
      switch (outcome.result()) {
        case CREATED, UPDATED -> {
          PlannedRegistration plan = ((AgentWrites.Register) outcome.op()).plan();
          rejected.forget(id);
          reportedConflicts.remove(id);
          boolean isNew = outcome.result() == AgentWrites.Result.CREATED;
          if (isNew) {
            created++;
          } else {
            updated++;
          }
          log.info("{}: {} {} ({})", name(), isNew ? "registered" : "updated", id,
              plan.describe());
          for (String warning : plan.warnings()) {
            log.warn("{}: {}: {}", name(), id, warning);
          }
        }
        case DELETED -> {
          deleted++;
          HeldService have = ((AgentWrites.Deregister) outcome.op()).have();
          log.info("{}: deregistered {} ({}){}", name(), id, have.describe(),
              have.legacy() ? ", a legacy registration" : "");
        }
        case HEALTH -> {
          updated++;
          Health health = ((AgentWrites.SetHealth) outcome.op()).plan().health().orElseThrow();
          log.info("{}: {} is {} (Docker health){}", name(), id, health.status().spelling(),
              health.output().isEmpty() ? "" : ": " + firstLine(health.output()));
        }
        case UNCHANGED -> log.debug("{}: {} is already registered as desired", name(), id);
        case GONE -> log.debug("{}: {} was already deregistered", name(), id);
        case FOREIGN -> {
          foreignIds.add(id);
          warnForeign(id);
        }
        case REJECTED -> rejected(outcome);
        case RETRY -> {
          retry.add(id);
          log.warn("{}: could not {} {} (HTTP {}), trying again later: {}", name(),
              switch (outcome.op()) {
                case AgentWrites.Register r -> "register";
                case AgentWrites.SetHealth h -> "update the health check of";
                case AgentWrites.Deregister d -> "deregister";
              }, id,
              outcome.error().status(), outcome.error().getMessage());
        }
        case UNREACHABLE -> {
          if (unreachable == null) {
            unreachable = outcome.error();
          }
        }
        case ABANDONED -> { }
      }
    }
    if (unreachable != null) {
      throw unreachable;
    }
    return new SyncResult(created, updated, deleted, retry);
  }

  /** A probe's output can be long and span lines; a log line gets the start of its first. */
  private static String firstLine(String output) {
    String line = output.lines().findFirst().orElse("");
    return line.length() > 120 ? line.substring(0, 120) + "..." : line;
  }

  private void rejected(AgentWrites.Outcome outcome) {
    ConsulAgentException e = outcome.error();
    if (outcome.op() instanceof AgentWrites.Register register) {
      PlannedRegistration plan = register.plan();
      rejected.remember(plan.id(), plan.hash(), clock.instant());
      log.error("{}: Consul rejected the registration of {} (HTTP {}); skipping it until it "
          + "changes or for {} minutes: {}", name(), plan.id(), e.status(),
          REJECTED_RETRY_MINUTES, redact(e.getMessage(), plan));
    } else {
      HeldService have = ((AgentWrites.Deregister) outcome.op()).have();
      rejectedDeletes.remember(have.id(), String.valueOf(have.hash()), clock.instant());
      log.error("{}: Consul refused to deregister {} (HTTP {}); trying again in {} minutes: {}",
          name(), have.id(), e.status(), REJECTED_RETRY_MINUTES, e.getMessage());
    }
  }

  private void warnForeign(String id) {
    if (reportedConflicts.add(id)) {
      log.warn("{}: not registering {}: a service with this ID that registry-bridge does not "
          + "own is already on the agent", name(), id);
    }
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
    return Objects.toString(text);
  }
}
