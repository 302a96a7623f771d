package io.registrybridge.bridge;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * SIGTERM and SIGINT stop the daemon cleanly, so that {@code docker stop} ends it with status 0
 * rather than 143. A shutdown hook alone cannot do that: once the JVM is shutting down because
 * of a signal, its exit status is already decided.
 */
final class Signals {
  private static final Logger log = LoggerFactory.getLogger(Signals.class);

  private Signals() {}

  static void onTermination(Runnable stop) {
    // docker stop and a shell's Ctrl-C can both deliver signals; stop (and say so) once; a
    // second signal exits at once.
    java.util.concurrent.atomic.AtomicBoolean stopping =
        new java.util.concurrent.atomic.AtomicBoolean();
    for (String name : new String[] {"TERM", "INT"}) {
      try {
        Signal.handle(new Signal(name), signal -> {
          if (!stopping.compareAndSet(false, true)) {
            // A second signal: the operator does not want to wait for the clean stop. halt,
            // not exit: exit would run the shutdown hook, which waits for the same clean stop.
            log.warn("received SIG{} again, exiting at once", name);
            Runtime.getRuntime().halt(128 + signal.getNumber());
          }
          log.info("received SIG{}, stopping", name);
          Thread stopper = new Thread(stop, "registry-bridge-stop");
          stopper.start();
        });
      } catch (IllegalArgumentException | UnsupportedOperationException e) {
        // Not on every platform; the shutdown hook still closes the bridge.
        log.debug("cannot handle SIG{}", name, e);
      }
    }
  }
}
