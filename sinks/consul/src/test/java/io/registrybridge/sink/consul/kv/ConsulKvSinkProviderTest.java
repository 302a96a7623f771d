package io.registrybridge.sink.consul.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.registrybridge.retry.RetryPolicy;
import io.registrybridge.spi.DaemonSettings;
import io.registrybridge.spi.SinkPlan;
import io.registrybridge.spi.SinkProvider;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class ConsulKvSinkProviderTest {

  static DaemonSettings settings(Map<String, String> env) {
    return new DaemonSettings(env, List.of(), Optional.empty(), Optional.empty(), false,
        Optional.empty(), RetryPolicy.forever(Duration.ofSeconds(1), Duration.ofSeconds(5)),
        Optional.empty());
  }

  @Test
  void theDaemonFindsItThroughServiceLoader() {
    assertThat(ServiceLoader.load(SinkProvider.class).stream().map(ServiceLoader.Provider::get)
        .filter(p -> p.schemes().contains("consulkv")))
        .singleElement().isInstanceOf(ConsulKvSinkProvider.class);
  }

  @Test
  void registratorsExampleCommandLinePlansUnchanged() {
    // registrator consulkv://localhost:8500/folder
    SinkPlan plan = new ConsulKvSinkProvider().plan("consulkv://localhost:8500/folder",
        settings(Map.of()));
    assertThat(plan.kind()).isEqualTo("consulkv");
    assertThat(plan.instance()).isEqualTo("localhost:8500/folder");
  }

  @Test
  void aBadUriIsNamed() {
    assertThatThrownBy(() -> new ConsulKvSinkProvider().plan("consulkv://localhost:8500",
        settings(Map.of())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("invalid sink URI 'consulkv://localhost:8500': missing key prefix, e.g. "
            + "consulkv://localhost:8500/services");
  }

  @Test
  void aMissingTokenFileIsNamedAtPlanTime(@org.junit.jupiter.api.io.TempDir Path dir) {
    String missing = dir.resolve("token").toString();
    assertThatThrownBy(() -> new ConsulKvSinkProvider().plan("consulkv://localhost:8500/folder",
        settings(Map.of("CONSUL_HTTP_TOKEN_FILE", missing))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("CONSUL_HTTP_TOKEN_FILE: cannot read " + missing);
  }

  @Test
  void aHalfGivenClientCertificateIsNamedForTls() {
    assertThatThrownBy(() -> new ConsulKvSinkProvider().plan("consulkv-tls://consul:8501/folder",
        settings(Map.of("CONSUL_CLIENT_CERT", "/etc/consul/client.pem"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("CONSUL_CLIENT_CERT and CONSUL_CLIENT_KEY must be given together");
  }

  @Test
  void helpNamesEverySchemeAndVariable() {
    ConsulKvSinkProvider provider = new ConsulKvSinkProvider();
    assertThat(provider.schemes()).containsExactlyInAnyOrder("consulkv", "consulkv-tls",
        "consulkv-unix");
    assertThat(provider.title()).startsWith("Consul KV");
    assertThat(String.join("\n", provider.help())).contains("consulkv://HOST:PORT/PREFIX",
        "consulkv-tls://", "consulkv-unix://", "CONSUL_HTTP_TOKEN", "CONSUL_HTTP_TOKEN_FILE",
        "CONSUL_CACERT", "CONSUL_CLIENT_CERT", "CONSUL_CLIENT_KEY", "CONSUL_HTTP_SSL_VERIFY");
  }
}
