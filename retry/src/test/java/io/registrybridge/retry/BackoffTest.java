package io.registrybridge.retry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Random;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class BackoffTest {

  /** A generator that always returns the same double, so jitter is predictable. */
  private static RandomGenerator fixed(double value) {
    return new RandomGenerator() {
      @Override
      public long nextLong() {
        throw new UnsupportedOperationException();
      }

      @Override
      public double nextDouble() {
        return value;
      }
    };
  }

  @Test
  void doublesFromInitialUpToTheCapWithoutJitter() {
    Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1), 2.0, 0.0,
        fixed(0.5));
    assertThat(backoff.delay(0)).isEqualTo(Duration.ofMillis(100));
    assertThat(backoff.delay(1)).isEqualTo(Duration.ofMillis(200));
    assertThat(backoff.delay(2)).isEqualTo(Duration.ofMillis(400));
    assertThat(backoff.delay(3)).isEqualTo(Duration.ofMillis(800));
    assertThat(backoff.delay(4)).isEqualTo(Duration.ofSeconds(1));
    assertThat(backoff.delay(Integer.MAX_VALUE)).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void jitterOnlyShortensAndStaysWithinItsFraction() {
    Backoff most = new Backoff(Duration.ofMillis(1000), Duration.ofSeconds(10), 2.0, 0.2,
        fixed(0.999999));
    Backoff none = new Backoff(Duration.ofMillis(1000), Duration.ofSeconds(10), 2.0, 0.2,
        fixed(0.0));
    assertThat(none.delay(0)).isEqualTo(Duration.ofMillis(1000));
    assertThat(most.delay(0)).isEqualTo(Duration.ofMillis(800));
    assertThat(most.delay(10)).isEqualTo(Duration.ofMillis(8000));
  }

  @Test
  void randomJitterStaysInBoundsOverManyDraws() {
    Backoff backoff = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(30), 2.0, 0.5,
        new Random(42));
    for (int attempt = 0; attempt < 40; attempt++) {
      long base = (long) Math.min(30_000, 500 * Math.pow(2, attempt));
      for (int i = 0; i < 100; i++) {
        assertThat(backoff.delay(attempt).toMillis()).isBetween(base / 2, base);
      }
    }
  }

  @Test
  void rejectsNonsense() {
    assertThatThrownBy(() -> Backoff.exponential(Duration.ZERO, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("positive");
    assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 0,
        new Random())).hasMessageContaining("below initial");
    assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(1), 0.5, 0,
        new Random())).hasMessageContaining("multiplier");
    assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(1), 2, 1,
        new Random())).hasMessageContaining("jitter");
    assertThatThrownBy(() -> Backoff.exponential(Duration.ofSeconds(1), Duration.ofSeconds(1))
        .delay(-1)).hasMessageContaining("attempt");
  }
}
