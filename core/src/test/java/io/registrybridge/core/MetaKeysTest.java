package io.registrybridge.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MetaKeysTest {
  private final List<String> warnings = new ArrayList<>();

  @Test
  void keepsValidPairs() {
    assertThat(MetaKeys.sanitize(Map.of("version", "v1", "team_a-b", "x"), warnings::add))
        .containsExactly(Map.entry("team_a-b", "x"), Map.entry("version", "v1"));
    assertThat(warnings).isEmpty();
  }

  @Test
  void fromAttributesKeepsMetaAttributesLetsAddedKeysWinAndNamesTheUsersKey() {
    record Attr(String value, String sourceKey) {}
    Map<String, Attr> attrs = new LinkedHashMap<>();
    attrs.put("name", new Attr("web", "SERVICE_NAME"));
    attrs.put("team", new Attr("core", "SERVICE_TEAM"));
    attrs.put("bad.key", new Attr("secret", "SERVICE_BAD.KEY"));
    attrs.put("source", new Attr("mine", "SERVICE_SOURCE"));
    List<String> problems = new ArrayList<>();

    var meta = MetaKeys.fromAttributes(attrs, key -> !key.equals("name"), Attr::value,
        Attr::sourceKey, Map.of("source", "kubernetes", "added.bad", "x"),
        (key, problem) -> problems.add(key + ": " + problem));

    assertThat(meta).containsExactly(Map.entry("source", "kubernetes"),
        Map.entry("team", "core"));
    assertThat(problems).containsExactly(
        "meta added.bad: meta key 'added.bad' dropped: key may only hold letters, digits, '_'"
            + " and '-'",
        "SERVICE_BAD.KEY: meta key 'bad.key' dropped: key may only hold letters, digits, '_'"
            + " and '-'");
    assertThat(String.join("", problems)).doesNotContain("secret");
  }

  @Test
  void dropsWhatConsulWouldRejectAndSaysWhy() {
    Map<String, String> in = new LinkedHashMap<>();
    in.put("has.dot", "1");
    in.put("consul-reserved", "1");
    in.put("Registry-Bridge-owner", "1");
    in.put("protocol", "http");
    in.put("k".repeat(129), "1");
    in.put("long", "v".repeat(513));
    in.put("ok", "v".repeat(512));

    assertThat(MetaKeys.sanitize(in, warnings::add)).containsOnlyKeys("ok");
    assertThat(warnings).containsExactlyInAnyOrder(
        "meta key 'has.dot' dropped: key may only hold letters, digits, '_' and '-'",
        "meta key 'consul-reserved' dropped: the 'consul-' prefix is reserved by Consul",
        "meta key 'Registry-Bridge-owner' dropped: the 'registry-bridge-' prefix is reserved"
            + " for the bridge",
        "meta key 'protocol' dropped: protocol is set through SERVICE_PROTOCOL, not as an"
            + " attribute",
        "meta key '" + "k".repeat(129) + "' dropped: key longer than 128 characters",
        "meta key 'long' dropped: value longer than 512 characters");
  }

  @Test
  void keepsRoomForTheSinksOwnKeys() {
    Map<String, String> in = new LinkedHashMap<>();
    for (int i = 0; i < 70; i++) {
      in.put(String.format("k%02d", i), "v");
    }
    // 64 pairs, less protocol, owner, source and hash.
    assertThat(MetaKeys.sanitize(in, warnings::add)).hasSize(60).containsKey("k59")
        .doesNotContainKey("k60");
    assertThat(warnings).hasSize(10).first().asString().contains("k60", "more than 60");
  }
}
