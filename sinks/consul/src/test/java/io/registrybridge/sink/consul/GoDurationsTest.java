package io.registrybridge.sink.consul;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class GoDurationsTest {
  @Test
  void usesTheLargestExactUnit() {
    assertThat(GoDurations.format(Duration.ofSeconds(10))).isEqualTo("10s");
    assertThat(GoDurations.format(Duration.ofMinutes(2))).isEqualTo("120s");
    assertThat(GoDurations.format(Duration.ofMillis(1500))).isEqualTo("1500ms");
    assertThat(GoDurations.format(Duration.ofNanos(250_000))).isEqualTo("250us");
    assertThat(GoDurations.format(Duration.ofNanos(7))).isEqualTo("7ns");
    assertThat(GoDurations.format(Duration.ZERO)).isEqualTo("0s");
  }
}
