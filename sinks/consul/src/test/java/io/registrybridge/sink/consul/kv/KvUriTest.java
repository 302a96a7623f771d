package io.registrybridge.sink.consul.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.registrybridge.sink.consul.ConsulEndpoint;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KvUriTest {

  @Test
  void registratorsExampleWritesUnderFolder() {
    KvUri uri = KvUri.parse("consulkv://localhost:8500/folder");
    assertThat(uri.endpoint()).isEqualTo(new ConsulEndpoint.Tcp("localhost", 8500, false));
    assertThat(uri.prefix()).isEqualTo("folder");
    assertThat(uri.instance()).isEqualTo("localhost:8500/folder");
  }

  @Test
  void noHostMeansTheLocalAgentAsForRegistrator() {
    KvUri uri = KvUri.parse("consulkv:///services/prod");
    assertThat(uri.endpoint()).isEqualTo(new ConsulEndpoint.Tcp("127.0.0.1", 8500, false));
    assertThat(uri.prefix()).isEqualTo("services/prod");
  }

  @Test
  void tlsAndIpv6() {
    KvUri uri = KvUri.parse("consulkv-tls://[::1]:8501/folder/");
    assertThat(uri.endpoint()).isEqualTo(new ConsulEndpoint.Tcp("::1", 8501, true));
    assertThat(uri.prefix()).isEqualTo("folder");
    assertThat(uri.instance()).isEqualTo("[::1]:8501/folder");
  }

  @Test
  void unixSocketSplitsAtTheFirstColonAsRegistratorDoes() {
    KvUri uri = KvUri.parse("consulkv-unix:///var/run/consul/consul.sock:/folder");
    assertThat(uri.endpoint())
        .isEqualTo(new ConsulEndpoint.UnixSocket(Path.of("/var/run/consul/consul.sock")));
    assertThat(uri.prefix()).isEqualTo("folder");
    assertThat(uri.instance()).isEqualTo("/var/run/consul/consul.sock:/folder");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "consulkv://localhost:8500|missing key prefix",
      "consulkv://localhost:8500/|missing key prefix",
      "consulkv://localhost:8500/a//b|key prefix 'a//b': empty path segment",
      "consulkv://localhost:8500/a/../b|key prefix 'a/../b': path segment '..'",
      "consulkv://localhost:99999/folder|port",
      "consulkv://localhost:8500/folder?dc=x|a query or fragment is not supported",
      "consulkv-unix:///var/run/consul.sock|the socket path, a ':', then the key prefix",
      "consulkv-unix://relative.sock:/folder|absolute socket path",
      "consulkv-http://localhost/folder|unknown scheme 'consulkv-http'",
      "localhost:8500/folder|expected consulkv://HOST:PORT/PREFIX"})
  void badUrisAreNamedWithTheProblem(String uri, String problem) {
    assertThatThrownBy(() -> KvUri.parse(uri)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("invalid sink URI '" + uri + "': ")
        .hasMessageContaining(problem);
  }

  @Test
  void userInfoIsRefusedAndMasked() {
    assertThatThrownBy(() -> KvUri.parse("consulkv://me:secret@localhost:8500/folder"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("consulkv://***@localhost:8500/folder")
        .hasMessageContaining("CONSUL_HTTP_TOKEN")
        .message().doesNotContain("secret");
  }
}
