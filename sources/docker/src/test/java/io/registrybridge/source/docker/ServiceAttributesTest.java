package io.registrybridge.source.docker;

import static org.assertj.core.api.Assertions.assertThat;

import io.registrybridge.core.attributes.Attribute;
import io.registrybridge.core.attributes.AttributeSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServiceAttributesTest {

  @Test
  void portSpecificBeatsGenericAndLabelBeatsEnvWithinTheSameSpecificity() {
    AttributeSet<Integer> attrs = ServiceAttributes.of(
        Map.of("SERVICE_A", "env", "SERVICE_B", "env", "SERVICE_C", "env",
            "SERVICE_80_A", "env80", "SERVICE_80_B", "env80"),
        Map.of("SERVICE_A", "label", "SERVICE_B", "label", "SERVICE_80_A", "label80"));

    Map<String, Attribute> port80 = attrs.forPort(List.of(80));
    assertThat(port80.get("a"))
        .isEqualTo(new Attribute("a", "label80", "SERVICE_80_A", true));
    assertThat(port80.get("b"))
        .isEqualTo(new Attribute("b", "env80", "SERVICE_80_B", true));
    assertThat(port80.get("c"))
        .isEqualTo(new Attribute("c", "env", "SERVICE_C", false));

    Map<String, Attribute> port443 = attrs.forPort(List.of(443));
    assertThat(port443.get("a"))
        .isEqualTo(new Attribute("a", "label", "SERVICE_A", false));
    assertThat(port443.get("b"))
        .isEqualTo(new Attribute("b", "label", "SERVICE_B", false));
  }

  @Test
  void anEmptyValueStillWins() {
    AttributeSet<Integer> attrs = ServiceAttributes.of(Map.of("SERVICE_TAGS", "a,b"),
        Map.of("SERVICE_TAGS", ""));

    assertThat(attrs.forPort(List.of(80)).get("tags").value()).isEmpty();
    assertThat(attrs.forPort(List.of(80)).get("tags").text()).isEmpty();
  }

  @Test
  void keysAreLowerCasedAndTheFirstSortedSpellingWins() {
    AttributeSet<Integer> attrs = ServiceAttributes.of(
        Map.of("SERVICE_Name", "second", "SERVICE_NAME", "first", "SERVICE_CHECK_HTTP", "/"),
        Map.of());

    assertThat(attrs.forPort(List.of(80))).containsOnlyKeys("name", "check_http");
    assertThat(attrs.forPort(List.of(80)).get("name").sourceKey()).isEqualTo("SERVICE_NAME");
  }

  @Test
  void aPortWithoutKeyIsAGenericAttributeAndOddKeysAreSkipped() {
    AttributeSet<Integer> attrs = ServiceAttributes.of(
        Map.of("SERVICE_80", "x", "SERVICE_", "y", "SERVICE_80_", "z", "OTHER", "w"),
        Map.of("service_name", "lower-case prefix is not ours"));

    assertThat(attrs.forPort(List.of(80))).containsOnlyKeys("80", "80_");
    assertThat(attrs.portSpecific()).isEmpty();
  }

  @Test
  void remembersPortSpecificKeysOfEveryPortIncludingImpossibleOnes() {
    AttributeSet<Integer> attrs = ServiceAttributes.of(
        Map.of("SERVICE_8080_NAME", "a", "SERVICE_99999_NAME", "b", "SERVICE_080_ID", "c"),
        Map.of());

    assertThat(attrs.portSpecific()).containsOnlyKeys(-1, 80, 8080);
    assertThat(attrs.forPort(List.of(80)).get("id").value()).isEqualTo("c");
    assertThat(attrs.forPort(List.of(8080)).get("name").value()).isEqualTo("a");
    assertThat(attrs.forPort(List.of(8080))).doesNotContainKey("id");
  }
}
