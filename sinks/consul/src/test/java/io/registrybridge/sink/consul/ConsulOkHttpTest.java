package io.registrybridge.sink.consul;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import okhttp3.ConnectionSpec;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;

/** Our own OkHttp clients for Consul set up TLS for a TLS endpoint only. */
class ConsulOkHttpTest {
  @Test
  void ourClientForAPlainEndpointIsCleartextOnly() {
    OkHttpClient tcp = ConsulOkHttp.client(new ConsulEndpoint.Tcp("consul", 8500, false),
        Optional.empty(), ConsulTls.DEFAULT, ConsulSinkConfig.Timeouts.DEFAULT);
    OkHttpClient unix = ConsulOkHttp.client(
        new ConsulEndpoint.UnixSocket(Path.of("/run/consul.sock")), Optional.empty(),
        ConsulTls.DEFAULT, ConsulSinkConfig.Timeouts.DEFAULT);

    assertThat(tcp.connectionSpecs()).isEqualTo(List.of(ConnectionSpec.CLEARTEXT));
    assertThat(unix.connectionSpecs()).isEqualTo(List.of(ConnectionSpec.CLEARTEXT));
  }

  @Test
  void aTlsEndpointKeepsItsTls() {
    OkHttpClient client = ConsulOkHttp.client(new ConsulEndpoint.Tcp("consul", 8501, true),
        Optional.empty(), ConsulTls.DEFAULT, ConsulSinkConfig.Timeouts.DEFAULT);

    assertThat(client.connectionSpecs()).anyMatch(ConnectionSpec::isTls);
    assertThat(client.sslSocketFactory()).isNotNull();
  }
}
