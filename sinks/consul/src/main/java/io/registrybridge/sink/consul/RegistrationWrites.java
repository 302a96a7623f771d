package io.registrybridge.sink.consul;

import static java.util.Objects.requireNonNull;

import io.registrybridge.core.Health;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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
    /** Refused in a way that sending it again will not fix (400, 403). */
    REJECTED,
    /** Consul answered with another error: try this ID again later. */
    RETRY,
    /** Consul did not answer. */
    UNREACHABLE,
    /** Not sent, because Consul had stopped answering. */
    ABANDONED
  }

  /** @param error set for REJECTED, RETRY and UNREACHABLE */
  record Outcome(Op op, Result result, ConsulAgentException error) {}

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
      futures.add(workers.submit(() -> send(op, unreachable)));
    }
    List<Outcome> outcomes = new ArrayList<>(ops.size());
    for (Future<Outcome> future : futures) {
      try {
        outcomes.add(future.get());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ConsulAgentException(ConsulAgentException.NO_RESPONSE, "interrupted", e);
      } catch (ExecutionException e) {
        throw new IllegalStateException("a Consul write failed unexpectedly", e.getCause());
      }
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
    } catch (ConsulAgentException e) {
      if (!e.answered()) {
        unreachable.set(true);
        return new Outcome(op, Result.UNREACHABLE, e);
      }
      boolean refused = switch (op) {
        case Register register -> e.rejectsRegistration();
        case Deregister deregister -> e.status() == 400 || e.status() == 403;
        // A check the agent lost comes back with the next full sync's registration.
        case SetHealth health -> false;
      };
      return new Outcome(op, refused ? Result.REJECTED : Result.RETRY, e);
    }
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
          mirror.put(plan.id(), have);
          return plan.health().isPresent() ? setHealth(plan, have)
              : new Outcome(op, Result.UNCHANGED, null);
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
      } catch (ConsulAgentException e) {
        // Registered, but a stale check or status may be left: forget the hash to do it again.
        mirror.put(plan.id(), new HeldService(plan.id(), plan.describe(), null, null, false,
            null));
        throw e;
      }
    } else if (plan.health().isPresent() && !plan.health().get().output().isEmpty()) {
      // A new check gets its status from the registration, but its output only this way.
      setCheck(plan);
    }
    mirror.put(plan.id(), HeldService.written(plan));
    return new Outcome(op, have == null ? Result.CREATED : Result.UPDATED, null);
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
