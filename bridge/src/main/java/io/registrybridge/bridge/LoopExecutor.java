package io.registrybridge.bridge;

import static java.util.Objects.requireNonNull;

import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread of one of the daemon's loops ({@code source-docker}, {@code sink-0}), with
 * every task supervised.
 *
 * <p>A plain {@link ScheduledThreadPoolExecutor} keeps a task's throwable in its future, which
 * nobody reads: a failing event task vanished without a log line, and a periodic task (a {@code
 * -resync}, a heartbeat) that threw once was silently never run again. Here every task runs
 * inside a guard that logs what escapes it with the loop's name, counts it, and returns, so that
 * the thread and every periodic task carry on.
 *
 * <p>It also says how long the task in progress has run, which is what the liveness probe asks:
 * a loop whose thread is stuck in one task (a call without a timeout, a deadlock) is fed by its
 * own work, not by a timer that would queue up behind the stuck task without telling.
 */
final class LoopExecutor extends ScheduledThreadPoolExecutor {
  private static final Logger log = LoggerFactory.getLogger(LoopExecutor.class);

  private final String loop;
  private final Clock clock;
  private final Consumer<Throwable> unexpected;
  private volatile long taskStartedMillis = -1;

  /** @param unexpected told of every throwable that escaped a task, after it was logged */
  LoopExecutor(String loop, Clock clock, Consumer<Throwable> unexpected) {
    super(1, runnable -> {
      Thread thread = new Thread(runnable, loop);
      thread.setDaemon(true);
      return thread;
    });
    this.loop = requireNonNull(loop, "loop");
    this.clock = requireNonNull(clock, "clock");
    this.unexpected = requireNonNull(unexpected, "unexpected");
    // At shutdown, timers (verify, retry, heartbeat) are dropped instead of waited for.
    setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
    setRemoveOnCancelPolicy(true);
  }

  String loop() {
    return loop;
  }

  // execute() and submit(Runnable) go through schedule(Runnable, ...), so this guards them too.
  @Override
  public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
    return super.schedule(supervised(command), delay, unit);
  }

  @Override
  public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period,
      TimeUnit unit) {
    return super.scheduleAtFixedRate(supervised(command), initialDelay, period, unit);
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay,
      long delay, TimeUnit unit) {
    return super.scheduleWithFixedDelay(supervised(command), initialDelay, delay, unit);
  }

  /** Why the loop is stuck: its task in progress has run for longer than {@code limit}. */
  Optional<String> stalled(Duration limit) {
    long started = taskStartedMillis;
    if (started < 0) {
      return Optional.empty();
    }
    long ran = clock.millis() - started;
    return ran > limit.toMillis()
        ? Optional.of("one task has run for " + ran / 1000 + " s")
        : Optional.empty();
  }

  private Runnable supervised(Runnable task) {
    requireNonNull(task, "task");
    return () -> {
      taskStartedMillis = clock.millis();
      try {
        task.run();
      } catch (Throwable e) {
        log.error("{}: a task failed unexpectedly; the loop carries on", loop, e);
        try {
          unexpected.accept(e);
        } catch (RuntimeException counting) {
          log.debug("{}: counting a failure", loop, counting);
        }
      } finally {
        taskStartedMillis = -1;
      }
    };
  }
}
