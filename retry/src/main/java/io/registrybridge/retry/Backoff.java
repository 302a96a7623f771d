package io.registrybridge.retry;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff with jitter and a cap.
 *
 * <p>The delay before retry {@code n} (0-based) is {@code min(cap, initial * multiplier^n)}, then
 * reduced by a random fraction of up to {@code jitter} of itself. Jitter keeps many bridges that
 * lost the same Consul from reconnecting in lock-step; the cap keeps a long outage from pushing
 * the next attempt minutes away once the control plane is back.
 *
 * <p>Stateless: callers count their own attempts, so one instance can serve many loops.
 */
public final class Backoff {
  private final Duration initial;
  private final Duration cap;
  private final double multiplier;
  private final double jitter;
  private final RandomGenerator random;

  /**
   * @param initial delay before the first retry, greater than zero
   * @param cap the largest delay, at least {@code initial}
   * @param multiplier growth per attempt, at least 1
   * @param jitter fraction in [0, 1) by which a delay may be randomly shortened
   * @param random source of jitter; pass a seeded generator in tests
   */
  public Backoff(
      Duration initial, Duration cap, double multiplier, double jitter, RandomGenerator random) {
    this.initial = requireNonNull(initial, "initial");
    this.cap = requireNonNull(cap, "cap");
    this.random = requireNonNull(random, "random");
    if (initial.isNegative() || initial.isZero()) {
      throw new IllegalArgumentException("initial backoff must be positive: " + initial);
    }
    if (cap.compareTo(initial) < 0) {
      throw new IllegalArgumentException("backoff cap " + cap + " is below initial " + initial);
    }
    if (multiplier < 1) {
      throw new IllegalArgumentException("backoff multiplier must be >= 1: " + multiplier);
    }
    if (jitter < 0 || jitter >= 1) {
      throw new IllegalArgumentException("jitter must be in [0, 1): " + jitter);
    }
    this.multiplier = multiplier;
    this.jitter = jitter;
  }

  /** Doubles from {@code initial} up to {@code cap}, each delay shortened by up to 20%. */
  public static Backoff exponential(Duration initial, Duration cap) {
    return new Backoff(initial, cap.compareTo(initial) < 0 ? initial : cap, 2.0, 0.2,
        RandomGenerator.getDefault());
  }

  /** The delay to wait before retry number {@code attempt} (0 for the first retry). */
  public Duration delay(int attempt) {
    if (attempt < 0) {
      throw new IllegalArgumentException("attempt must be >= 0: " + attempt);
    }
    double capMillis = cap.toMillis();
    // Math.pow overflows to Infinity long before attempt reaches int range; min() handles it.
    double base = Math.min(capMillis, initial.toMillis() * Math.pow(multiplier, attempt));
    double shortened = base * (1.0 - jitter * random.nextDouble());
    return Duration.ofMillis(Math.max(1, Math.round(shortened)));
  }

  public Duration initial() {
    return initial;
  }

  public Duration cap() {
    return cap;
  }

  @Override
  public String toString() {
    return "Backoff[initial=" + initial + ", cap=" + cap + ", multiplier=" + multiplier
        + ", jitter=" + jitter + "]";
  }
}
