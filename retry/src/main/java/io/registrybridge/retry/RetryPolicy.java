package io.registrybridge.retry;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * How long a sink waits for its control plane before the daemon gives up, and how it spaces its
 * attempts.
 *
 * <p>{@code maxAttempts} mirrors Registrator's {@code -retry-attempts}: the number of retries
 * after the first failed attempt to reach a control plane that has never answered; {@code -1}
 * retries forever. It only bounds the wait at start-up. Once a control plane has answered, later
 * failures are retried forever, because giving up would lose writes.
 */
public record RetryPolicy(int maxAttempts, Backoff backoff) {

  public static final int FOREVER = -1;

  public RetryPolicy {
    requireNonNull(backoff, "backoff");
    if (maxAttempts < FOREVER) {
      throw new IllegalArgumentException("retry attempts must be -1 (forever) or >= 0: "
          + maxAttempts);
    }
  }

  /** Retries forever, starting at {@code interval} and doubling up to {@code cap}. */
  public static RetryPolicy forever(Duration interval, Duration cap) {
    return new RetryPolicy(FOREVER, Backoff.exponential(interval, cap));
  }

  /**
   * Whether another attempt is allowed after {@code failures} consecutive failures of a control
   * plane that has never answered.
   */
  public boolean mayRetryAfter(int failures) {
    return maxAttempts == FOREVER || failures <= maxAttempts;
  }

  /** Delay before the next attempt after {@code failures} consecutive failures (at least 1). */
  public Duration delayAfter(int failures) {
    return backoff.delay(Math.max(0, failures - 1));
  }
}
