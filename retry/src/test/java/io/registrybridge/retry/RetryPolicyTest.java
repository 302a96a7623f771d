package io.registrybridge.retry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
  private final Backoff noJitter =
      new Backoff(Duration.ofMillis(100), Duration.ofMillis(350), 2.0, 0.0, new java.util.Random());

  @Test
  void zeroAttemptsMeansOneTryAndNoRetry() {
    RetryPolicy policy = new RetryPolicy(0, noJitter);
    assertThat(policy.mayRetryAfter(1)).isFalse();
  }

  @Test
  void countsRetriesAfterTheFirstFailure() {
    RetryPolicy policy = new RetryPolicy(2, noJitter);
    assertThat(policy.mayRetryAfter(1)).isTrue();
    assertThat(policy.mayRetryAfter(2)).isTrue();
    assertThat(policy.mayRetryAfter(3)).isFalse();
  }

  @Test
  void minusOneRetriesForever() {
    RetryPolicy policy = new RetryPolicy(RetryPolicy.FOREVER, noJitter);
    assertThat(policy.mayRetryAfter(Integer.MAX_VALUE)).isTrue();
  }

  @Test
  void delayGrowsWithConsecutiveFailuresAndIsCapped() {
    RetryPolicy policy = new RetryPolicy(RetryPolicy.FOREVER, noJitter);
    assertThat(policy.delayAfter(1)).isEqualTo(Duration.ofMillis(100));
    assertThat(policy.delayAfter(2)).isEqualTo(Duration.ofMillis(200));
    assertThat(policy.delayAfter(3)).isEqualTo(Duration.ofMillis(350));
    assertThat(policy.delayAfter(0)).isEqualTo(Duration.ofMillis(100));
  }

  @Test
  void rejectsAttemptsBelowMinusOne() {
    assertThatThrownBy(() -> new RetryPolicy(-2, noJitter))
        .hasMessageContaining("-1 (forever)");
  }
}
