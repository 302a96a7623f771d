package io.registrybridge.source.docker;

import static io.registrybridge.source.docker.EngineClock.eventNanos;
import static io.registrybridge.source.docker.EngineClock.format;
import static io.registrybridge.source.docker.EngineClock.nanos;
import static java.util.Objects.requireNonNull;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.EventType;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the event stream lives. The engine's stream has no heartbeat, so a half-open one looks
 * exactly like an idle engine; a silent stream is checked against the engine's own record of its
 * events instead (see {@link DockerSource.Timing}).
 */
final class EventStreamWatch {
  // The source's log lines keep the source's logger name.
  private static final Logger log = LoggerFactory.getLogger(DockerSource.class);

  private final DockerClient docker;
  private final EngineCalls engine;
  private final EngineClock engineClock;
  private final Clock clock;
  private final Duration streamGrace;

  // Thread-safe: counted on docker-java's callback threads, read on the source's thread.
  private final AtomicLong delivered = new AtomicLong();
  private final AtomicLong newestDeliveredNanos = new AtomicLong();
  private volatile Instant streamAlive;

  // Confined to the source's thread.
  private long checkedUntilNanos;
  private long deliveredAtLastCheck;

  EventStreamWatch(DockerClient docker, EngineCalls engine, EngineClock engineClock, Clock clock,
      Duration streamGrace) {
    this.docker = requireNonNull(docker, "docker");
    this.engine = requireNonNull(engine, "engine");
    this.engineClock = requireNonNull(engineClock, "engineClock");
    this.clock = requireNonNull(clock, "clock");
    this.streamGrace = requireNonNull(streamGrace, "streamGrace");
  }

  /** A new stream is requested from {@code since} (the engine's form): checks start there. */
  void opening(String since) {
    newestDeliveredNanos.set(0);
    checkedUntilNanos = nanos(since);
    deliveredAtLastCheck = delivered.get();
  }

  /** The engine answered the request for the stream. */
  void opened() {
    streamAlive = clock.instant();
  }

  /** On docker-java's callback thread: the current stream delivered an event. */
  void delivered(Event event) {
    delivered.incrementAndGet();
    newestDeliveredNanos.accumulateAndGet(eventNanos(event), Math::max);
    streamAlive = clock.instant();
  }

  /** See {@link DockerSource#streamAliveAt()}. */
  Optional<Instant> aliveAt() {
    return Optional.ofNullable(streamAlive);
  }

  /**
   * Checks a stream that was silent since the last check against the engine's own record of its
   * events. A stream that spoke, or a check that found nothing missed, counts as alive.
   *
   * @param stillCurrent whether the stream is still the one that was checked, after the request
   * @return whether the engine had events the stream did not deliver: it is dead
   * @throws RuntimeException when the check fails or hangs: the stream is taken for dead too
   */
  boolean missedEvents(BooleanSupplier stillCurrent) {
    long count = delivered.get();
    if (count != deliveredAtLastCheck) {
      deliveredAtLastCheck = count;
      checkedUntilNanos = Math.max(checkedUntilNanos, newestDeliveredNanos.get());
      return false; // it spoke since the last check
    }
    Instant now = clock.instant();
    long untilNanos = nanos(engineClock.engineTime(now).minus(streamGrace));
    if (untilNanos <= checkedUntilNanos) {
      return false;
    }
    long newest = newestEventBetween(checkedUntilNanos, untilNanos);
    if (!stillCurrent.getAsBoolean()) {
      return false;
    }
    if (newest > newestDeliveredNanos.get()) {
      return true;
    }
    checkedUntilNanos = untilNanos;
    streamAlive = now;
    return false;
  }

  /** The engine time of the newest container or network event in (since, until], or 0. */
  private long newestEventBetween(long sinceNanos, long untilNanos) {
    StreamCheck check = new StreamCheck();
    try {
      docker.eventsCmd()
          .withSince(format(sinceNanos))
          .withUntil(format(untilNanos))
          .withEventTypeFilter(EventType.CONTAINER, EventType.NETWORK)
          .exec(check);
      return engine.await(check.newest, "checking the event stream");
    } finally {
      try {
        check.close();
      } catch (IOException | RuntimeException e) {
        log.debug("docker: closing the stream check", e);
      }
    }
  }

  /** Collects the time of the newest event of a bounded request ({@code until}). */
  private static final class StreamCheck extends ResultCallback.Adapter<Event> {
    private final CompletableFuture<Long> newest = new CompletableFuture<>();
    private long newestNanos;

    @Override
    public void onNext(Event event) {
      newestNanos = Math.max(newestNanos, eventNanos(event));
    }

    @Override
    public void onError(Throwable error) {
      newest.completeExceptionally(error);
      try {
        close();
      } catch (IOException e) {
        // closing anyway
      }
    }

    @Override
    public void onComplete() {
      newest.complete(newestNanos);
      super.onComplete();
    }
  }
}
