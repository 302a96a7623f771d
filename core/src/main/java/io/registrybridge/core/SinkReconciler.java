package io.registrybridge.core;

import static java.util.Objects.requireNonNull;

import io.registrybridge.retry.RetryPolicy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
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
   */
  public record Status(String sink, boolean convergedOnce, int consecutiveFailures,
      Instant lastSuccess, long syncedRevision, int services, long writes, long failures,
      int backlog) {}

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
  private boolean started; // changes before start() wait for its full sync

  // Confined to the executor thread.
  private final Map<String, Integer> idFailures = new HashMap<>();
  private ScheduledFuture<?> verifyTimer;
  private int consecutiveFailures;

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
    this.status = new Status(sink.name(), false, 0, null, -1, 0, 0, 0, 0);
  }

  /** Starts the sink, then syncs it in full right away. */
  public void start() {
    executor.execute(() -> {
      if (closed) {
        return;
      }
      try {
        sink.start(this::requestFullSync);
      } catch (RuntimeException e) {
        log.error("{}: could not start", sink.name(), e);
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
    Status s = status;
    return new Status(s.sink(), s.convergedOnce(), s.consecutiveFailures(), s.lastSuccess(),
        s.syncedRevision(), s.services(), s.writes(), s.failures(), backlog());
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
      } catch (Exception e) {
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
      succeeded(before, full, complete, revision, services, result);
      if (full) {
        scheduleVerify();
      }
      retryLater(result.retry());
      idFailures.keySet().removeAll(batch.stream().filter(id -> !result.retry().contains(id))
          .toList());
      synchronized (queueLock) {
        workScheduled = false;
      }
      kick();
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      failedWith(e, before, batch);
    }
  }

  private void succeeded(Status before, boolean full, boolean complete, long revision,
      int services, SyncResult result) {
    if (consecutiveFailures > 0) {
      log.info("{}: control plane is back after {} failed attempt(s)", sink.name(),
          consecutiveFailures);
    }
    consecutiveFailures = 0;
    if (full && result.writes() > 0) {
      log.info("{}: synced {} services: {} created, {} updated, {} deleted", sink.name(),
          services, result.created(), result.updated(), result.deleted());
    }
    boolean first = !before.convergedOnce() && full && complete;
    status = new Status(sink.name(), before.convergedOnce() || first, 0,
        clock.instant(), revision, services, before.writes() + result.writes(),
        before.failures(), backlog());
    listener.synced(sink.name(), result);
    if (first) {
      listener.convergedFirst(sink.name());
    }
  }

  private void failedWith(Exception e, Status before, Set<String> batch) {
    synchronized (queueLock) {
      // Back into the queue, behind nothing: the IDs changed since are already there.
      batch.addAll(dirty);
      dirty = batch;
      // The control plane may have lost state while it was away (a restarted agent).
      fullSyncWanted = true;
      fullSyncReason = "after a failure";
    }
    consecutiveFailures++;
    status = new Status(sink.name(), before.convergedOnce(), consecutiveFailures,
        before.lastSuccess(), before.syncedRevision(), before.services(), before.writes(),
        before.failures() + 1, backlog());
    listener.failed(sink.name(), e, consecutiveFailures);
    boolean neverAnswered = before.lastSuccess() == null;
    if (neverAnswered && !retry.mayRetryAfter(consecutiveFailures)) {
      log.error("{}: giving up after {} attempt(s): {}", sink.name(), consecutiveFailures,
          describe(e));
      listener.gaveUp(sink.name(), e);
      return; // workScheduled stays set: nothing runs any more
    }
    Duration delay = retry.delayAfter(consecutiveFailures);
    log.warn("{}: sync failed (attempt {}), retrying in {} ms: {}", sink.name(),
        consecutiveFailures, delay.toMillis(), describe(e));
    if (log.isDebugEnabled()) {
      log.debug("{}: sync failure detail", sink.name(), e);
    }
    synchronized (queueLock) {
      workScheduled = false;
      backingOff = true;
    }
    schedule(() -> {
      synchronized (queueLock) {
        backingOff = false;
      }
      kick();
    }, delay);
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

  /** Hands IDs back to the queue after a backoff that grows with each one's failures. */
  private void retryLater(Set<String> ids) {
    if (ids.isEmpty()) {
      return;
    }
    int attempts = 0;
    for (String id : ids) {
      attempts = Math.max(attempts, idFailures.merge(id, 1, Integer::sum));
    }
    Duration delay = retry.delayAfter(attempts);
    log.debug("{}: {} service(s) to retry in {} ms", sink.name(), ids.size(), delay.toMillis());
    Set<String> again = Set.copyOf(ids);
    schedule(() -> {
      synchronized (queueLock) {
        dirty.addAll(again);
      }
      kick();
    }, delay);
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
