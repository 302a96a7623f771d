package io.registrybridge.sink.consul;

import static java.util.Objects.requireNonNull;

import io.registrybridge.core.ControlPlaneUnavailableException;
import io.registrybridge.core.Health;
import io.registrybridge.core.MetaKeys;
import io.registrybridge.core.ServiceCheck;
import io.registrybridge.core.ServiceIds;
import io.registrybridge.core.ServiceInstance;
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
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.kiwiproject.consul.model.agent.Registration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@link RegistrationTarget}'s half of {@link ConsulSink}: the mirror of what the target
 * holds of ours, the diff of the desired instances against it, and the writes. The agent and the
 * catalog node each have one, so both get the same guarantees: owner-marked, a change costs one
 * write and no read, zero writes at steady state, nothing deleted before the desired state is
 * listed once, foreign services never touched.
 *
 * <p>{@link #apply} and {@link #sync} run on the sink's thread; {@link #held()}, {@link #holds}
 * and {@link #pickSentinel} may be called from any thread and only read the mirror, {@link
 * #rendered} likewise and reads nothing of it.
 */
final class TargetSync {
  // The sink's logger: these are its log lines, and operators filter on its name.
  private static final Logger log = LoggerFactory.getLogger(ConsulSink.class);

  static final int REJECTED_RETRY_MINUTES = 10;
  /** From this many creates on, a full sync reads the other services once instead. */
  static final int BULK_LOOKUP_THRESHOLD = 32;
  private static final int MIN_REDACTED_LENGTH = 4;

  private final String sinkName;
  private final RegistrationTarget target;
  private final RegistrationMapper mapper;
  private final Ownership ownership;
  private final Supplier<String> nodeAddressLookup;
  private final Clock clock;
  private final RegistrationWrites writes;
  private final DnsNames dnsNames;

  // What the target holds of ours; written by the sync thread and the write workers, read by the
  // TTL heartbeat and the watch.
  private final Map<String, HeldService> mirror = new ConcurrentHashMap<>();

  // Confined to the sync thread.
  private final Map<String, CachedPlan> plans = new HashMap<>();
  private final RejectedRegistrations rejected =
      new RejectedRegistrations(Duration.ofMinutes(REJECTED_RETRY_MINUTES));
  // Same idea for deregistrations, e.g. a token without write access to that service name.
  private final RejectedRegistrations rejectedDeletes =
      new RejectedRegistrations(Duration.ofMinutes(REJECTED_RETRY_MINUTES));
  // Every refusal since start, for the metrics (the two maps above hold only the current ones).
  private final AtomicLong rejections = new AtomicLong();
  // IDs a foreign service holds, as found before a create; cleared by each full sync.
  private final Set<String> foreignIds = new HashSet<>();
  private final Set<String> reportedConflicts = new HashSet<>();
  // IDs a full sync found free on the target, so their create needs no lookup; consumed by it.
  private final Set<String> knownFree = new HashSet<>();
  private String nodeAddress; // null until a check needs it; re-read after each full sync
  private boolean readOnce; // a full read happened: later ones can tell other writers apart
  // An agent that refused the namespace's filter (Ownership#readFilter) is asked for ours alone.
  private boolean namespaceFilterRefused;

  private record CachedPlan(ServiceInstance instance, String nodeAddress,
      PlannedRegistration plan) {}

  /**
   * @param nodeAddressLookup the agent's address, for checks that name {@link
   *     ServiceCheck#NODE_ADDRESS}; called only when the mapper keeps checks
   */
  TargetSync(String sinkName, RegistrationTarget target, RegistrationMapper mapper,
      Ownership ownership, Supplier<String> nodeAddressLookup, Clock clock,
      RegistrationWrites.Pool pool, DnsNames dnsNames) {
    this.sinkName = requireNonNull(sinkName, "sinkName");
    this.target = requireNonNull(target, "target");
    this.mapper = requireNonNull(mapper, "mapper");
    this.ownership = requireNonNull(ownership, "ownership");
    this.nodeAddressLookup = requireNonNull(nodeAddressLookup, "nodeAddressLookup");
    this.clock = requireNonNull(clock, "clock");
    this.writes = new RegistrationWrites(target, ownership, mirror, pool);
    this.dnsNames = requireNonNull(dnsNames, "dnsNames");
  }

  RegistrationTarget target() {
    return target;
  }

  /**
   * Makes exactly these IDs right: desired and the mirror's hash equal, nothing; different, one
   * register; not desired (and its source has listed once), one deregister. No read, except a
   * lookup before creating an ID the mirror does not know.
   *
   * @param desired the instance this target should hold for an ID, if any
   * @param mayDelete whether what a source (by name; empty when unknown) reported may be
   *     deleted: once that source has listed once ({@link
   *     io.registrybridge.core.DesiredView#mayDelete})
   */
  SyncResult apply(Set<String> ids, Function<String, Optional<ServiceInstance>> desired,
      Predicate<String> mayDelete) {
    lookUpManyAtOnce(ids, desired);
    List<RegistrationWrites.Op> ops = new ArrayList<>();
    Map<String, PlannedRegistration> healthUnknown = new TreeMap<>();
    for (String id : new TreeSet<>(ids)) {
      Optional<ServiceInstance> want = Optional.empty();
      try {
        want = desired.apply(id);
        planWrite(id, want, mayDelete, ops, healthUnknown);
      } catch (ControlPlaneUnavailableException e) {
        throw e;
      } catch (RuntimeException e) {
        // One ID's bug or bad data (a mapper exception, a lookup Consul refused): that ID alone
        // waits, like a rejected registration, and every other ID is still written.
        failedToPlan(id, want, e);
      }
    }
    learnHealth(healthUnknown, ops);
    long started = System.nanoTime();
    List<RegistrationWrites.Outcome> outcomes = writes.run(ops);
    if (log.isDebugEnabled() && !ops.isEmpty()) {
      log.debug("{}: {} writes for {} IDs on {} in {} ms", sinkName, ops.size(), ids.size(),
          target.where(), (System.nanoTime() - started) / 1_000_000);
    }
    return record(outcomes);
  }

  /** Whether Consul (or planning) refused this ID, and why; any thread. */
  java.util.Optional<io.registrybridge.core.IdState> explain(String id) {
    return rejected.why(id).map(why -> io.registrybridge.core.IdState.of(
        io.registrybridge.core.IdState.REJECTED, why + "; tried again when it changes or after "
            + REJECTED_RETRY_MINUTES + " minutes"));
  }

  /** Adds the write (if any) that makes one ID right. */
  private void planWrite(String id, Optional<ServiceInstance> want, Predicate<String> mayDelete,
      List<RegistrationWrites.Op> ops, Map<String, PlannedRegistration> healthUnknown) {
    HeldService have = mirror.get(id);
    if (want.isPresent()) {
      if (rejected.contains(id)
          && rejected.shouldSkip(id, unplannedKey(want.get()), clock.instant())) {
        return; // planning it failed, and it has not changed since
      }
      PlannedRegistration plan = plan(want.get());
      boolean upToDate = have != null && have.matches(plan);
      boolean taken = have == null && foreignIds.contains(id);
      if (!upToDate && !taken && !rejected.shouldSkip(id, plan.hash(), clock.instant())) {
        ops.add(new RegistrationWrites.Register(plan, have, knownFree.remove(id) || readFree(id)));
      } else if (upToDate && !have.healthMatches(plan)) {
        if (have.health() == null) {
          // Registered as wanted, its check's status not known yet (read back without it, e.g.
          // by a new bridge's first sync, before the containers were listed): look it up
          // rather than write it blindly on every restart.
          healthUnknown.put(id, plan);
        } else {
          ops.add(new RegistrationWrites.SetHealth(plan, have));
        }
      }
    } else {
      plans.remove(id);
      rejected.forget(id);
      if (have != null && mayDelete.test(have.source())
          && !rejectedDeletes.shouldSkip(id, String.valueOf(have.hash()), clock.instant())) {
        ops.add(new RegistrationWrites.Deregister(have));
      }
    }
  }

  /**
   * Reads, in one request, the status of the mirrored health checks whose status the mirror does
   * not know, and adds a write for each that differs from the plan's (or is still unknown).
   */
  private void learnHealth(Map<String, PlannedRegistration> healthUnknown,
      List<RegistrationWrites.Op> ops) {
    if (healthUnknown.isEmpty()) {
      return;
    }
    Map<String, Health.Status> statuses;
    try {
      statuses = target.checkStatuses(RegistrationMapper.HEALTH_CHECK_NAME);
    } catch (ConsulAgentException e) { // e.g. a token that may not read checks: just set them
      log.debug("{}: cannot read the health checks on {}: {}", sinkName, target.where(),
          e.getMessage());
      statuses = Map.of();
    }
    for (PlannedRegistration plan : healthUnknown.values()) {
      HeldService have = mirror.get(plan.id()).withHealth(
          statuses.get(RegistrationMapper.healthCheckId(plan.id())));
      mirror.put(plan.id(), have);
      if (!have.healthMatches(plan)) {
        ops.add(new RegistrationWrites.SetHealth(plan, have));
      }
    }
  }

  /** What an instance that could not be planned is remembered by, to skip it until it changes. */
  private static String unplannedKey(ServiceInstance instance) {
    return "unplanned:" + Integer.toHexString(instance.hashCode());
  }

  private void failedToPlan(String id, Optional<ServiceInstance> want, RuntimeException e) {
    if (want.isPresent()) {
      ServiceInstance instance = want.get();
      rejected.remember(id, unplannedKey(instance), clock.instant(),
          "cannot be registered: " + redact(e.toString(), instance.meta()));
      log.error("{}: cannot register {}{}{}: {}; skipping it until it changes or for {} "
          + "minutes", sinkName, id, from(instance.origin()), suffix(),
          redact(e.toString(), instance.meta()), REJECTED_RETRY_MINUTES);
    } else {
      HeldService have = mirror.get(id);
      if (have != null) {
        rejectedDeletes.remember(id, String.valueOf(have.hash()), clock.instant(),
            "delete refused");
      }
      log.error("{}: cannot deregister {}{}: {}; trying again in {} minutes", sinkName, id,
          suffix(), e, REJECTED_RETRY_MINUTES);
    }
    log.debug("{}: planning the write of {} failed", sinkName, id, e);
  }

  /** {@code " from docker:web-1"}: where a desired instance came from, for log lines. */
  private static String from(String origin) {
    return origin == null || origin.isEmpty() ? "" : " from " + origin;
  }

  /** The origin of the instance last planned for an ID, for log lines about its writes. */
  private String fromPlanned(String id) {
    CachedPlan cached = plans.get(id);
    return cached == null ? "" : from(cached.instance().origin());
  }

  /**
   * Many creates of IDs nothing is known about (a full sync from scratch, or the first listing
   * of a busy engine, which reports hundreds at once) cost one read of the other services
   * instead of a lookup each: the IDs it shows are foreign, the rest free.
   */
  private void lookUpManyAtOnce(Set<String> ids,
      Function<String, Optional<ServiceInstance>> desired) {
    List<String> unknown = new ArrayList<>();
    for (String id : ids) {
      if (!mirror.containsKey(id) && !foreignIds.contains(id) && !knownFree.contains(id)
          && !readFree(id) && desired.apply(id).isPresent()) {
        unknown.add(id);
      }
    }
    if (unknown.size() <= BULK_LOOKUP_THRESHOLD) {
      return;
    }
    Set<String> others;
    try {
      others = otherServices();
    } catch (ConsulAgentException e) { // e.g. a token that may not list them: one lookup each
      log.debug("{}: cannot list the other services on {}: {}", sinkName, target.where(),
          e.getMessage());
      return;
    }
    for (String id : unknown) {
      if (others.contains(id)) {
        foreignIds.add(id);
        warnForeign(id);
      } else {
        knownFree.add(id);
      }
    }
  }

  /** Reads our services back from the target, then makes every desired and held ID right. */
  SyncResult sync(Map<String, ServiceInstance> desired, Predicate<String> mayDelete) {
    long started = System.nanoTime();
    Ownership.Split read;
    try {
      read = ownership.split(readBack());
    } catch (ConsulAgentException e) {
      // Nothing can be compared without it, and every ID would fail alike (an unknown token):
      // the whole sink waits and tries again, as when Consul does not answer.
      throw new ControlPlaneUnavailableException("Consul refuses to list our services on "
          + target.where() + " (HTTP " + e.status() + "): " + e.getMessage(), e);
    }
    log.debug("{}: read {} of our services on {} in {} ms", sinkName, read.managed().size(),
        target.where(), (System.nanoTime() - started) / 1_000_000);
    Map<String, HeldService> before = Map.copyOf(mirror);
    if (readOnce) {
      warnOtherWriters(before, read.managed());
    }
    readOnce = true;
    Map<String, Health.Status> health = healthStatuses(desired, before);
    mirror.clear();
    for (AgentService service : read.managed().values()) {
      try {
        HeldService now = HeldService.read(service);
        HeldService known = before.get(service.id());
        // The list has no checks; what we wrote ourselves, unchanged since, still says which.
        boolean same = known != null && known.hash() != null && known.hash().equals(now.hash());
        mirror.put(service.id(), (same ? known : now)
            .withHealth(health.get(RegistrationMapper.healthCheckId(service.id()))));
      } catch (RuntimeException e) {
        // One entry we cannot make sense of must not stop the sync of all the others; left out
        // of the mirror, a desired one is looked up again before it is written.
        log.warn("{}: ignoring {} as {} lists it: {}", sinkName, service.id(), target.where(),
            e.toString());
      }
    }
    foreignIds.clear();
    // Foreign services here are those in our namespace (every one of them: a later create looks
    // no ID up there), and on agents older than 1.4, which ignore the filter, all of them. Other
    // creates are looked up all at once by apply (lookUpManyAtOnce), or one by one.
    for (String id : read.foreign().keySet()) {
      boolean wanted = desired.containsKey(id) && !mirror.containsKey(id);
      if (wanted || ownership.inNamespace(id)) {
        foreignIds.add(id);
      }
      if (wanted) {
        warnForeign(id);
      }
    }
    knownFree.clear();
    reportedConflicts.retainAll(desired.keySet());
    nodeAddress = null;
    plans.keySet().retainAll(desired.keySet());
    rejected.retainOnly(desired.keySet());
    rejectedDeletes.retainOnly(mirror.keySet());
    SortedSet<String> ids = new TreeSet<>(desired.keySet());
    ids.addAll(mirror.keySet());
    return apply(ids, id -> Optional.ofNullable(desired.get(id)), mayDelete);
  }

  /**
   * Says so, loudly, when services with our owner mark changed since the last full read without
   * this sink writing them: one appeared, one we wrote carries another hash, or some (not all:
   * that is an agent that lost its state) vanished. Two bridges with one owner ID (same
   * {@code -hostname} or engine name, other flags) do exactly that: each deletes or rewrites
   * what the other wrote, on every sync, and neither would otherwise notice.
   */
  private void warnOtherWriters(Map<String, HeldService> before, Map<String, AgentService> now) {
    SortedSet<String> appeared = new TreeSet<>();
    now.forEach((id, service) -> {
      if (!before.containsKey(id) && !Ownership.isLegacy(service)) {
        appeared.add(id);
      }
    });
    SortedSet<String> changed = new TreeSet<>();
    SortedSet<String> vanished = new TreeSet<>();
    before.forEach((id, held) -> {
      AgentService service = now.get(id);
      if (service == null) {
        vanished.add(id);
      } else if (held.hash() != null
          && !held.hash().equals(service.meta().get(ConsulMeta.HASH))) {
        changed.add(id);
      }
    });
    if (now.isEmpty()) {
      vanished.clear(); // everything gone: a restarted dev agent, repaired by this sync
    }
    int count = appeared.size() + changed.size() + vanished.size();
    if (count == 0) {
      return;
    }
    SortedSet<String> examples = new TreeSet<>(appeared);
    examples.addAll(changed);
    examples.addAll(vanished);
    log.warn("{}: {} of our services on {} appeared ({}), changed ({}) or vanished ({}) since "
        + "the last full read without this bridge writing them, e.g. {}. Another registry-bridge "
        + "with the owner ID '{}' is probably writing there too, and the two undo each other's "
        + "writes: give each bridge its own -hostname (or stop one). This sync sets them back.",
        sinkName, count, target.where(), appeared.size(), changed.size(), vanished.size(),
        String.join(", ", examples.stream().limit(3).toList()), ownership.ownerId());
  }

  /**
   * The status of every mirrored health check on the target, by check ID; read only when some
   * service has one, so that a bridge without them reads no more than before.
   */
  private Map<String, Health.Status> healthStatuses(Map<String, ServiceInstance> desired,
      Map<String, HeldService> held) {
    boolean any = held.values().stream().anyMatch(h -> h.health() != null)
        || desired.values().stream().anyMatch(i -> i.health().isPresent());
    if (!any || !mapper.withChecks()) {
      return Map.of();
    }
    try {
      return target.checkStatuses(RegistrationMapper.HEALTH_CHECK_NAME);
    } catch (ConsulAgentException e) { // unknown, then: apply looks up or sets each one
      log.debug("{}: cannot read the health checks on {}: {}", sinkName, target.where(),
          e.getMessage());
      return Map.of();
    }
  }

  /** What the target holds of ours, as last read or written; a copy. */
  List<HeldService> held() {
    return List.copyOf(mirror.values());
  }

  boolean holds(String id) {
    return mirror.containsKey(id);
  }

  boolean holdsAny() {
    return !mirror.isEmpty();
  }

  /** Whether a full read of the target succeeded once; sink's thread. */
  boolean hasRead() {
    return readOnce;
  }

  /**
   * The sentinel a watch blocks on: any service we wrote ourselves that {@code usable} accepts,
   * with an ID valid in a URL path (one with {@code ..} cannot be asked for).
   */
  Optional<String> pickSentinel(Predicate<String> usable) {
    return mirror.values().stream().filter(h -> !h.legacy()).map(HeldService::id)
        .filter(id -> ServiceIds.valid(id) && usable.test(id)).findFirst();
  }

  /**
   * Our services, and with a namespace every holder of an ID in it. An agent that refuses the
   * namespace's filter (one older than the {@code matches} operator) is asked for ours alone from
   * then on, and every create of an ID it does not know is looked up first, as before.
   */
  private Map<String, AgentService> readBack() {
    if (ownership.hasNamespace() && !namespaceFilterRefused) {
      try {
        return target.services(ownership.readFilter());
      } catch (ConsulAgentException e) {
        if (e.status() != 400) {
          throw e;
        }
        namespaceFilterRefused = true;
        log.info("{}: {} refuses the filter on our ID namespace ({}); every new ID is looked up "
            + "before it is created", sinkName, target.where(), e.getMessage());
      }
    }
    return target.services(ownership.filter());
  }

  /**
   * An ID of our form that the last full read showed nobody else holds: that read listed every
   * holder of one, unless there was none yet or the agent refused the filter.
   */
  private boolean readFree(String id) {
    return readOnce && !namespaceFilterRefused && ownership.inNamespace(id)
        && !foreignIds.contains(id);
  }

  /**
   * The registration {@code instance} would be written as, planned afresh with this target's
   * mapper and kept nowhere: for {@link ConsulSink#warmUp}.
   */
  Registration rendered(ServiceInstance instance) {
    return mapper.map(instance, "192.0.2.1").registration();
  }

  /** The IDs of every service on the target that is not managed by this sink. */
  private Set<String> otherServices() {
    Set<String> ids = new HashSet<>();
    target.services("not (" + ownership.filter() + ")").values().forEach(s -> {
      if (!ownership.isManaged(s)) {
        ids.add(s.id());
      }
    });
    return ids;
  }

  private PlannedRegistration plan(ServiceInstance instance) {
    boolean needsNodeAddress = mapper.withChecks() && instance.checks().stream()
        .anyMatch(check -> check.target().contains(ServiceCheck.NODE_ADDRESS));
    if (needsNodeAddress && nodeAddress == null) {
      nodeAddress = nodeAddressLookup.get();
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
  private SyncResult record(List<RegistrationWrites.Outcome> outcomes) {
    int created = 0;
    int updated = 0;
    int deleted = 0;
    Set<String> retry = new HashSet<>();
    RuntimeException unreachable = null;
    for (RegistrationWrites.Outcome outcome : outcomes) {
      String id = outcome.op().id();
      switch (outcome.result()) {
        case CREATED, UPDATED -> {
          PlannedRegistration plan = ((RegistrationWrites.Register) outcome.op()).plan();
          rejected.forget(id);
          reportedConflicts.remove(id);
          boolean isNew = outcome.result() == RegistrationWrites.Result.CREATED;
          if (isNew) {
            created++;
          } else {
            updated++;
          }
          log.info("{}: {} {} ({}){}", sinkName, isNew ? "registered" : "updated", id,
              plan.describe(), suffix());
          for (String warning : plan.warnings()) {
            log.warn("{}: {}: {}", sinkName, id, warning);
          }
          dnsNames.registered(sinkName, plan.registration().getName(), id, fromPlanned(id));
        }
        case DELETED -> {
          deleted++;
          HeldService have = ((RegistrationWrites.Deregister) outcome.op()).have();
          log.info("{}: deregistered {} ({}){}{}", sinkName, id, have.describe(), suffix(),
              have.legacy() ? ", a legacy registration" : "");
        }
        case HEALTH -> {
          updated++;
          Health health = ((RegistrationWrites.SetHealth) outcome.op()).plan().health()
              .orElseThrow();
          log.info("{}: {} is {} (Docker health){}", sinkName, id, health.status().spelling(),
              health.output().isEmpty() ? "" : ": " + firstLine(health.output()));
        }
        case UNCHANGED -> log.debug("{}: {} is already registered as desired", sinkName, id);
        case GONE -> log.debug("{}: {} was already deregistered", sinkName, id);
        case FOREIGN -> {
          foreignIds.add(id);
          warnForeign(id);
        }
        case REJECTED -> rejected(outcome);
        case RETRY -> {
          retry.add(id);
          log.warn("{}: could not update the health check of {}{}{} ({}), registering it again "
              + "later: {}", sinkName, id, fromPlanned(id), suffix(), outcome.status()
                  .map(status -> "HTTP " + status).orElse("unexpected error"),
              reason(outcome));
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

  private String suffix() {
    return target.logSuffix();
  }

  /** Service IDs refused now (registrations and deregistrations); any thread. */
  int rejectedNow() {
    return rejected.size() + rejectedDeletes.size();
  }

  /** Refusals since start, each counted once when it happens; any thread. */
  long rejections() {
    return rejections.get();
  }

  /**
   * One ID refused by Consul, or failed unexpectedly on its way there: logged once with its
   * origin and the reason, and not sent again until it changes or for a while.
   */
  private void rejected(RegistrationWrites.Outcome outcome) {
    rejections.incrementAndGet();
    RuntimeException e = outcome.error();
    String id = outcome.op().id();
    if (outcome.op() instanceof RegistrationWrites.Register register) {
      PlannedRegistration plan = register.plan();
      rejected.remember(id, plan.hash(), clock.instant(), outcome.status().isPresent()
          ? "Consul rejected it (HTTP " + outcome.status().get() + "): "
              + redact(e.getMessage(), plan)
          : "writing it failed: " + redact(String.valueOf(e), plan));
      if (outcome.status().isPresent()) {
        log.error("{}: Consul rejected the registration of {}{}{} (HTTP {}); skipping it until "
            + "it changes or for {} minutes: {}", sinkName, id, fromPlanned(id), suffix(),
            outcome.status().get(), REJECTED_RETRY_MINUTES, redact(e.getMessage(), plan));
      } else {
        log.error("{}: could not register {}{}{}: {}; skipping it until it changes or for {} "
            + "minutes", sinkName, id, fromPlanned(id), suffix(), redact(e.toString(), plan),
            REJECTED_RETRY_MINUTES);
      }
    } else {
      HeldService have = ((RegistrationWrites.Deregister) outcome.op()).have();
      rejectedDeletes.remember(id, String.valueOf(have.hash()), clock.instant(), "delete refused");
      if (outcome.status().isPresent()) {
        log.error("{}: Consul refused to deregister {}{} (HTTP {}); trying again in {} minutes: "
            + "{}", sinkName, id, suffix(), outcome.status().get(), REJECTED_RETRY_MINUTES,
            e.getMessage());
      } else {
        log.error("{}: could not deregister {}{}: {}; trying again in {} minutes", sinkName, id,
            suffix(), e, REJECTED_RETRY_MINUTES);
      }
    }
    if (outcome.status().isEmpty()) {
      log.debug("{}: the write of {} failed unexpectedly", sinkName, id, e);
    }
  }

  private static String reason(RegistrationWrites.Outcome outcome) {
    RuntimeException e = outcome.error();
    String text = outcome.status().isPresent() ? e.getMessage() : e.toString();
    return outcome.op() instanceof RegistrationWrites.SetHealth health
        ? redact(text, health.plan()) : text;
  }

  private void warnForeign(String id) {
    if (reportedConflicts.add(id)) {
      log.warn("{}: not registering {}: a service with this ID that registry-bridge does not "
          + "own is already on {}", sinkName, id, target.where());
    }
  }

  /**
   * Consul's error text may quote the request, e.g. a meta value it refused; meta values can be
   * secrets, so they are cut out (very short ones are left, they would mangle the message).
   */
  static String redact(String message, PlannedRegistration plan) {
    return redact(message, plan.registration().getMeta());
  }

  /** {@link #redact(String, PlannedRegistration)} against these meta values. */
  static String redact(String message, Map<String, String> meta) {
    String text = String.valueOf(message);
    for (Map.Entry<String, String> e : meta.entrySet()) {
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
