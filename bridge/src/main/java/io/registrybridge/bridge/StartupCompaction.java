package io.registrybridge.bridge;

import static java.util.Objects.requireNonNull;

import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One full garbage collection once the start-up burst is over, so that the heap gives back what
 * the first listing needed.
 *
 * <p>The first listing inspects every container, and the heap grows to hold that garbage (with
 * 1,000 containers, to 46 MB of the launcher's 64 MB limit while about 18 MB stay live).
 * SerialGC returns memory to the OS only at a full collection, down to {@code
 * -XX:MaxHeapFreeRatio}, and a mostly idle daemon may not run one for days. So when every sink
 * has converged for the first time, this asks for one. {@code -XX:+DisableExplicitGC} turns it
 * into nothing.
 */
final class StartupCompaction {
  private static final Logger log = LoggerFactory.getLogger(StartupCompaction.class);

  private final int sinks;
  private final Runnable collect;
  private final AtomicInteger converged = new AtomicInteger();

  /**
   * @param sinks how many sinks must converge first
   * @param collect the collection, {@link System#gc} in the daemon
   */
  StartupCompaction(int sinks, Runnable collect) {
    this.sinks = sinks;
    this.collect = requireNonNull(collect, "collect");
  }

  /**
   * A sink converged for the first time (each sink says so once: {@link
   * io.registrybridge.core.SinkReconciler.Listener#convergedFirst}); the last one collects.
   */
  void converged() {
    if (converged.incrementAndGet() == sinks) {
      Runtime runtime = Runtime.getRuntime();
      long before = runtime.totalMemory();
      long started = System.nanoTime();
      collect.run();
      log.debug("start-up done: one full collection in {} ms, heap {} MB -> {} MB committed",
          (System.nanoTime() - started) / 1_000_000, before >> 20, runtime.totalMemory() >> 20);
    }
  }
}
