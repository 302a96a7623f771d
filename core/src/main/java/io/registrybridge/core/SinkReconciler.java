package io.registrybridge.core;

import static java.util.Objects.requireNonNull;

import io.registrybridge.retry.RetryPolicy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives one {@link Sink}: calls {@link Sink#sync} when the desired state changes, retries with
 * backoff when the control plane fails, and re-syncs every {@code verifyInterval} so a control
 * plane that lost our registrations (an agent restart, a dev-mode Consul) is repaired within
 * seconds.
 *
 * <p>Every sink has its own reconciler and its own single-threaded executor, so one control plane
 * being down never delays another. All mutable state is confined to that executor thread; public
 * methods only submit tasks to it.
 *
 * <p>Nothing queues up during an outage: a retry always syncs the newest desired state, and
 * changes that arrive while the sink is backing off wait for the next attempt instead of
 * shortening the backoff.
 */
public final class SinkReconciler implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SinkReconciler.class);

  /**
   * Timing of the loop.
   *
   * @param verifyInterval how often to re-read the control plane when nothing changed
   * @param quietPeriod how long a burst of changes must pause before a sync
   * @param maxDelay the longest a change waits during a continuous burst
   */
  public record Timing(Duration verifyInterval, Duration quietPeriod, Duration maxDelay) {
    public static final Timing DEFAULT =
        new Timing(Duration.ofSeconds(5), Duration.ofMillis(100), Duration.ofSeconds(1));
  }

  /** What happened, for the daemon's exit policy, health and metrics. */
  public interface Listener {
    default void synced(String sink, SyncResult result) {}

    default void failed(String sink, Exception error, int consecutiveFailures) {}

    /** The control plane never answered within the retry policy; the daemon should exit. */
    default void gaveUp(String sink, Exception lastError) {}
  }

  /**
   * A point-in-time view of the loop, safe to read from any thread.
   *
   * @param convergedOnce a sync of a complete desired state succeeded at least once
   * @param lastSuccess when the last sync succeeded; null before the first
   * @param syncedVersion the {@link DesiredState#version()} the last successful sync wrote
   * @param services how many services that desired state held
   * @param writes creates, updates and deletes since start
   * @param failures failed syncs since start
   */
  public record Status(String sink, boolean convergedOnce, int consecutiveFailures,
      Instant lastSuccess, long syncedVersion, int services, long writes, long failures) {}

  private final Sink sink;
  private final Supplier<DesiredState> desired;
  private final RetryPolicy retry;
  private final Timing timing;
  private final ScheduledExecutorService executor;
  private final Clock clock;
  private final Listener listener;

  // Confined to the executor thread.
  private ScheduledFuture<?> pending;
  private long pendingAt;
  private long dirtySince = -1;
  private int consecutiveFailures;
  private boolean closed;

  // Written on the executor thread, read by status() from anywhere.
  private volatile Status status;

  public SinkReconciler(Sink sink, Supplier<DesiredState> desired, RetryPolicy retry,
      Timing timing, ScheduledExecutorService executor, Clock clock, Listener listener) {
    this.sink = requireNonNull(sink, "sink");
    this.desired = requireNonNull(desired, "desired");
    this.retry = requireNonNull(retry, "retry");
    this.timing = requireNonNull(timing, "timing");
    this.executor = requireNonNull(executor, "executor");
    this.clock = requireNonNull(clock, "clock");
    this.listener = requireNonNull(listener, "listener");
    this.status = new Status(sink.name(), false, 0, null, -1, 0, 0, 0);
  }

  /** Syncs once right away, then keeps the sink converged. */
  public void start() {
    executor.execute(() -> schedule(0));
  }

  /** The desired state changed: sync after the quiet period, unless the sink is backing off. */
  public void desiredStateChanged() {
    executor.execute(this::onChange);
  }

  public Status status() {
    return status;
  }

  public String sinkName() {
    return sink.name();
  }

  /**
   * Syncs {@code state} once on the loop's thread, after the sync in progress; for shutdown,
   * where the bridge may remove everything it owns. Failures complete the future exceptionally
   * and are not retried.
   */
  public java.util.concurrent.CompletableFuture<SyncResult> syncOnce(DesiredState state) {
    java.util.concurrent.CompletableFuture<SyncResult> done =
        new java.util.concurrent.CompletableFuture<>();
    executor.execute(() -> {
      try {
        done.complete(sink.sync(state));
      } catch (Exception e) {
        done.completeExceptionally(e);
      }
    });
    return done;
  }

  /** Stops the loop after the sync in progress, if any; the executor belongs to the caller. */
  @Override
  public void close() {
    executor.execute(() -> {
      closed = true;
      if (pending != null) {
        pending.cancel(false);
      }
    });
  }

  private void onChange() {
    if (closed) {
      return;
    }
    long now = clock.millis();
    if (dirtySince < 0) {
      dirtySince = now;
    }
    if (consecutiveFailures > 0) {
      return; // the retry that is already scheduled will sync the newest state
    }
    long untilBound = timing.maxDelay().toMillis() - (now - dirtySince);
    schedule(Math.max(0, Math.min(timing.quietPeriod().toMillis(), untilBound)));
  }

  /** Schedules a sync in {@code delayMillis}, unless one is already due sooner. */
  private void schedule(long delayMillis) {
    if (closed) {
      return;
    }
    long at = clock.millis() + delayMillis;
    if (pending != null && !pending.isDone()) {
      if (pendingAt <= at) {
        return;
      }
      pending.cancel(false);
    }
    pendingAt = at;
    pending = executor.schedule(this::syncNow, delayMillis, TimeUnit.MILLISECONDS);
  }

  private void syncNow() {
    if (closed) {
      return;
    }
    pending = null;
    dirtySince = -1;
    DesiredState state = desired.get();
    Status before = status;
    try {
      SyncResult result = sink.sync(state);
      if (consecutiveFailures > 0) {
        log.info("{}: control plane is back after {} failed attempt(s)", sink.name(),
            consecutiveFailures);
      }
      consecutiveFailures = 0;
      if (result.writes() > 0) {
        log.info("{}: synced {} services: {} created, {} updated, {} deleted", sink.name(),
            state.services().size(), result.created(), result.updated(), result.deleted());
      }
      status = new Status(sink.name(), before.convergedOnce() || state.complete(), 0,
          clock.instant(), state.version(), state.services().size(),
          before.writes() + result.writes(), before.failures());
      listener.synced(sink.name(), result);
      schedule(timing.verifyInterval().toMillis());
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      consecutiveFailures++;
      status = new Status(sink.name(), before.convergedOnce(), consecutiveFailures,
          before.lastSuccess(), before.syncedVersion(), before.services(), before.writes(),
          before.failures() + 1);
      listener.failed(sink.name(), e, consecutiveFailures);
      boolean neverAnswered = before.lastSuccess() == null;
      if (neverAnswered && !retry.mayRetryAfter(consecutiveFailures)) {
        log.error("{}: giving up after {} attempt(s): {}", sink.name(), consecutiveFailures,
            describe(e));
        listener.gaveUp(sink.name(), e);
        return;
      }
      Duration delay = retry.delayAfter(consecutiveFailures);
      log.warn("{}: sync failed (attempt {}), retrying in {} ms: {}", sink.name(),
          consecutiveFailures, delay.toMillis(), describe(e));
      if (log.isDebugEnabled()) {
        log.debug("{}: sync failure detail", sink.name(), e);
      }
      schedule(delay.toMillis());
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
