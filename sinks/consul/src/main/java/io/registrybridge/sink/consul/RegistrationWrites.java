package io.registrybridge.sink.consul;

import static java.util.Objects.requireNonNull;

import io.registrybridge.core.ControlPlaneUnavailableException;
import io.registrybridge.core.Health;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the writes {@link TargetSync} planned for one {@link RegistrationTarget}: one at a time on
 * the caller's thread when there is one (the common case, a single change, with no thread
 * hand-off), several at a time otherwise, on a {@link Pool} the targets share. Each write updates
 * the mirror as soon as Consul accepted it. Once Consul fails to answer, the writes not yet
 * started are abandoned: they would only wait for their timeouts.
 *
 * <p>Every op has its own outcome: Consul refusing it, or any unexpected exception while sending
 * it (a client-side {@link IllegalArgumentException}, a serialization error, a bug), is that op's
 * {@link Result#REJECTED} and never stops the others. Only Consul being unavailable as a whole
 * ({@link ControlPlaneUnavailableException}) stops the run. {@link #run} returns only when every
 * write it started has finished.
 *
 * <p>Outcomes come back in the order of the ops, so the sink logs them deterministically.
 */
final class RegistrationWrites {
  private static final Logger log = LoggerFactory.getLogger(RegistrationWrites.class);

  /** A write to make. */
  sealed interface Op permits Register, SetHealth, Deregister {
    String id();
  }

  /**
   * Registers {@code plan}; {@code have} is what the mirror holds for it, null for an ID the sink
   * does not know, which it first looks up on the target (it may be foreign, or ours from before),
   * unless {@code knownFree}: a full read just showed nobody holds it.
   */
  record Register(PlannedRegistration plan, HeldService have, boolean knownFree) implements Op {
    @Override
    public String id() {
      return plan.id();
    }
  }

  /** Sets the mirrored health check of a service registered as {@code plan} wants already. */
  record SetHealth(PlannedRegistration plan, HeldService have) implements Op {
    @Override
    public String id() {
      return plan.id();
    }
  }

  record Deregister(HeldService have) implements Op {
    @Override
    public String id() {
      return have.id();
    }
  }

  enum Result {
    CREATED,
    UPDATED,
    /** Only the mirrored health check changed its status. */
    HEALTH,
    /** The ID was ours on the target already, as desired; found by the lookup before a create. */
    UNCHANGED,
    DELETED,
    /** Deregistered by someone else already. */
    GONE,
    /** A service we do not own holds the ID. */
    FOREIGN,
    /**
     * Refused in a way that sending it again will not fix (400, 403, a script check the agent
     * does not allow), or failed unexpectedly before or after reaching Consul.
     */
    REJECTED,
    /** The health check could not be set (e.g. the agent lost it): register it again later. */
    RETRY,
    /** Consul did not answer. */
    UNREACHABLE,
    /** Not sent, because Consul had stopped answering. */
    ABANDONED
  }

  /** @param error set for REJECTED, RETRY and UNREACHABLE */
  record Outcome(Op op, Result result, RuntimeException error) {
    /** Consul's HTTP status for a refusal; empty for no answer or an unexpected exception. */
    Optional<Integer> status() {
      return error instanceof ConsulAgentException e && e.answered()
          ? Optional.of(e.status()) : Optional.empty();
    }
  }

  private final RegistrationTarget target;
  private final Ownership ownership;
  private final Map<String, HeldService> mirror;
  private final Pool pool;

  RegistrationWrites(RegistrationTarget target, Ownership ownership,
      Map<String, HeldService> mirror, Pool pool) {
    this.target = requireNonNull(target, "target");
    this.ownership = requireNonNull(ownership, "ownership");
    this.mirror = requireNonNull(mirror, "mirror");
    this.pool = requireNonNull(pool, "pool");
  }

  List<Outcome> run(List<Op> ops) {
    AtomicBoolean unreachable = new AtomicBoolean();
    if (ops.size() > 1 && target.registersInBulk()) {
      return inBulk(ops, unreachable);
    }
    if (ops.size() <= 1 || pool.concurrency <= 1) {
      List<Outcome> outcomes = new ArrayList<>(ops.size());
      for (Op op : ops) {
        outcomes.add(send(op, unreachable));
      }
      return outcomes;
    }
    List<Future<Outcome>> futures = new ArrayList<>(ops.size());
    ExecutorService workers = pool.executor();
    for (Op op : ops) {
      try {
        futures.add(workers.submit(() -> send(op, unreachable)));
      } catch (RejectedExecutionException e) { // the sink is closing
        unreachable.set(true);
        futures.add(CompletableFuture.completedFuture(new Outcome(op, Result.UNREACHABLE,
            new ControlPlaneUnavailableException("the Consul sink is closing", e))));
      }
    }
    return collect(futures);
  }

  /**
   * Creates and updates that are a plain write (no lookup, no checks: a full sync's, or an update
   * of a service the mirror knows) go in transactions of {@link ConsulAgent#MAX_TXN_OPS}; on
   * Consul 1.8.7, 5,000 catalog registrations on one node took 0.6–1.2 s that way against
   * 3.5–5.7 s as 4 parallel PUTs (bench/ConsulCatalogBench.java). The first of them goes alone,
   * as a PUT that creates the node when it is missing (a transaction's Service operation needs the
   * node). A transaction Consul refuses as a whole is sent again one op at a time, so that one
   * bad registration is isolated and reported as its own REJECTED outcome, the others written.
   */
  private List<Outcome> inBulk(List<Op> ops, AtomicBoolean unreachable) {
    Outcome[] outcomes = new Outcome[ops.size()];
    List<Integer> plain = new ArrayList<>();
    List<Integer> single = new ArrayList<>();
    for (int i = 0; i < ops.size(); i++) {
      (plainWrite(ops.get(i)) ? plain : single).add(i);
    }
    if (plain.size() < 2) {
      single.addAll(plain);
      plain.clear();
    } else {
      int first = plain.removeFirst();
      outcomes[first] = send(ops.get(first), unreachable);
    }
    List<List<Integer>> tasks = new ArrayList<>();
    for (int from = 0; from < plain.size(); from += ConsulAgent.MAX_TXN_OPS) {
      tasks.add(plain.subList(from, Math.min(plain.size(), from + ConsulAgent.MAX_TXN_OPS)));
    }
    single.forEach(i -> tasks.add(List.of(i)));
    List<Future<List<Outcome>>> futures = new ArrayList<>(tasks.size());
    ExecutorService workers = pool.executor();
    for (List<Integer> task : tasks) {
      List<Op> batch = task.stream().map(ops::get).toList();
      try {
        futures.add(workers.submit(() -> batch.size() == 1
            ? List.of(send(batch.getFirst(), unreachable)) : transaction(batch, unreachable)));
      } catch (RejectedExecutionException e) { // the sink is closing
        unreachable.set(true);
        futures.add(CompletableFuture.completedFuture(batch.stream().map(op -> new Outcome(op,
            Result.UNREACHABLE, new ControlPlaneUnavailableException(
                "the Consul sink is closing", e))).toList()));
      }
    }
    List<List<Outcome>> done = collect(futures);
    for (int t = 0; t < tasks.size(); t++) {
      for (int k = 0; k < tasks.get(t).size(); k++) {
        outcomes[tasks.get(t).get(k)] = done.get(t).get(k);
      }
    }
    return List.of(outcomes);
  }

  /** A create that a full read showed to be free, or an update of what the mirror holds. */
  private static boolean plainWrite(Op op) {
    return op instanceof Register r && r.plan().health().isEmpty()
        && r.plan().checkIds().isEmpty() && (r.have() == null ? r.knownFree()
            : r.have().checkIds() != null && r.have().checkIds().isEmpty());
  }

  private List<Outcome> transaction(List<Op> batch, AtomicBoolean unreachable) {
    if (unreachable.get()) {
      return batch.stream().map(op -> new Outcome(op, Result.ABANDONED, null)).toList();
    }
    try {
      target.registerAll(batch.stream().map(op -> ((Register) op).plan().registration())
          .toList());
    } catch (ControlPlaneUnavailableException e) {
      unreachable.set(true);
      return batch.stream().map(op -> new Outcome(op, Result.UNREACHABLE, e)).toList();
    } catch (RuntimeException e) {
      log.debug("consul: a transaction of {} registrations{} was refused ({}); writing them one"
          + " by one", batch.size(), target.logSuffix(), e.getMessage());
      return batch.stream().map(op -> send(op, unreachable)).toList();
    }
    List<Outcome> outcomes = new ArrayList<>(batch.size());
    for (Op op : batch) {
      Register register = (Register) op;
      mirror.put(op.id(), HeldService.written(register.plan()));
      outcomes.add(new Outcome(op, register.have() == null ? Result.CREATED : Result.UPDATED,
          null));
    }
    return outcomes;
  }

  /**
   * Waits for every write: none is left running unobserved, so the mirror and the outcomes agree
   * when this returns. {@link #send} turns every exception into an outcome; an {@link Error} is
   * thrown once all the others finished.
   */
  private static <T> List<T> collect(List<Future<T>> futures) {
    List<T> outcomes = new ArrayList<>(futures.size());
    Throwable fatal = null;
    for (int i = 0; i < futures.size(); i++) {
      try {
        outcomes.add(futures.get(i).get());
      } catch (InterruptedException e) {
        // Shutting down: stop the writes still running, and let the reconciler see why.
        futures.subList(i, futures.size()).forEach(f -> f.cancel(true));
        Thread.currentThread().interrupt();
        throw new ControlPlaneUnavailableException("interrupted while writing to Consul", e);
      } catch (ExecutionException e) {
        if (fatal == null) {
          fatal = e.getCause();
        } else {
          fatal.addSuppressed(e.getCause());
        }
      }
    }
    if (fatal instanceof Error error) {
      throw error;
    }
    if (fatal != null) { // send() catches every RuntimeException; kept for completeness
      throw new IllegalStateException("a Consul write failed unexpectedly", fatal);
    }
    return outcomes;
  }

  private Outcome send(Op op, AtomicBoolean unreachable) {
    if (unreachable.get()) {
      return new Outcome(op, Result.ABANDONED, null);
    }
    try {
      return switch (op) {
        case Register register -> register(register);
        case SetHealth health -> setHealth(health.plan(), health.have());
        case Deregister deregister -> deregister(deregister);
      };
    } catch (ControlPlaneUnavailableException e) {
      unreachable.set(true);
      return new Outcome(op, Result.UNREACHABLE, e);
    } catch (RuntimeException e) {
      // A refusal of this one request, or an exception about it alone: the op's own outcome.
      if (op instanceof SetHealth health) {
        // The agent may have lost the check: the next write of this ID registers it again.
        mirror.put(op.id(), forgotten(health.plan()));
        return new Outcome(op, Result.RETRY, e);
      }
      return new Outcome(op, Result.REJECTED, e);
    }
  }

  /** Registered (or maybe not), but what the agent holds is unknown: the next write redoes it. */
  private static HeldService forgotten(PlannedRegistration plan) {
    return new HeldService(plan.id(), plan.describe(), null, null, false, null,
        HeldService.sourceOf(plan));
  }

  private Outcome register(Register op) {
    PlannedRegistration plan = op.plan();
    HeldService have = op.have();
    if (have == null && !op.knownFree()) {
      Optional<AgentService> existing = target.service(plan.id());
      if (existing.isPresent()) {
        if (!ownership.isManaged(existing.get())) {
          return new Outcome(op, Result.FOREIGN, null);
        }
        have = HeldService.read(existing.get());
        if (have.matches(plan)) {
          if (plan.health().isPresent()) {
            // Ours already (a bridge restarted): its check may well show the status wanted.
            have = have.withHealth(healthStatus(plan.id()));
          }
          mirror.put(plan.id(), have);
          return have.healthMatches(plan) ? new Outcome(op, Result.UNCHANGED, null)
              : setHealth(plan, have);
        }
      }
    }
    target.register(plan.registration());
    if (have != null) {
      try {
        removeStaleChecks(plan, have);
        // Consul keeps an existing check's status over a re-registration (1.8.7, measured).
        if (plan.health().isPresent()) {
          setCheck(plan);
        }
      } catch (RuntimeException e) {
        // Registered, but a stale check or status may be left: forget the hash to do it again.
        mirror.put(plan.id(), forgotten(plan));
        throw e;
      }
    } else if (plan.health().isPresent() && !plan.health().get().output().isEmpty()) {
      // A new check gets its status from the registration, but its output only this way.
      setCheck(plan);
    }
    mirror.put(plan.id(), HeldService.written(plan));
    return new Outcome(op, have == null ? Result.CREATED : Result.UPDATED, null);
  }

  /** The status the service's mirrored health check shows; null when unknown. */
  private Health.Status healthStatus(String serviceId) {
    try {
      return target.checkStatuses(RegistrationMapper.HEALTH_CHECK_NAME)
          .get(RegistrationMapper.healthCheckId(serviceId));
    } catch (ConsulAgentException e) { // e.g. a token that may not read checks: just set it
      return null;
    }
  }

  private Outcome setHealth(PlannedRegistration plan, HeldService have) {
    setCheck(plan);
    mirror.put(plan.id(), have.withHealth(plan.health().orElseThrow().status()));
    return new Outcome(new SetHealth(plan, have), Result.HEALTH, null);
  }

  private void setCheck(PlannedRegistration plan) {
    Health health = plan.health().orElseThrow();
    target.setCheck(RegistrationMapper.healthCheckId(plan.id()), health.status(),
        health.output());
  }

  /**
   * Consul (1.8 at least) keeps the checks of a re-registered agent service that the new
   * definition no longer has, so a check that was removed or renumbered would stay, often
   * critical. When the sink wrote the old definition itself it knows its checks; otherwise it
   * reads this service's.
   */
  private void removeStaleChecks(PlannedRegistration plan, HeldService have) {
    Set<String> stale = new HashSet<>(have.checkIds() != null ? have.checkIds()
        : target.checksOf(plan.id()));
    stale.removeAll(plan.checkIds());
    for (String checkId : stale) {
      target.deregisterCheck(checkId);
      log.debug("consul: removed stale check {} of {}", checkId, plan.id());
    }
  }

  private Outcome deregister(Deregister op) {
    HeldService have = op.have();
    // Out of the mirror first, so that the watch does not take our own removal for a lost state.
    mirror.remove(have.id());
    try {
      target.deregister(have.id());
      return new Outcome(op, Result.DELETED, null);
    } catch (ConsulAgentException e) {
      if (e.status() == 404) { // gone already (Consul 1.9+ answers 404 for unknown IDs)
        return new Outcome(op, Result.GONE, null);
      }
      mirror.put(have.id(), have);
      throw e;
    } catch (RuntimeException e) {
      mirror.put(have.id(), have);
      throw e;
    }
  }

  /**
   * The threads of bulk writes, shared by every target of a sink so that the bound on concurrent
   * writes holds for the sink as a whole; created on first use, since most runs have one op.
   */
  static final class Pool implements AutoCloseable {
    private final int concurrency;
    private ExecutorService executor;

    Pool(int concurrency) {
      this.concurrency = concurrency;
    }

    private synchronized ExecutorService executor() {
      if (executor == null) {
        AtomicInteger n = new AtomicInteger();
        ThreadFactory threads = runnable -> {
          Thread thread = new Thread(runnable, "consul-write-" + n.incrementAndGet());
          thread.setDaemon(true);
          return thread;
        };
        executor = Executors.newFixedThreadPool(concurrency, threads);
      }
      return executor;
    }

    @Override
    public synchronized void close() {
      if (executor != null) {
        executor.shutdownNow();
      }
    }
  }
}
