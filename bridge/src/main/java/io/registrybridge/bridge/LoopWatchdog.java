package io.registrybridge.bridge;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Supplier;

/**
 * Tells whether the daemon's loops still make progress, for {@code /healthz}. Each loop
 * registers a probe that looks at its own work: the task its thread runs and for how long
 * ({@link LoopExecutor#stalled}), and what the loop knows of itself (a reconciler whose calls
 * keep failing unexpectedly, an event stream nobody has heard from). Nothing ticks: a timer on
 * the loop's own thread says only that the thread is free, not that the work gets done.
 *
 * <p>The probes are asked when {@code /healthz} is, on its thread, so the watchdog cannot stop
 * by itself. The stall limit is generous because a loop legitimately stays busy through a long
 * bulk write (thousands of registrations at start).
 */
final class LoopWatchdog {
  static final Duration STALL_LIMIT = Duration.ofMinutes(10);

  private final Map<String, Supplier<Optional<String>>> probes = new ConcurrentSkipListMap<>();

  /** Watches the loop {@code name}; {@code probe} says why it is stuck, empty while it works. */
  void watch(String name, Supplier<Optional<String>> probe) {
    probes.put(requireNonNull(name, "name"), requireNonNull(probe, "probe"));
  }

  /** The loops that are stuck and why, as text; empty when all make progress. */
  String stalled() {
    StringBuilder stalled = new StringBuilder();
    probes.forEach((name, probe) -> {
      Optional<String> why;
      try {
        why = probe.get();
      } catch (RuntimeException e) {
        why = Optional.of("its probe failed: " + e);
      }
      why.ifPresent(reason -> stalled.append(stalled.isEmpty() ? "" : "; ").append(name)
          .append(": ").append(reason));
    });
    return stalled.toString();
  }
}
