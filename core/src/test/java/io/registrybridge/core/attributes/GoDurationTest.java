package io.registrybridge.core.attributes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class GoDurationTest {

  @ParameterizedTest
  @CsvSource({
      "10s, PT10S",
      "1m30s, PT1M30S",
      "500ms, PT0.5S",
      "1h, PT1H",
      "1.5h, PT1H30M",
      ".5s, PT0.5S",
      "5.s, PT5S",
      "0, PT0S",
      "+5s, PT5S",
      "-5s, PT-5S",
      "2us, PT0.000002S",
      "1h2m3s4ms5us6ns, PT1H2M3.004005006S",
      "' 15s ', PT15S",
      "1.0000000001s, PT1S"
  })
  void parsesGoSyntax(String text, String expected) {
    assertThat(GoDuration.parse(text)).isEqualTo(Duration.parse(expected));
  }

  @ParameterizedTest
  @ValueSource(strings = {"2\u00b5s", "2\u03bcs"})
  void acceptsBothMicroSigns(String text) {
    assertThat(GoDuration.parse(text)).isEqualTo(Duration.ofNanos(2_000));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "s", "10", "1.2.3s", "10 s", "1d", "abc", ".s", "-", "1S",
      "1h 30m", "\u0661s"})
  void rejectsEverythingElse(String text) {
    assertThatThrownBy(() -> GoDuration.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("not a duration (use e.g. 10s, 1m30s, 500ms)");
  }

  @ParameterizedTest
  @ValueSource(strings = {"2562048h", "9223372037s"})
  void rejectsWhatGoCannotHoldEither(String text) {
    assertThatThrownBy(() -> GoDuration.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("too long a duration");
  }

  @ParameterizedTest
  @ValueSource(strings = {"2562047h", "9223372036s"})
  void acceptsTheLongestGoDurations(String text) {
    assertThat(GoDuration.parse(text)).isPositive();
  }
}
