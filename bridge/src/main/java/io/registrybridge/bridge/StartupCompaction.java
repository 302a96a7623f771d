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
  private final Runnable settle;
  private final AtomicInteger converged = new AtomicInteger();

  /**
   * @param sinks how many sinks must converge first
   * @param settle what runs then, once: in the daemon, the cold path's warm-up and {@link
   *     #collect}, on a thread of their own
   */
  StartupCompaction(int sinks, Runnable settle) {
    this.sinks = sinks;
    this.settle = requireNonNull(settle, "settle");
  }

  /**
   * A sink converged for the first time (each sink says so once: {@link
   * io.registrybridge.core.SinkReconciler.Listener#convergedFirst}); the last one settles.
   */
  void converged() {
    if (converged.incrementAndGet() == sinks) {
      settle.run();
    }
  }

  /** The one full collection, logged with what it gave back. */
  static void collect() {
    Runtime runtime = Runtime.getRuntime();
    long before = runtime.totalMemory();
    long started = System.nanoTime();
    System.gc();
    log.debug("start-up done: one full collection in {} ms, heap {} MB -> {} MB committed",
        (System.nanoTime() - started) / 1_000_000, before >> 20, runtime.totalMemory() >> 20);
  }
}
