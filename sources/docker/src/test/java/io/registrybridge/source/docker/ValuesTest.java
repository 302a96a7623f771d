package io.registrybridge.source.docker;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ValuesTest {

  @ParameterizedTest
  @ValueSource(strings = {"1", "true", "TRUE", "yes", "anything", " x "})
  void anyOtherValueIsOn(String value) {
    assertThat(Values.isOn(value)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "  ", "false", "False", " FALSE ", "0"})
  void falseZeroAndBlankAreOff(String value) {
    assertThat(Values.isOn(value)).isFalse();
  }

  @Test
  void quotesShortlyOnOneLine() {
    assertThat(Values.quote("10 seconds")).isEqualTo("'10 seconds'");
    assertThat(Values.quote("a\nb\rc\td\u0000")).isEqualTo("'a\\nb\\rc\\td\\u0000'");
    assertThat(Values.quote("x".repeat(41))).isEqualTo("'" + "x".repeat(40) + "...'");
  }
}
