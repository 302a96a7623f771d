package io.registrybridge.sink.etcd;

import static java.util.Objects.requireNonNull;

import io.registrybridge.core.ControlPlaneUnavailableException;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the sink's keys alive every {@code -ttl-refresh}, on the sink's side thread so that it
 * never waits behind the sink's writes: Registrator's {@code Refresh}. If the bridge stops, the
 * keys run out after {@code -ttl}. The executor belongs to the daemon; {@link #close()} only
 * cancels this task.
 */
final class TtlRefresher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TtlRefresher.class);

  private final EtcdSink sink;
  private final ScheduledExecutorService executor;
  private final Duration every;
  private final Object lock = new Object();
  private ScheduledFuture<?> task; // guarded by lock
  private boolean closed; // guarded by lock
  private volatile String failing; // what the last round failed with; null when it passed

  TtlRefresher(EtcdSink sink, ScheduledExecutorService executor, Duration every) {
    this.sink = requireNonNull(sink, "sink");
    this.executor = requireNonNull(executor, "executor");
    this.every = requireNonNull(every, "every");
  }

  /** The first round runs one interval from now. */
  void start() {
    synchronized (lock) {
      if (!closed && task == null) {
        task = executor.scheduleWithFixedDelay(this::round, every.toMillis(), every.toMillis(),
            TimeUnit.MILLISECONDS);
      }
    }
  }

  /** One round; never throws, or the executor would never run it again. */
  void round() {
    try {
      sink.refreshTtl();
      if (failing != null) {
        log.info("{}: TTL refreshes pass again", sink.name());
        failing = null;
      }
    } catch (ControlPlaneUnavailableException e) {
      if (failing == null) {
        log.warn("{}: cannot refresh TTLs, trying again every {} s: {}", sink.name(),
            every.toSeconds(), e.getMessage());
      }
      failing = e.toString();
    } catch (RuntimeException | Error e) {
      if (!e.toString().equals(failing)) {
        log.error("{}: refreshing TTLs failed unexpectedly; trying again next round",
            sink.name(), e);
      }
      failing = e.toString();
    }
  }

  @Override
  public void close() {
    synchronized (lock) {
      closed = true;
      if (task != null) {
        task.cancel(false);
      }
    }
  }
}
