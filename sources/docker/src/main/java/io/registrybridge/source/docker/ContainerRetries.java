package io.registrybridge.source.docker;

import static io.registrybridge.source.docker.LogText.describe;
import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.registrybridge.retry.Backoff;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Containers whose inspect or normalization failed, with the attempts so far: each is retried on
 * its own with backoff, so one bad container costs only itself and the engine connection stays.
 *
 * <p>Confined to the source's thread (the executor).
 */
final class ContainerRetries {
  // The source's log lines keep the source's logger name.
  private static final Logger log = LoggerFactory.getLogger(DockerSource.class);

  private final Backoff backoff;
  private final ScheduledExecutorService executor;
  private final MeterRegistry meters;
  private final String source;
  private final ContainerNames names;
  private final Consumer<String> requeue;
  private final Map<String, Integer> attempts = new HashMap<>();
  private final Set<String> retryScheduled = new HashSet<>();

  /**
   * @param requeue queues a container for an inspect again, on the executor, when its backoff
   *     has passed and it still fails
   */
  ContainerRetries(Backoff backoff, ScheduledExecutorService executor, MeterRegistry meters,
      String source, ContainerNames names, Consumer<String> requeue) {
    this.backoff = requireNonNull(backoff, "backoff");
    this.executor = requireNonNull(executor, "executor");
    this.meters = requireNonNull(meters, "meters");
    this.source = requireNonNull(source, "source");
    this.names = requireNonNull(names, "names");
    this.requeue = requireNonNull(requeue, "requeue");
    // At zero from the start, so that increase() sees the first one.
    itemFailures("inspect");
    itemFailures("normalize");
  }

  private Counter itemFailures(String stage) {
    return Counter.builder("registry.bridge.source.item.failures")
        .description("Containers that could not be inspected or normalized (each is retried on"
            + " its own)").tag("source", source).tag("stage", stage).register(meters);
  }

  /**
   * One container could not be inspected or normalized: named in one warning (later attempts
   * log at DEBUG), counted, and queued again after a backoff. A normalizer failure is a bug, so
   * its stack trace is logged.
   */
  void itemFailed(String containerId, String during, RuntimeException error) {
    boolean normalize = error instanceof NormalizationFailed;
    itemFailures(normalize ? "normalize" : "inspect").increment();
    int attempt = attempts.merge(containerId, 1, Integer::sum);
    long delay = backoff.delay(Math.min(attempt - 1, 30)).toMillis();
    String what = normalize ? "could not be normalized" : "could not be inspected";
    Throwable cause = normalize ? error.getCause() : error;
    if (attempt == 1) {
      String line = "docker: container {} {} after {} ({}); it keeps what it had, trying again"
          + " in {} ms";
      if (normalize) {
        log.warn(line, names.describe(containerId), what, during, describe(cause), delay,
            cause);
      } else {
        log.warn(line, names.describe(containerId), what, during, describe(cause), delay);
      }
    } else {
      log.debug("docker: container {} {} again (attempt {}: {}), trying again in {} ms",
          names.describe(containerId), what, attempt, describe(cause), delay);
    }
    if (retryScheduled.add(containerId)) {
      executor.schedule(() -> {
        retryScheduled.remove(containerId);
        if (attempts.containsKey(containerId)) {
          requeue.accept(containerId);
        }
      }, delay, TimeUnit.MILLISECONDS);
    }
  }

  /** A container was read: it no longer fails. */
  void recovered(String containerId) {
    Integer failed = attempts.remove(containerId);
    if (failed != null) {
      log.info("docker: container {} is read again after {} failed attempt(s)",
          names.describe(containerId), failed);
    }
  }

  /** A listing read every failing container but these. */
  void recoveredAllBut(Set<String> stillFailing) {
    for (String id : List.copyOf(attempts.keySet())) {
      if (!stillFailing.contains(id)) {
        recovered(id);
      }
    }
  }

  /** The containers that failed and were not read since. */
  Set<String> failing() {
    return Collections.unmodifiableSet(attempts.keySet());
  }

  /** The mapper threw for one container: a bug, isolated to that container. */
  static final class NormalizationFailed extends RuntimeException {
    NormalizationFailed(RuntimeException cause) {
      super(cause.getMessage(), cause);
    }
  }
}
