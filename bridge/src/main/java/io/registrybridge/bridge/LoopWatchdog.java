package io.registrybridge.bridge;

import static java.util.Objects.requireNonNull;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Tells whether the daemon's loops still run, for {@code /healthz}. Each loop's executor runs a
 * tick every few seconds; a loop whose last tick is older than the stall limit is stuck (a call
 * without a timeout, a deadlock), and a restart is the only cure. The limit is generous because
 * a loop legitimately stays busy through a long bulk write (thousands of registrations at start).
 */
final class LoopWatchdog {
  static final Duration TICK = Duration.ofSeconds(5);
  static final Duration STALL_LIMIT = Duration.ofMinutes(10);

  private final Clock clock;
  private final Duration stallLimit;
  private final Map<String, Long> lastTick = new ConcurrentHashMap<>();

  LoopWatchdog(Clock clock, Duration stallLimit) {
    this.clock = requireNonNull(clock, "clock");
    this.stallLimit = requireNonNull(stallLimit, "stallLimit");
  }

  /** Starts ticking on {@code loop}, named {@code name} in the probe's answer. */
  void watch(String name, ScheduledExecutorService loop) {
    tick(name);
    loop.scheduleWithFixedDelay(() -> tick(name), TICK.toMillis(), TICK.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  void tick(String name) {
    lastTick.put(name, clock.millis());
  }

  /** The loops that have not ticked within the stall limit, as text; empty when all run. */
  String stalled() {
    long now = clock.millis();
    StringBuilder stalled = new StringBuilder();
    lastTick.forEach((name, at) -> {
      if (now - at > stallLimit.toMillis()) {
        stalled.append(stalled.isEmpty() ? "" : ", ").append(name).append(" stalled for ")
            .append((now - at) / 1000).append(" s");
      }
    });
    return stalled.toString();
  }
}
