package io.registrybridge.core;

import static java.util.Objects.requireNonNull;

import io.registrybridge.retry.RetryPolicy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives one {@link Sink} from a work queue of dirty service IDs, the way client-go's workqueue
 * drives a controller: it keeps keys, not events.
 *
 * <ul>
 *   <li>When the sink is idle, a change is applied at once, with no quiet period.
 *   <li>While a write is in flight, further changes pile up in the dirty set and go out together
 *       in the next {@link Sink#apply}; an ID changed ten times meanwhile is written once, in its
 *       newest state.
 *   <li>When the control plane fails, the batch goes back into the set and the reconciler backs
 *       off ({@link RetryPolicy}); changes that arrive meanwhile wait for the retry instead of
 *       shortening it. The first attempt after a failure is a full {@link Sink#sync}, because the
 *       control plane may have lost state while it was away. Memory stays bounded by the number of
 *       services: an ID is in the set once, however often it changed.
 *   <li>IDs the sink could not write this time ({@link SyncResult#retry()}) come back after a
 *       per-ID backoff, without holding up the others.
 *   <li>A full sync also runs at start, when the desired state becomes complete (the first
 *       listing of every source, which is when deletes become allowed), when the sink asks for
 *       one, and every {@link SinkTiming#verifyInterval()}.
 * </ul>
 *
 * <p>Every sink has its own reconciler and its own single-threaded executor, so one control plane
 * being down never delays another. The sink is only called on that thread. The dirty set is the
 * only state shared with the sources' threads.
 */
public final class SinkReconciler implements AutoCloseable, DesiredIndex.Listener {
  private static final Logger log = LoggerFactory.getLogger(SinkReconciler.class);

  /** The most IDs handed to one {@link Sink#apply}. */
  static final int MAX_BATCH = 256;

  /** What happened, for the daemon's exit policy, health and metrics. */
  public interface Listener {
    default void synced(String sink, SyncResult result) {}

    /**
     * The first full sync of a complete desired state succeeded: the sink holds what the
     * sources' first listing asked for. Called once, after {@link #synced}.
     */
    default void convergedFirst(String sink) {}

    default void failed(String sink, Exception error, int consecutiveFailures) {}

    /**
     * A call to the sink threw something other than {@link ControlPlaneUnavailableException}: a
     * bug or one bad item. The reconciler has logged it and isolates it; this is for counting.
     */
    default void unexpected(String sink, Throwable error) {}

    /** The control plane never answered within the retry policy; the daemon should exit. */
    default void gaveUp(String sink, Exception lastError) {}
  }

  /**
   * A point-in-time view of the loop, safe to read from any thread.
   *
   * @param convergedOnce a full sync of a complete desired state succeeded at least once
   * @param lastSuccess when the last call to the sink succeeded; null before the first
   * @param syncedRevision the {@link DesiredView#revision()} the last successful call started from
   * @param services how many services were desired then
   * @param writes creates, updates and deletes since start
   * @param failures failed calls since start
   * @param backlog IDs waiting to be written
   * @param unexpectedInARow calls in a row that failed unexpectedly (not an outage), reset by
   *     the next call that does not
   * @param quarantined IDs whose own writes failed unexpectedly, each waiting out its backoff
   */
  public record Status(String sink, boolean convergedOnce, int consecutiveFailures,
      Instant lastSuccess, long syncedRevision, int services, long writes, long failures,
      int backlog, int unexpectedInARow, int quarantined) {}

  /**
   * Calls in a row that fail unexpectedly before the loop counts as stuck ({@link #stalled}):
   * one may be a passing fault, three with backoff in between are a loop that does no work.
   */
  static final int UNEXPECTED_LIMIT = 3;

  /**
   * The most IDs one isolation pass tries one at a time: past that, the sink fails for nearly
   * every ID (or its incremental path is a full sync), and the fault is the sink's, not an item's.
   */
  static final int MAX_ISOLATED = 16;

  private final Sink sink;
  private final DesiredView desired;
  private final RetryPolicy retry;
  private final ScheduledExecutorService executor;
  private final Clock clock;
  private final Listener listener;

  // The work queue, shared with the sources' threads; guarded by queueLock.
  private final Object queueLock = new Object();
  private Set<String> dirty = new LinkedHashSet<>();
  private boolean fullSyncWanted;
  private String fullSyncReason = "start";
  private boolean workScheduled; // a work() task is queued or running
  private boolean backingOff; // a failure's retry timer is pending
  private long backoffGeneration; // which backoff a timer or probe belongs to
  private boolean started; // changes before start() wait for its full sync

  // Confined to the executor thread.
  private final Map<String, Integer> idFailures = new HashMap<>();
  private final Set<String> quarantined = ConcurrentHashMap.newKeySet();
  /** Per ID, what was last handed to the sink and went through: its content hash. */
  private final Map<String, Long> written = new ConcurrentHashMap<>();
  /** Per quarantined or retried ID, why and when next; read by {@link #state}. */
  private final Map<String, IdState> retrying = new ConcurrentHashMap<>();
  private volatile String lastFailure = "";
  private volatile Instant nextAttempt;
  private volatile int quarantinedCount; // quarantined.size(), for status() on other threads
  private ScheduledFuture<?> verifyTimer;
  private volatile int consecutiveFailures; // written on the loop thread, read by state()
  // Writes of incremental calls before the first complete full sync: the first listing reports
  // each container as soon as it is inspected, so sinks write (and log each service) before
  // that sync. Its summary counts them too, or it would not match the lines above it.
  private SyncResult writtenBeforeFirstSync = SyncResult.NOTHING;

  // For stalled(), from any thread: when the call in flight began, when the last one ended.
  private volatile Instant callStarted;
  private volatile Instant lastCallEnded;
  private volatile int unexpectedInARow;
  private volatile String lastUnexpected = "";

  // Every timer not yet run, so that close() can cancel them from any thread.
  private final Set<ScheduledFuture<?>> timers = ConcurrentHashMap.newKeySet();

  private volatile boolean closed;
  private volatile Status status;

  public SinkReconciler(Sink sink, DesiredView desired, RetryPolicy retry,
      ScheduledExecutorService executor, Clock clock, Listener listener) {
    this.sink = requireNonNull(sink, "sink");
    this.desired = requireNonNull(desired, "desired");
    this.retry = requireNonNull(retry, "retry");
    this.executor = requireNonNull(executor, "executor");
    this.clock = requireNonNull(clock, "clock");
    this.listener = requireNonNull(listener, "listener");
    this.status = new Status(sink.name(), false, 0, null, -1, 0, 0, 0, 0, 0, 0);
    this.lastCallEnded = clock.instant();
  }

  /** Starts the sink, then syncs it in full right away. */
  public void start() {
    executor.execute(() -> {
      if (closed) {
        return;
      }
      try {
        sink.start(this::requestFullSync);
      } catch (Throwable e) {
        // The sink still syncs; what failed to start (a watch) is its own to retry.
        log.error("{}: could not start", sink.name(), e);
        listener.unexpected(sink.name(), e);
      }
      synchronized (queueLock) {
        started = true;
      }
      requestFullSync("start");
    });
  }

  /** The desired state changed: those IDs go into the queue. */
  @Override
  public void changed(DesiredIndex.Change change) {
    synchronized (queueLock) {
      dirty.addAll(change.ids());
      if (change.becameComplete()) {
        fullSyncWanted = true;
        fullSyncReason = "every source listed once";
      } else if (change.firstListingOf().isPresent()) {
        fullSyncWanted = true;
        fullSyncReason = change.firstListingOf().get() + " listed once";
      }
    }
    kick();
  }

  /** Asks for a full sync as soon as the sink is idle; thread-safe. */
  public void requestFullSync(String reason) {
    synchronized (queueLock) {
      if (!fullSyncWanted) {
        fullSyncWanted = true;
        fullSyncReason = reason;
      }
    }
    kick();
  }

  public Status status() {
    // The last call's record, with what changes between calls read live.
    Status s = status;
    return new Status(s.sink(), s.convergedOnce(), s.consecutiveFailures(), s.lastSuccess(),
        s.syncedRevision(), s.services(), s.writes(), s.failures(), backlog(), unexpectedInARow,
        quarantinedCount);
  }

  /**
   * Why this loop is not making progress, for the liveness probe; empty while it works. A loop
   * is stuck when one call has run for longer than {@code limit} (a request without a timeout,
   * a deadlock), when work has waited that long with no call running and no backoff pending
   * (a loop that lost its way), or when {@value #UNEXPECTED_LIMIT} calls in a row failed
   * unexpectedly. A control plane that is down is not this: the loop waits as it should, and
   * readiness says so.
   */
  public Optional<String> stalled(Duration limit) {
    Instant now = clock.instant();
    Instant inFlight = callStarted;
    if (inFlight != null && Duration.between(inFlight, now).compareTo(limit) > 0) {
      return Optional.of("one call to the sink has run for "
          + Duration.between(inFlight, now).toSeconds() + " s");
    }
    int unexpected = unexpectedInARow;
    if (unexpected >= UNEXPECTED_LIMIT) {
      return Optional.of(unexpected + " calls in a row failed unexpectedly, last: "
          + lastUnexpected);
    }
    boolean waiting;
    synchronized (queueLock) {
      waiting = started && !closed && !backingOff && (fullSyncWanted || !dirty.isEmpty());
    }
    Instant ended = lastCallEnded;
    if (waiting && inFlight == null && Duration.between(ended, now).compareTo(limit) > 0) {
      return Optional.of("work has waited " + Duration.between(ended, now).toSeconds()
          + " s with no call running");
    }
    return Optional.empty();
  }

  public String sinkName() {
    return sink.name();
  }

  /**
   * Stops the loop and then, on its thread and after the call in progress, syncs {@code last}
   * once: for shutdown, where the bridge may remove everything it owns. Nothing runs after it, so
   * no retry or verify timer can undo it. Failures complete the future exceptionally.
   */
  public CompletableFuture<SyncResult> finish(DesiredState last) {
    CompletableFuture<SyncResult> done = new CompletableFuture<>();
    closed = true;
    cancelTimers();
    executor.execute(() -> {
      try {
        done.complete(sink.sync(last));
      } catch (Throwable e) {
        done.completeExceptionally(e);
      }
    });
    return done;
  }

  /** Stops the loop after the call in progress, if any; the executor belongs to the caller. */
  @Override
  public void close() {
    closed = true;
    cancelTimers();
  }

  private void cancelTimers() {
    for (ScheduledFuture<?> timer : timers) {
      timer.cancel(false);
    }
    timers.clear();
  }

  /** Runs work() now unless it is already queued, running or waiting out a failure. */
  private void kick() {
    synchronized (queueLock) {
      if (closed || !started || workScheduled || backingOff
          || (dirty.isEmpty() && !fullSyncWanted)) {
        return;
      }
      workScheduled = true;
    }
    try {
      executor.execute(this::work);
    } catch (RejectedExecutionException e) {
      // The executor was shut down: the bridge is stopping.
      log.debug("{}: not scheduled, stopping", sink.name());
    }
  }

  private void work() {
    if (closed) {
      return;
    }
    Set<String> batch;
    boolean full;
    String reason;
    synchronized (queueLock) {
      full = fullSyncWanted;
      reason = fullSyncReason;
      fullSyncWanted = false;
      batch = takeBatch(full);
    }
    long revision = desired.revision();
    Status before = status;
    callStarted = clock.instant();
    boolean rescheduled = false;
    try {
      SyncResult result;
      int services;
      boolean complete;
      if (full) {
        DesiredState state = desired.snapshot();
        revision = state.version();
        services = state.services().size();
        complete = state.complete();
        log.debug("{}: full sync ({}), {} services", sink.name(), reason, services);
        result = sink.sync(state);
      } else {
        services = desired.size();
        complete = false;
        result = sink.apply(batch, desired);
      }
      unexpectedInARow = 0;
      remember(full, batch, result.retry());
      settle(batch, result.retry());
      succeeded(before, full, complete, revision, services, result);
      if (full) {
        scheduleVerify();
      }
    } catch (Throwable e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      if (unavailable(e)) {
        rescheduled = failedWith((Exception) e, before, batch);
      } else {
        rescheduled = failedUnexpectedly(e, before, full, batch);
      }
    } finally {
      callStarted = null;
      lastCallEnded = clock.instant();
      if (!rescheduled) {
        synchronized (queueLock) {
          workScheduled = false;
        }
      }
    }
    kick();
  }

  /**
   * Whether {@code e} says the control plane cannot be reached, which backs the whole sink off.
   * Checked exceptions count as that, as the SPI said before {@link
   * ControlPlaneUnavailableException} existed; any other throwable is a bug or one bad item.
   */
  private static boolean unavailable(Throwable e) {
    return e instanceof ControlPlaneUnavailableException
        || (e instanceof Exception && !(e instanceof RuntimeException));
  }

  /**
   * Notes what went through, for {@link #state}: after a full sync every desired ID as it is
   * now, after an incremental call the IDs of the batch that the sink did not hand back.
   */
  private void remember(boolean full, Set<String> batch, Set<String> retry) {
    if (full) {
      DesiredState now = desired.snapshot();
      written.keySet().retainAll(now.services().keySet());
      now.services().forEach((id, instance) -> {
        if (!retry.contains(id)) {
          written.put(id, DesiredEntry.of(instance).contentHash());
        }
      });
      return;
    }
    for (String id : batch) {
      if (retry.contains(id)) {
        continue;
      }
      desired.entry(id).ifPresentOrElse(entry -> written.put(id, entry.contentHash()),
          () -> written.remove(id));
    }
  }

  /**
   * Where one ID stands in this sink, for {@code /debug/services}; any thread. The sink's own
   * verdict (rejected, held) first, then a retry, then the queue, then what was written.
   */
  public IdState state(String id) {
    java.util.Optional<IdState> own = desired.get(id).flatMap(sink::explain);
    if (own.isPresent()) {
      return own.get();
    }
    IdState retry = retrying.get(id);
    if (retry != null) {
      return retry;
    }
    boolean queued;
    synchronized (queueLock) {
      queued = dirty.contains(id) || !started;
    }
    if (queued && consecutiveFailures > 0) {
      return IdState.retrying(lastFailure, nextAttempt);
    }
    Long hash = written.get(id);
    java.util.Optional<DesiredEntry> entry = desired.entry(id);
    if (!queued && hash != null && entry.isPresent() && entry.get().contentHash() == hash) {
      return IdState.written(hash);
    }
    return IdState.pending();
  }

  /** Forgets the failures of the IDs that went through; hands back those to retry. */
  private void settle(Set<String> batch, Set<String> retry) {
    retryLater(retry);
    for (String id : batch) {
      if (!retry.contains(id) && idFailures.remove(id) != null) {
        quarantined.remove(id);
        retrying.remove(id);
      }
    }
    quarantinedCount = quarantined.size();
  }

  /** How an isolation pass ended. */
  private enum Isolation {
    /** Some IDs were written: the failure belongs to the IDs that failed on their own. */
    CONTAINED,
    /** Nothing could be written: the sink fails as a whole. */
    NOTHING_WRITTEN,
    /** Stopped early; the rest went back into the queue, to wait out a backoff. */
    STOPPED
  }

  /**
   * A call failed with something other than an outage. It is logged with its stack and
   * counted, and isolated: the batch's IDs are applied again in halves, so that the IDs that
   * fail on their own wait out a backoff each (quarantined) while all others are written now. A
   * full sync cannot be split, so after one fails this way every desired ID is applied like
   * that, and the full sync (which also deletes) is tried again after a backoff.
   *
   * <p>A failure that isolation contains is an item's problem: the loop goes on. One it cannot
   * contain (nothing could be written) counts towards {@link #stalled}.
   *
   * @return whether {@code workScheduled} stays set (never: the loop stays free)
   */
  private boolean failedUnexpectedly(Throwable e, Status before, boolean full,
      Set<String> batch) {
    boolean retryOfQuarantined = !full && batch.size() == 1 && quarantined.containsAll(batch);
    lastUnexpected = describe(e);
    listener.unexpected(sink.name(), e);
    status = new Status(sink.name(), before.convergedOnce(), before.consecutiveFailures(),
        before.lastSuccess(), before.syncedRevision(), before.services(), before.writes(),
        before.failures() + 1, 0, 0, 0);
    Set<String> ids = batch;
    if (full) {
      ids = new java.util.TreeSet<>(desired.snapshot().services().keySet());
      ids.addAll(batch);
      schedule(() -> requestFullSync("after an unexpected failure"),
          retry.delayAfter(unexpectedInARow + 1));
    }
    if (!retryOfQuarantined) {
      log.error("{}: {} failed unexpectedly (not an outage); isolating the IDs involved",
          sink.name(), full ? "a full sync" : "applying " + batch.size() + " ID(s)", e);
    }
    Isolation outcome;
    if (ids.size() > 1) {
      outcome = isolate(ids);
    } else {
      quarantine(ids, e);
      outcome = Isolation.NOTHING_WRITTEN;
    }
    if (outcome == Isolation.CONTAINED || retryOfQuarantined) {
      unexpectedInARow = 0;
    } else {
      unexpectedInARow++;
    }
    if (outcome == Isolation.STOPPED) {
      backOff(retry.delayAfter(Math.max(1, unexpectedInARow)), false);
    }
    return false;
  }

  /**
   * Applies {@code ids} in batches, halving a batch that fails until the failing IDs stand
   * alone; those are quarantined.
   */
  private Isolation isolate(Set<String> ids) {
    java.util.ArrayDeque<List<String>> pending = new java.util.ArrayDeque<>();
    List<String> all = List.copyOf(ids);
    for (int i = 0; i < all.size(); i += MAX_BATCH) {
      pending.add(all.subList(i, Math.min(all.size(), i + MAX_BATCH)));
    }
    int failedAlone = 0;
    boolean wroteAny = false;
    while (!pending.isEmpty() && !closed) {
      List<String> part = pending.poll();
      Set<String> partIds = new LinkedHashSet<>(part);
      try {
        SyncResult result = sink.apply(partIds, desired);
        wroteAny = true;
        Status s = status;
        status = new Status(s.sink(), s.convergedOnce(), s.consecutiveFailures(), s.lastSuccess(),
            s.syncedRevision(), s.services(), s.writes() + result.writes(), s.failures(), 0, 0,
            0);
        listener.synced(sink.name(), result);
        if (!s.convergedOnce()) {
          writtenBeforeFirstSync = writtenBeforeFirstSync.plus(result);
        }
        settle(partIds, result.retry());
      } catch (Throwable e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
        boolean gone = unavailable(e);
        if (gone || (part.size() == 1 && ++failedAlone > MAX_ISOLATED)) {
          List<String> rest = new ArrayList<>(part);
          pending.forEach(rest::addAll);
          synchronized (queueLock) {
            dirty.addAll(rest);
          }
          log.warn("{}: stopped isolating ({}); {} ID(s) wait for the next attempt", sink.name(),
              gone ? "the control plane went away" : "too many IDs fail on their own",
              rest.size());
          return Isolation.STOPPED;
        }
        if (part.size() == 1) {
          listener.unexpected(sink.name(), e);
          quarantine(partIds, e);
        } else {
          int half = part.size() / 2;
          pending.addFirst(part.subList(half, part.size()));
          pending.addFirst(part.subList(0, half));
        }
      }
    }
    return wroteAny ? Isolation.CONTAINED : Isolation.NOTHING_WRITTEN;
  }

  /** Skips IDs whose own writes fail unexpectedly, naming each, until a backoff has passed. */
  private void quarantine(Set<String> ids, Throwable e) {
    for (String id : ids) {
      retrying.put(id, IdState.retrying("failed unexpectedly: " + describe(e), null));
      String origin = desired.get(id).map(ServiceInstance::origin).filter(o -> !o.isEmpty())
          .map(o -> " (" + o + ")").orElse("");
      // Loud once; its retries (with a growing backoff) show in the quarantined gauge.
      if (quarantined.add(id)) {
        log.error("{}: writing {}{} failed unexpectedly, skipping it for now; every other ID "
            + "goes on: {}", sink.name(), id, origin, describe(e));
      } else {
        log.debug("{}: writing {}{} failed unexpectedly again: {}", sink.name(), id, origin,
            describe(e));
      }
    }
    quarantinedCount = quarantined.size();
    retryLater(ids);
  }

  private void succeeded(Status before, boolean full, boolean complete, long revision,
      int services, SyncResult result) {
    if (consecutiveFailures > 0) {
      log.info("{}: control plane is back after {} failed attempt(s)", sink.name(),
          consecutiveFailures);
    }
    consecutiveFailures = 0;
    boolean first = !before.convergedOnce() && full && complete;
    if (!full && !before.convergedOnce()) {
      writtenBeforeFirstSync = writtenBeforeFirstSync.plus(result);
    }
    SyncResult shown = first ? result.plus(writtenBeforeFirstSync) : result;
    if (full && shown.writes() > 0) {
      int early = first ? writtenBeforeFirstSync.writes() : 0;
      log.info("{}: synced {} services: {} created, {} updated, {} deleted{}", sink.name(),
          services, shown.created(), shown.updated(), shown.deleted(), early == 0 ? ""
              : " (" + early + " of these writes while the sources were still listing)");
    }
    if (first) {
      writtenBeforeFirstSync = SyncResult.NOTHING;
    }
    status = new Status(sink.name(), before.convergedOnce() || first, 0,
        clock.instant(), revision, services, before.writes() + result.writes(),
        before.failures(), 0, 0, 0);
    listener.synced(sink.name(), result);
    if (first) {
      listener.convergedFirst(sink.name());
    }
  }

  /** @return whether {@code workScheduled} stays set: after giving up, nothing runs any more */
  private boolean failedWith(Exception e, Status before, Set<String> batch) {
    synchronized (queueLock) {
      // Back into the queue, behind nothing: the IDs changed since are already there.
      batch.addAll(dirty);
      dirty = batch;
      // The control plane may have lost state while it was away (a restarted agent).
      fullSyncWanted = true;
      fullSyncReason = "after a failure";
    }
    consecutiveFailures++;
    unexpectedInARow = 0;
    status = new Status(sink.name(), before.convergedOnce(), consecutiveFailures,
        before.lastSuccess(), before.syncedRevision(), before.services(), before.writes(),
        before.failures() + 1, 0, 0, 0);
    listener.failed(sink.name(), e, consecutiveFailures);
    boolean neverAnswered = before.lastSuccess() == null;
    if (neverAnswered && !retry.mayRetryAfter(consecutiveFailures)) {
      log.error("{}: giving up after {} attempt(s): {}", sink.name(), consecutiveFailures,
          describe(e));
      listener.gaveUp(sink.name(), e);
      return true;
    }
    Duration delay = retry.delayAfter(consecutiveFailures);
    lastFailure = describe(e);
    nextAttempt = clock.instant().plus(delay);
    log.warn("{}: sync failed (attempt {}), retrying in {} ms: {}", sink.name(),
        consecutiveFailures, delay.toMillis(), describe(e));
    if (log.isDebugEnabled()) {
      log.debug("{}: sync failure detail", sink.name(), e);
    }
    backOff(delay, true);
    return false;
  }

  /**
   * Holds the queue for {@code delay}: changes arriving meanwhile wait instead of running. After
   * an outage, a sink with a probe ({@link Sink#probeInterval()}) is asked meanwhile whether its
   * control plane answers again; when it does, the backoff ends at once. Not after a bug: the
   * control plane answering says nothing about that.
   */
  private void backOff(Duration delay, boolean outage) {
    long generation;
    synchronized (queueLock) {
      backingOff = true;
      generation = ++backoffGeneration;
    }
    schedule(() -> endBackoff(generation), delay);
    sink.probeInterval().filter(every -> outage && every.compareTo(delay) < 0)
        .ifPresent(every -> schedule(() -> probe(generation, every), every));
  }

  private void endBackoff(long generation) {
    synchronized (queueLock) {
      if (generation != backoffGeneration || !backingOff) {
        return; // a probe ended it already, or a newer backoff runs
      }
      backingOff = false;
    }
    kick();
  }

  /** One probe of a backoff; the next one is scheduled unless it answered or the backoff ended. */
  private void probe(long generation, Duration every) {
    synchronized (queueLock) {
      if (closed || generation != backoffGeneration || !backingOff) {
        return;
      }
    }
    boolean answers;
    try {
      answers = sink.answers();
    } catch (RuntimeException e) {
      answers = false;
    }
    if (answers) {
      log.info("{}: control plane answers again; retrying now", sink.name());
      endBackoff(generation);
    } else {
      schedule(() -> probe(generation, every), every);
    }
  }

  /**
   * The IDs for one call: all of them for a full sync (which covers everything anyway), at most
   * {@link #MAX_BATCH} otherwise, so that a change made during a long bulk write waits for one
   * batch, not for all of them.
   */
  private Set<String> takeBatch(boolean full) {
    if (full || dirty.size() <= MAX_BATCH) {
      Set<String> all = dirty;
      dirty = new LinkedHashSet<>();
      return all;
    }
    Set<String> batch = new LinkedHashSet<>();
    var it = dirty.iterator();
    while (batch.size() < MAX_BATCH) {
      batch.add(it.next());
      it.remove();
    }
    return batch;
  }

  /**
   * Hands IDs back to the queue, each after a backoff that grows with its own failures: one
   * chronically failing ID does not push a first-time failure to the longest delay.
   */
  private void retryLater(Set<String> ids) {
    if (ids.isEmpty()) {
      return;
    }
    Map<Integer, Set<String>> byAttempts = new java.util.TreeMap<>();
    for (String id : ids) {
      int attempts = idFailures.merge(id, 1, Integer::sum);
      byAttempts.computeIfAbsent(attempts, a -> new LinkedHashSet<>()).add(id);
    }
    byAttempts.forEach((attempts, again) -> {
      Duration delay = retry.delayAfter(attempts);
      Instant next = clock.instant().plus(delay);
      for (String id : again) {
        IdState before = retrying.get(id);
        retrying.put(id, IdState.retrying(before == null ? "the control plane answered with an"
            + " error; see the sink's log" : before.why().orElse(""), next));
      }
      log.debug("{}: {} service(s) to retry in {} ms", sink.name(), again.size(),
          delay.toMillis());
      schedule(() -> {
        synchronized (queueLock) {
          dirty.addAll(again);
        }
        kick();
      }, delay);
    });
  }

  private void scheduleVerify() {
    if (verifyTimer != null) {
      verifyTimer.cancel(false);
      timers.remove(verifyTimer);
    }
    verifyTimer = schedule(() -> requestFullSync("periodic verify"),
        sink.timing().verifyInterval());
  }

  /** Schedules on the loop's thread; null once the bridge is stopping. */
  private ScheduledFuture<?> schedule(Runnable task, Duration delay) {
    if (closed) {
      return null;
    }
    try {
      AtomicReference<ScheduledFuture<?>> self = new AtomicReference<>();
      ScheduledFuture<?> timer = executor.schedule(() -> {
        timers.remove(self.get());
        task.run();
      }, delay.toMillis(), TimeUnit.MILLISECONDS);
      self.set(timer);
      timers.add(timer);
      if (closed) {
        timer.cancel(false); // close() ran in between
      }
      return timer;
    } catch (RejectedExecutionException e) {
      return null; // the executor was shut down: the bridge is stopping
    }
  }

  private int backlog() {
    synchronized (queueLock) {
      return dirty.size();
    }
  }

  private static String describe(Throwable e) {
    StringBuilder text = new StringBuilder(e.getClass().getSimpleName());
    if (e.getMessage() != null) {
      text.append(": ").append(e.getMessage());
    }
    Throwable cause = e.getCause();
    if (cause != null && cause != e && cause.getMessage() != null) {
      text.append(" (").append(cause.getMessage()).append(')');
    }
    return text.toString();
  }
}
