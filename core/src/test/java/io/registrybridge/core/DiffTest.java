package io.registrybridge.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class DiffTest {

  @Test
  void sortsKeysIntoCreateUpdateAndDelete() {
    Map<String, String> desired = Map.of("a", "1", "b", "2", "c", "3");
    Map<String, String> actual = Map.of("b", "2", "c", "old", "d", "4");

    Diff<String> diff = Diff.between(desired, actual, String::equals, true);

    assertThat(diff.create()).containsExactly(Map.entry("a", "1"));
    assertThat(diff.update()).containsExactly(Map.entry("c", "3"));
    assertThat(diff.delete()).containsExactly("d");
    assertThat(diff.isEmpty()).isFalse();
  }

  @Test
  void deletesNothingWhileTheDesiredStateIsIncomplete() {
    Diff<String> diff = Diff.between(Map.of(), Map.of("d", "4"), String::equals, false);

    assertThat(diff.delete()).isEmpty();
    assertThat(diff.isEmpty()).isTrue();
  }

  @Test
  void equalStatesGiveAnEmptyDiff() {
    Map<String, String> state = Map.of("a", "1");
    assertThat(Diff.between(state, state, String::equals, true).isEmpty()).isTrue();
  }
}
