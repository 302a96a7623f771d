package io.registrybridge.core.attributes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class AttributeSetTest {

  private static Attribute generic(String key, String value, String sourceKey) {
    return new Attribute(key, value, sourceKey, false);
  }

  private static Attribute port(String key, String value, String sourceKey) {
    return new Attribute(key, value, sourceKey, true);
  }

  @Test
  void aLaterLayerBeatsAnEarlierOneAndPortSpecificBeatsGenericWhateverTheLayer() {
    AttributeSet<Integer> set = AttributeSet.<Integer>builder()
        .generic(generic("name", "env", "SERVICE_NAME"))
        .port(80, port("tags", "env80", "SERVICE_80_TAGS"))
        .nextLayer()
        .generic(generic("name", "label", "SERVICE_NAME"))
        .generic(generic("tags", "label", "SERVICE_TAGS"))
        .build();

    assertThat(set.forPort(List.of(80))).containsOnlyKeys("name", "tags");
    assertThat(set.forPort(List.of(80)).get("name").value()).isEqualTo("label");
    assertThat(set.forPort(List.of(80)).get("tags").value()).isEqualTo("env80");
    assertThat(set.forPort(List.of(443)).get("tags").value()).isEqualTo("label");
  }

  @Test
  void withinALayerTheSpellingThatSortsFirstWinsWhateverTheOrderOfAdding() {
    AttributeSet<Integer> set = AttributeSet.<Integer>builder()
        .generic(generic("name", "second", "SERVICE_Name"))
        .generic(generic("name", "first", "SERVICE_NAME"))
        .generic(generic("name", "third", "SERVICE_name"))
        .build();

    assertThat(set.generic().get("name").sourceKey()).isEqualTo("SERVICE_NAME");
  }

  @Test
  void aLaterPortReferenceBeatsAnEarlierOne() {
    AttributeSet<String> set = AttributeSet.<String>builder()
        .port("80", port("protocol", "http", "registry-bridge.io/80.protocol"))
        .port("web", port("protocol", "http2", "registry-bridge.io/web.protocol"))
        .build();

    assertThat(set.forPort(List.of("80", "web")).get("protocol").value()).isEqualTo("http2");
    assertThat(set.forPort(List.of("80")).get("protocol").value()).isEqualTo("http");
    assertThat(set.portSpecific()).containsOnlyKeys("80", "web");
  }

  @Test
  void anAttributeMustBeAddedAsWhatItIs() {
    AttributeSet.Builder<Integer> builder = AttributeSet.builder();
    assertThatThrownBy(() -> builder.generic(port("name", "x", "SERVICE_80_NAME")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.port(80, generic("name", "x", "SERVICE_NAME")))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
