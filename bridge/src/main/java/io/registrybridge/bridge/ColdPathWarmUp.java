package io.registrybridge.bridge;

import io.registrybridge.core.ColdPath;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.Sink;
import io.registrybridge.core.Source;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Once start-up is over, runs the per-change code of the core, of every source and of every sink
 * once on a sample ({@link ColdPath}, {@link Source#warmUp}, {@link Sink#warmUp}), so that the
 * first container after start is not the one that pays for class initialization and linkage. In
 * a compose file the services that start right after the bridge are exactly those; measured, the
 * first one took 100-190 ms against 25 ms for the next (docs/benchmarks.md).
 *
 * <p>Each part is isolated: one that fails is logged and the others still run; the only cost of a
 * failure is the cold path it would have saved.
 */
final class ColdPathWarmUp {
  private static final Logger log = LoggerFactory.getLogger(ColdPathWarmUp.class);

  /** What to warm up, read when the warm-up runs: the sinks of a leader exist only then. */
  record Parts(String idPrefix, List<Source> sources, List<Sink> sinks) {}

  private final Supplier<Parts> parts;
  private boolean done; // guarded by this

  ColdPathWarmUp(Supplier<Parts> parts) {
    this.parts = parts;
  }

  /**
   * Runs the warm-up the first time it is called; a call while it runs waits for it, later ones
   * return at once. The daemon calls it after the first full sync of every sink, and earlier, on
   * a thread of its own, when a sink first fails: a control plane that is down at start leaves
   * the CPU idle, and the sync that follows its return then runs warm.
   */
  synchronized void runOnce() {
    if (done) {
      return;
    }
    done = true;
    Parts now = parts.get();
    run(now.idPrefix(), now.sources(), now.sinks());
  }

  /** Whether {@link #runOnce} ran (or runs); to skip starting a thread for nothing. */
  synchronized boolean started() {
    return done;
  }

  /** @param idPrefix the start of the sample's service ID ({@code <host>:}); nothing is written */
  static void run(String idPrefix, List<Source> sources, List<Sink> sinks) {
    long started = System.nanoTime();
    ServiceInstance sample = ColdPath.sample(idPrefix);
    isolated("the core", () -> ColdPath.warm(sample));
    for (Source source : sources) {
      isolated("source " + source.name(), source::warmUp);
    }
    for (Sink sink : sinks) {
      isolated("sink " + sink.name(), () -> sink.warmUp(sample));
    }
    log.debug("start-up done: the per-change code warmed up in {} ms",
        (System.nanoTime() - started) / 1_000_000);
  }

  private static void isolated(String part, Runnable warmUp) {
    try {
      warmUp.run();
    } catch (RuntimeException e) {
      log.warn("warming up {} failed, so its first change runs cold: {}", part, e.toString());
      log.debug("warming up {} failed", part, e);
    }
  }
}
