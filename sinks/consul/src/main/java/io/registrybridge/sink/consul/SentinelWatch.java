package io.registrybridge.sink.consul;

import static java.util.Objects.requireNonNull;

import io.registrybridge.core.ControlPlaneUnavailableException;
import io.registrybridge.core.SinkContext;
import java.time.Duration;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices a Consul that lost the services we registered on one {@link RegistrationTarget},
 * without re-reading them all every few seconds: a blocking query on one service we own there,
 * the sentinel ({@code GET /v1/agent/service/:id?hash=..&wait=5s} on the agent, {@code GET
 * /v1/catalog/node/:node?filter=ID == ..&index=..&wait=5s} on a catalog node). Consul answers
 * when that service changes, or after the wait with nothing new. An agent restarted in dev mode
 * (or with its data directory wiped) has lost every service, so the sentinel answers 404 (or is
 * missing from its node); one that went away breaks the connection. Either way the watch asks
 * the reconciler for a full sync, which reads our services back and registers what is
 * missing. Detection takes the agent's restart plus at most one second. An agent that stops
 * answering is reported the same way after three failed attempts (under a second), so that an
 * outage shows in the metrics and in {@code /readyz} even when nothing is due to be written.
 *
 * <p>The wait is short (5 s) so that an agent that restarted behind a connection that never
 * broke (a partition, a proxy that holds the client side open) is also noticed within seconds.
 * Idle, this costs 12 small requests a minute, whatever the number of services.
 *
 * <p>A catalog node survives an agent restart in server mode, but a dev-mode agent loses it with
 * everything else, and so does a cluster restored from an old snapshot; the catalog watch is the
 * same loop on the node's blocking index. It answers when any service of the node changes (each
 * answer is the one sentinel, filtered on the server) and costs the same 12 requests a minute.
 * Each watch runs only while its target holds a service of ours, so a bridge with nothing on a
 * catalog node makes no catalog requests.
 *
 * <p>Runs on a daemon thread of its own; the sink's mirror is read through the two functions.
 * The loop never ends before {@link #close()}: Consul failing (no answer, or an error answer) is
 * counted as above; any other exception or {@link Error} is logged (once while it repeats), and
 * the loop waits a second and carries on. One that the query throws for the sentinel itself (an
 * ID the client refuses) retires that sentinel: the watch picks another.
 */
final class SentinelWatch implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SentinelWatch.class);
  static final Duration WAIT = Duration.ofSeconds(5);
  private static final long IDLE_MILLIS = 1000;
  private static final long MAX_BACKOFF_MILLIS = 1000;
  private static final int REPORT_AFTER_FAILURES = 3;

  /** One blocking query; {@link RegistrationTarget#watch} is one. */
  @FunctionalInterface
  interface Query {
    /**
     * @param token what the previous call returned; empty answers at once
     * @return the token for the next call; empty when the service is gone
     */
    Optional<String> watch(String serviceId, String token, Duration wait);
  }

  private final String threadName;
  private final String where;
  private final Query query;
  private final Function<Predicate<String>, Optional<String>> pickSentinel;
  private final Predicate<String> held;
  private volatile boolean closed;
  private Thread thread;

  /**
   * @param where what is watched, for log lines: {@code the agent}, {@code catalog node x}
   * @param pickSentinel any service we wrote and the agent should have, among those the given
   *     predicate accepts; empty when we hold none
   * @param held whether the sink still holds a service (it did not remove it itself)
   */
  SentinelWatch(String threadName, String where, Query query,
      Function<Predicate<String>, Optional<String>> pickSentinel, Predicate<String> held) {
    this.threadName = requireNonNull(threadName, "threadName");
    this.where = requireNonNull(where, "where");
    this.query = requireNonNull(query, "query");
    this.pickSentinel = requireNonNull(pickSentinel, "pickSentinel");
    this.held = requireNonNull(held, "held");
  }

  /** The watch of one side of the sink, on its mirror. */
  static SentinelWatch on(String threadName, TargetSync side) {
    RegistrationTarget target = side.target();
    return new SentinelWatch(threadName, target.where(), target::watch, side::pickSentinel,
        side::holds);
  }

  synchronized void start(SinkContext context) {
    if (thread != null || closed) {
      return;
    }
    thread = new Thread(() -> run(context), threadName);
    thread.setDaemon(true);
    thread.start();
  }

  private void run(SinkContext context) {
    Loop loop = new Loop(context);
    while (!closed) {
      try {
        loop.round();
      } catch (RuntimeException | Error e) {
        if (closed) {
          return;
        }
        // A bug must not end the watch in silence: say it (once while it repeats), carry on.
        String what = e.toString();
        if (!what.equals(loop.lastUnexpected)) {
          log.error("consul: the watch of {} failed unexpectedly; carrying on", where, e);
          loop.lastUnexpected = what;
        }
        loop.sentinel = null;
        pause(IDLE_MILLIS);
      }
    }
  }

  /** The state of the watch loop, confined to its thread. */
  private final class Loop {
    private final SinkContext context;
    // Sentinels the query threw for (not Consul failing: e.g. an ID the client refuses).
    private final Set<String> unusable = new HashSet<>();
    private String sentinel;
    private String hash = "";
    private int failures;
    private String lastUnexpected;

    Loop(SinkContext context) {
      this.context = context;
    }

    void round() {
      if (sentinel == null || !held.test(sentinel)) {
        unusable.removeIf(id -> !held.test(id));
        sentinel = pickSentinel.apply(id -> !unusable.contains(id)).orElse(null);
        hash = "";
      }
      if (sentinel == null) {
        pause(IDLE_MILLIS); // we own nothing, so nothing can be lost
        return;
      }
      Optional<String> now;
      try {
        now = query.watch(sentinel, hash, WAIT);
      } catch (ControlPlaneUnavailableException | ConsulAgentException e) {
        if (!closed) {
          failed(e);
        }
        return;
      } catch (RuntimeException e) {
        if (closed) {
          return;
        }
        log.warn("consul: cannot watch {} on {} ({}); watching another service", sentinel,
            where, e.toString());
        unusable.add(sentinel);
        sentinel = null;
        return;
      }
      lastUnexpected = null;
      if (failures > 0) {
        // It was away; whether it kept its state or not, read it back once.
        failures = 0;
        context.requestFullSync("the Consul agent answers again");
        hash = "";
        return;
      }
      if (now.isPresent()) {
        hash = now.get();
      } else if (held.test(sentinel)) {
        log.info("consul: {} no longer has {}; it lost its services, registering them"
            + " again", where, sentinel);
        context.requestFullSync(where + " lost " + sentinel);
        sentinel = null;
        pause(IDLE_MILLIS); // let the full sync run before looking again
      } else {
        sentinel = null; // we removed it ourselves meanwhile
      }
    }

    private void failed(RuntimeException e) {
      failures++;
      log.debug("consul: watch of {} failed ({}), retrying", sentinel, e.toString());
      if (failures == REPORT_AFTER_FAILURES) {
        // Nothing may be due to write, yet the outage must show (metrics, /readyz): a full
        // sync now fails, and the reconciler backs off and counts the failures.
        context.requestFullSync("the Consul agent does not answer");
      }
      pause(Math.min(MAX_BACKOFF_MILLIS, 100L << Math.min(failures, 4)));
    }
  }

  private void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closed = true;
    }
  }

  @Override
  public synchronized void close() {
    closed = true;
    if (thread != null) {
      thread.interrupt();
    }
  }
}
