package io.registrybridge.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class TagParserTest {

  @Test
  void splitsOnCommasKeepingTheOrder() {
    assertThat(TagParser.parse("master,backups")).containsExactly("master", "backups");
  }

  @Test
  void trimsAndDropsEmptyTags() {
    assertThat(TagParser.parse(" a , ,b,, ")).containsExactly("a", "b");
    assertThat(TagParser.parse("")).isEmpty();
    assertThat(TagParser.parse(",")).isEmpty();
  }

  @Test
  void backslashEscapesAComma() {
    assertThat(TagParser.parse("a\\,b,c")).containsExactly("a,b", "c");
    // Registrator's documented example.
    assertThat(TagParser.parse("/(;\\,:-_)/")).containsExactly("/(;,:-_)/");
  }

  @Test
  void keepsOtherBackslashes() {
    assertThat(TagParser.parse("a\\b,c\\")).containsExactly("a\\b", "c\\");
  }

  @Test
  void combinesOwnThenForcedThenExtraWithoutDuplicates() {
    assertThat(TagParser.combine(List.of("a", "b", "a"), List.of("b", "prod"), List.of("udp")))
        .containsExactly("a", "b", "prod", "udp");
  }
}
