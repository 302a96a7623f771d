package io.registrybridge.core;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A single-threaded {@link ScheduledExecutorService} whose time stands still until the test
 * moves it: tasks run on the test's thread, in time order, inside {@link #runDue()} and {@link
 * #advance}. {@link #clock()} shows the same time, so code under test sees one consistent clock.
 */
final class ManualScheduler extends AbstractExecutorService implements ScheduledExecutorService {
  private final PriorityQueue<Task<?>> queue = new PriorityQueue<>();
  private long nowMillis = 1_000_000;
  private long sequence;
  private boolean shutdown;

  Clock clock() {
    return new Clock() {
      @Override
      public ZoneId getZone() {
        return ZoneOffset.UTC;
      }

      @Override
      public Clock withZone(ZoneId zone) {
        return this;
      }

      @Override
      public Instant instant() {
        return Instant.ofEpochMilli(nowMillis);
      }
    };
  }

  /** Runs every task that is due now, including tasks those tasks submit for now. */
  void runDue() {
    while (!queue.isEmpty() && queue.peek().at <= nowMillis) {
      Task<?> task = queue.poll();
      if (!task.isCancelled()) {
        task.run();
      }
    }
  }

  /** Moves time forward step by step, running what falls due on the way. */
  void advance(Duration duration) {
    long until = nowMillis + duration.toMillis();
    runDue();
    while (!queue.isEmpty() && queue.peek().at <= until) {
      nowMillis = Math.max(nowMillis, queue.peek().at);
      runDue();
    }
    nowMillis = until;
    runDue();
  }

  /** Moves the clock only, running nothing: time passing inside a task that blocks. */
  void clockAdvance(Duration duration) {
    nowMillis += duration.toMillis();
  }

  /** Tasks waiting, cancelled ones excluded. */
  int pending() {
    return (int) queue.stream().filter(t -> !t.isCancelled()).count();
  }

  private <V> Task<V> enqueue(Callable<V> callable, long delayMillis) {
    if (shutdown) {
      throw new java.util.concurrent.RejectedExecutionException("shut down");
    }
    Task<V> task = new Task<>(callable, nowMillis + Math.max(0, delayMillis), sequence++);
    queue.add(task);
    return task;
  }

  @Override
  public void execute(Runnable command) {
    enqueue(() -> {
      command.run();
      return null;
    }, 0);
  }

  @Override
  public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
    return enqueue(() -> {
      command.run();
      return null;
    }, unit.toMillis(delay));
  }

  @Override
  public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
    return enqueue(callable, unit.toMillis(delay));
  }

  @Override
  public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period,
      TimeUnit unit) {
    throw new UnsupportedOperationException("not needed by the code under test");
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay,
      long delay, TimeUnit unit) {
    throw new UnsupportedOperationException("not needed by the code under test");
  }

  @Override
  public void shutdown() {
    shutdown = true;
  }

  @Override
  public List<Runnable> shutdownNow() {
    shutdown = true;
    List<Runnable> left = new ArrayList<>(queue);
    queue.clear();
    return left;
  }

  @Override
  public boolean isShutdown() {
    return shutdown;
  }

  @Override
  public boolean isTerminated() {
    return shutdown && queue.isEmpty();
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) {
    return isTerminated();
  }

  private final class Task<V> extends FutureTask<V> implements ScheduledFuture<V> {
    final long at;
    final long order;

    Task(Callable<V> callable, long at, long order) {
      super(callable);
      this.at = at;
      this.order = order;
    }

    @Override
    public long getDelay(TimeUnit unit) {
      return unit.convert(at - nowMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    public int compareTo(Delayed other) {
      Task<?> that = (Task<?>) other;
      return at != that.at ? Long.compare(at, that.at) : Long.compare(order, that.order);
    }

    @Override
    public void run() {
      super.run();
      try {
        get(); // surface a task's exception in the test instead of swallowing it
      } catch (java.util.concurrent.CancellationException e) {
        // cancelled while running: fine
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (java.util.concurrent.ExecutionException e) {
        throw new AssertionError("a scheduled task failed", e.getCause());
      }
    }
  }
}
