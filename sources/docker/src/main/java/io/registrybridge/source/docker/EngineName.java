package io.registrybridge.source.docker;

import com.github.dockerjava.api.DockerClient;
import io.registrybridge.retry.RetryPolicy;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's name: the {@code <hostname>} of service IDs when the Docker source runs.
 * Registrator used its own container's host name, which is the container ID unless set by hand,
 * so every recreated Registrator container registered duplicates. The engine's name is the Docker
 * host's name: stable across the bridge's restarts and recreation.
 */
final class EngineName {
  private static final Logger log = LoggerFactory.getLogger(EngineName.class);

  private EngineName() {}

  /**
   * Asks the engine for its name, waiting with backoff while it is not reachable, as long as
   * {@code retry} allows (Registrator's {@code -retry-attempts} applies to the engine too).
   *
   * @param host the engine's address, for the log lines
   * @return the name; null when stopped or when the retries ran out ({@code gaveUp} is told)
   */
  static String waitFor(DockerClient docker, String host, RetryPolicy retry,
      BooleanSupplier stop, Runnable gaveUp) {
    for (int attempt = 0; !stop.getAsBoolean(); attempt++) {
      try {
        String name = docker.infoCmd().exec().getName();
        if (name != null && !name.isBlank()) {
          return name;
        }
        throw new IllegalStateException("the engine reported no host name");
      } catch (RuntimeException e) {
        if (!retry.mayRetryAfter(attempt + 1)) {
          log.error("docker: engine at {} not reachable after {} attempt(s): {}; exiting", host,
              attempt + 1, explain(e, host));
          gaveUp.run();
          return null;
        }
        long delay = retry.delayAfter(attempt + 1).toMillis();
        log.warn("docker: engine at {} not reachable ({}), retrying in {} ms", host,
            explain(e, host), delay);
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

  /**
   * What a failed connection means for the user. A missing socket and a permission problem are
   * by far the most common and say little in Java's words.
   */
  static String explain(Throwable e, String host) {
    String text = String.valueOf(e.getMessage());
    for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
      text += " / " + cause.getMessage();
    }
    String path = host.startsWith("unix://") ? host.substring("unix://".length()) : host;
    if (text.contains("No such file or directory")) {
      return "there is no socket at " + path + "; mount the engine's socket there"
          + " (-v /var/run/docker.sock:" + path + ") or set DOCKER_HOST";
    }
    if (text.contains("Permission denied")) {
      return "permission denied on " + path + "; run with the socket's group (docker run"
          + " --group-add $(stat -c %g /var/run/docker.sock), compose group_add) or as a user"
          + " in it";
    }
    if (text.contains("Connection refused")) {
      return "connection refused at " + host + "; is the engine running?";
    }
    return e.getClass().getSimpleName() + ": " + e.getMessage();
  }
}
