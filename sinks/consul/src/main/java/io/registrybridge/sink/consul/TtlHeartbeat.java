package io.registrybridge.sink.consul;

import static java.util.Objects.requireNonNull;

import io.registrybridge.core.ControlPlaneUnavailableException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Passes the bridge's TTL checks every {@link ConsulSinkConfig.Ttl#refresh()}, like Registrator's
 * {@code -ttl-refresh}. If the bridge stops, Consul marks its services critical after the TTL.
 * Does nothing when the sink has no TTL configured.
 *
 * <p>The executor belongs to the caller; {@link #close()} only cancels this task.
 */
public final class TtlHeartbeat implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TtlHeartbeat.class);

  private final ConsulSink sink;
  private final ScheduledExecutorService executor;
  private final Object lock = new Object();
  private ScheduledFuture<?> task; // guarded by lock
  private boolean closed; // guarded by lock
  private volatile String failing; // what the last round failed with; null when it passed

  public TtlHeartbeat(ConsulSink sink, ScheduledExecutorService executor) {
    this.sink = requireNonNull(sink, "sink");
    this.executor = requireNonNull(executor, "executor");
  }

  /** Starts passing checks every refresh interval; the first round runs after one interval. */
  public void start() {
    sink.config().ttl().ifPresent(ttl -> {
      long every = ttl.refresh().toMillis();
      synchronized (lock) {
        if (closed || task != null) {
          return;
        }
        task = executor.scheduleWithFixedDelay(this::beat, every, every, TimeUnit.MILLISECONDS);
      }
    });
  }

  /**
   * One round; never throws, since a throwing task would never be scheduled again. Consul not
   * answering is logged once until the checks pass again; anything else (a bug, an {@link
   * Error}) is logged with its stack trace, once while it repeats, and the next round runs as
   * usual.
   */
  void beat() {
    try {
      int passed = sink.passTtlChecks();
      if (failing != null) {
        log.info("{}: TTL checks pass again ({} services)", sink.name(), passed);
        failing = null;
      }
    } catch (ControlPlaneUnavailableException e) {
      if (failing == null) {
        String every = sink.config().ttl().map(t -> GoDurations.format(t.refresh())).orElse("?");
        log.warn("{}: cannot pass TTL checks, retrying every {}: {}", sink.name(), every,
            e.getMessage());
      }
      failing = e.toString();
    } catch (RuntimeException | Error e) {
      if (!e.toString().equals(failing)) {
        log.error("{}: passing TTL checks failed unexpectedly; trying again next round",
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
