package io.registrybridge.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class AttributeValuesTest {

  @ParameterizedTest
  @ValueSource(strings = {"1", "true", "TRUE", "yes", "anything", " x "})
  void anyOtherValueIsOn(String value) {
    assertThat(AttributeValues.isOn(value)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "  ", "false", "False", " FALSE ", "0"})
  void falseZeroAndBlankAreOff(String value) {
    assertThat(AttributeValues.isOn(value)).isFalse();
  }

  @Test
  void quotesShortlyOnOneLine() {
    assertThat(AttributeValues.quote("10 seconds")).isEqualTo("'10 seconds'");
    assertThat(AttributeValues.quote("a\nb\rc\td\u0000")).isEqualTo("'a\\nb\\rc\\td\\u0000'");
    assertThat(AttributeValues.quote("x".repeat(41))).isEqualTo("'" + "x".repeat(40) + "...'");
  }
}
