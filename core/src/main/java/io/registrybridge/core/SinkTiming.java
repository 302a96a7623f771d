package io.registrybridge.core;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * How a sink's {@link SinkReconciler} paces the sink.
 *
 * @param verifyInterval how often the sink reads back everything it owns ({@link Sink#sync}) when
 *     nothing asked for it earlier; changes never wait for it
 */
public record SinkTiming(Duration verifyInterval) {

  /** A full read every five minutes. */
  public static final SinkTiming DEFAULT = new SinkTiming(Duration.ofMinutes(5));

  public SinkTiming {
    requireNonNull(verifyInterval, "verifyInterval");
    if (verifyInterval.isNegative() || verifyInterval.isZero()) {
      throw new IllegalArgumentException("the verify interval must be positive");
    }
  }
}
