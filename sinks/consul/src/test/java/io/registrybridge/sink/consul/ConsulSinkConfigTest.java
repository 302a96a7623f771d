package io.registrybridge.sink.consul;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ConsulSinkConfigTest {

  @Test
  void defaultsFromUri() {
    ConsulSinkConfig config =
        ConsulSinkConfig.fromUri("consul://consul:8500", Map.of(), "docker-host-1");
    assertThat(config).isEqualTo(new ConsulSinkConfig(new ConsulEndpoint.Tcp("consul", 8500, false),
        Optional.empty(), ConsulTls.DEFAULT, "docker-host-1", false, "", Optional.empty(),
        ConsulSinkConfig.Timeouts.DEFAULT, 4, Duration.ofMinutes(5), "consul"));
    assertThat(config.legacyCleanupPrefix()).isEmpty();
    assertThat(ConsulSinkConfig.Timeouts.DEFAULT)
        .isEqualTo(new ConsulSinkConfig.Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(10)));
  }

  @Test
  void readsTlsEnvironmentOnlyForTlsEndpoints() {
    Map<String, String> env = Map.of("CONSUL_CACERT", "/etc/consul/ca.pem",
        "CONSUL_CLIENT_CERT", "/etc/consul/client.pem",
        "CONSUL_CLIENT_KEY", "/etc/consul/client-key.pem");
    assertThat(ConsulSinkConfig.fromUri("consul-tls://consul:8501", env, "h").tls())
        .isEqualTo(new ConsulTls(Optional.of(Path.of("/etc/consul/ca.pem")),
            Optional.of(Path.of("/etc/consul/client.pem")),
            Optional.of(Path.of("/etc/consul/client-key.pem")), true));
    assertThat(ConsulSinkConfig.fromUri("consul://consul:8500", env, "h").tls())
        .isEqualTo(ConsulTls.DEFAULT);
    assertThat(ConsulSinkConfig.fromUri("consul-unix:///c.sock", env, "h").tls())
        .isEqualTo(ConsulTls.DEFAULT);
  }

  @Test
  void badUriIsAnIllegalArgument() {
    assertThatThrownBy(() -> ConsulSinkConfig.fromUri("etcd://x", Map.of(), "h"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("invalid Consul URI 'etcd://x': unknown scheme 'etcd'");
  }

  @Test
  void legacyCleanupNeedsAPrefix() {
    ConsulSinkConfig base = ConsulSinkConfig.fromUri("consul://", Map.of(), "h");
    assertThat(base.toBuilder().legacyCleanup("h:").build().legacyCleanupPrefix()).contains("h:");
    assertThatThrownBy(() -> base.toBuilder().legacyCleanup(" ").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("legacy cleanup needs an ID prefix such as '<host>:'; an empty one matches "
            + "everything");
  }

  @Test
  void ownerIdMustBeUsableAsMetaValue() {
    assertThatThrownBy(() -> ConsulSinkConfig.fromUri("consul://", Map.of(), " "))
        .hasMessage("the Consul owner ID must not be blank");
    assertThatThrownBy(() -> ConsulSinkConfig.fromUri("consul://", Map.of(), "x".repeat(513)))
        .hasMessage("the Consul owner ID must not be longer than 512 characters");
  }

  @Test
  void ttlRefreshMustBePositiveAndShorterThanTtl() {
    ConsulSinkConfig base = ConsulSinkConfig.fromUri("consul://", Map.of(), "h");
    assertThat(base.toBuilder().ttl(Duration.ofSeconds(30), Duration.ofSeconds(10)).build().ttl())
        .contains(new ConsulSinkConfig.Ttl(Duration.ofSeconds(30), Duration.ofSeconds(10)));
    assertThatThrownBy(() -> base.toBuilder().ttl(Duration.ofSeconds(10), Duration.ofSeconds(10))
        .build())
        .hasMessage("the TTL refresh interval (PT10S) must be shorter than the TTL (PT10S)");
    assertThatThrownBy(() -> base.toBuilder().ttl(Duration.ofSeconds(10), Duration.ZERO).build())
        .hasMessage("the TTL refresh interval must be positive");
  }

  @Test
  void timeoutsMustBePositive() {
    assertThatThrownBy(() -> new ConsulSinkConfig.Timeouts(Duration.ZERO, Duration.ofSeconds(1)))
        .hasMessage("Consul timeouts must be positive");
  }
}
