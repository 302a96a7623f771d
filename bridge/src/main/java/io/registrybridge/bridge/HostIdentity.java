package io.registrybridge.bridge;

import com.github.dockerjava.api.DockerClient;
import io.registrybridge.retry.Backoff;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code <hostname>} in service IDs. Registrator used its own container's host name, which
 * is the container ID unless set by hand, so every recreated Registrator container registered
 * duplicates. The engine's name is the Docker host's name: stable across the bridge's restarts
 * and recreation.
 */
final class HostIdentity {
  private static final Logger log = LoggerFactory.getLogger(HostIdentity.class);

  private HostIdentity() {}

  /** Asks the engine for its name, waiting with backoff while it is not reachable. */
  static String waitForEngineName(DockerClient docker, Backoff backoff, BooleanSupplier stop) {
    for (int attempt = 0; !stop.getAsBoolean(); attempt++) {
      try {
        String name = docker.infoCmd().exec().getName();
        if (name != null && !name.isBlank()) {
          return name;
        }
        throw new IllegalStateException("the engine reported no host name");
      } catch (RuntimeException e) {
        long delay = backoff.delay(Math.min(attempt, 30)).toMillis();
        log.warn("docker: engine not reachable ({}), retrying in {} ms", e.getMessage(), delay);
        try {
          Thread.sleep(delay);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          return null;
        }
      }
    }
    return null;
  }
}
