package io.registrybridge.sink.consul;

import java.time.Duration;

/** Writes durations the way Consul's API reads them (Go's {@code time.ParseDuration}). */
final class GoDurations {
  private GoDurations() {}

  /** {@code 10s}, {@code 1500ms}, {@code 250us}, {@code 7ns}: the largest exact unit. */
  static String format(Duration duration) {
    long nanos = duration.toNanos();
    if (nanos % 1_000_000_000L == 0) {
      return nanos / 1_000_000_000L + "s";
    }
    if (nanos % 1_000_000L == 0) {
      return nanos / 1_000_000L + "ms";
    }
    if (nanos % 1_000L == 0) {
      return nanos / 1_000L + "us";
    }
    return nanos + "ns";
  }
}
