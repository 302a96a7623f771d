package io.registrybridge.source.docker;

import static java.util.Objects.requireNonNull;

import com.github.dockerjava.api.model.Event;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;

/**
 * The engine's clock, as seen from ours, and the engine's form of event times. A remote engine's
 * clock may differ from ours, so every time sent to the engine is in its own time.
 *
 * <p>Confined to the source's thread.
 */
final class EngineClock {
  private final Clock clock;
  private Duration engineOffset = Duration.ZERO;

  EngineClock(Clock clock) {
    this.clock = requireNonNull(clock, "clock");
  }

  /**
   * Takes the engine's current time (its {@code SystemTime}) as the new offset and returns where
   * a new event stream starts ({@link #sinceFromEngineClock}).
   */
  String sync(String engineSystemTime) {
    engineOffset = engineOffset(engineSystemTime);
    return sinceFromEngineClock(engineSystemTime);
  }

  /** A time of ours, in the engine's clock. */
  Instant engineTime(Instant ours) {
    return ours.plus(engineOffset);
  }

  /**
   * Events are requested from a second before the engine's current time, so events that happen
   * while the stream is being set up are replayed rather than lost. The engine's clock is used
   * because a remote engine's clock may differ from ours.
   */
  String sinceFromEngineClock(String engineSystemTime) {
    Instant engineNow;
    try {
      engineNow = OffsetDateTime.parse(engineSystemTime).toInstant();
    } catch (RuntimeException e) {
      engineNow = clock.instant().minusSeconds(5);
    }
    return format(nanos(engineNow.minusSeconds(1)));
  }

  /** The engine's clock minus ours, so that a stream check asks in the engine's time. */
  private Duration engineOffset(String engineSystemTime) {
    try {
      return Duration.between(clock.instant(),
          OffsetDateTime.parse(engineSystemTime).toInstant());
    } catch (RuntimeException e) {
      return Duration.ZERO;
    }
  }

  static long nanos(Instant instant) {
    return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
  }

  /** Parses the {@link #format} form. */
  static long nanos(String engineTime) {
    int dot = engineTime.indexOf('.');
    return Long.parseLong(engineTime.substring(0, dot)) * 1_000_000_000L
        + Long.parseLong(engineTime.substring(dot + 1));
  }

  /** The engine's {@code since}/{@code until} form: seconds, a dot, nine digits of nanos. */
  static String format(long nanos) {
    return nanos / 1_000_000_000L + "." + String.format("%09d", nanos % 1_000_000_000L);
  }

  /** When an event happened, in the engine's clock. */
  static long eventNanos(Event event) {
    if (event.getTimeNano() != null) {
      return event.getTimeNano();
    }
    return event.getTime() == null ? 0 : event.getTime() * 1_000_000_000L;
  }
}
