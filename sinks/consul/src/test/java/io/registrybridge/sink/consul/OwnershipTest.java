package io.registrybridge.sink.consul;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class OwnershipTest {
  private static final Map<String, AgentService> ON_AGENT = Map.of(
      "mine", service("mine", Map.of("registry-bridge-owner", "host-a")),
      "host-a:old:80", service("host-a:old:80", Map.of("registry-bridge-owner", "host-a")),
      "other-bridge", service("other-bridge", Map.of("registry-bridge-owner", "host-b")),
      "host-a:legacy:80", service("host-a:legacy:80", Map.of()),
      "host-a:legacy:53:udp", service("host-a:legacy:53:udp", Map.of("version", "1")),
      // Another bridge's service that happens to match our legacy prefix stays theirs.
      "host-a:theirs:80", service("host-a:theirs:80", Map.of("registry-bridge-owner", "host-b")),
      "host-b:legacy:80", service("host-b:legacy:80", Map.of()),
      "consul", service("consul", Map.of()));

  static AgentService service(String id, Map<String, String> meta) {
    return new AgentService(id, "svc", "", 80, List.of(), meta);
  }

  @Test
  void managesOnlyOwnServicesByDefault() {
    Ownership.Split split = new Ownership("host-a", Optional.empty()).split(ON_AGENT);

    assertThat(split.managed()).containsOnlyKeys("host-a:old:80", "mine");
    assertThat(split.foreign()).containsOnlyKeys("other-bridge", "host-a:legacy:80",
        "host-a:legacy:53:udp", "host-a:theirs:80", "host-b:legacy:80", "consul");
  }

  @Test
  void legacyCleanupAddsUnmarkedServicesWithThePrefix() {
    Ownership.Split split = new Ownership("host-a", Optional.of("host-a:")).split(ON_AGENT);

    assertThat(split.managed()).containsOnlyKeys("host-a:old:80", "mine", "host-a:legacy:80",
        "host-a:legacy:53:udp");
    assertThat(split.foreign()).containsOnlyKeys("other-bridge", "host-a:theirs:80",
        "host-b:legacy:80", "consul");
    assertThat(Ownership.isLegacy(ON_AGENT.get("host-a:legacy:80"))).isTrue();
    assertThat(Ownership.isLegacy(ON_AGENT.get("mine"))).isFalse();
  }

  @Test
  void aFullReadAlsoListsEveryHolderOfAnIdInTheNamespaceMatchedLiterally() {
    Ownership ownership = new Ownership("my.host-1", Optional.empty(), Optional.of("my.host-1:"));

    // go-bexpr unquotes \\ to \, so Consul's RE2 sees ^my\x{2e}host\x{2d}1: (a literal dot).
    assertThat(ownership.readFilter()).isEqualTo("Meta[\"registry-bridge-owner\"] == "
        + "\"my.host-1\" or ID matches \"^my\\\\x{2e}host\\\\x{2d}1:\"");
    assertThat(ownership.filter()).isEqualTo("Meta[\"registry-bridge-owner\"] == \"my.host-1\"");
    assertThat(java.util.regex.Pattern.compile("^" + Ownership.literalRegex("my.host-1:"))
        .matcher("myxhost-1:web:80").find()).isFalse();
    assertThat(ownership.inNamespace("my.host-1:web:80")).isTrue();
    assertThat(ownership.inNamespace("my.host-2:web:80")).isFalse();
    assertThat(new Ownership("h", Optional.empty()).inNamespace("h:web:80")).isFalse();
  }
}
