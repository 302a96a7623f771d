package io.registrybridge.source.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.transport.SSLConfig;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** Which TLS each engine address gets: none set up for a socket, none at all for plain TCP. */
class DockerClientsTest {
  @Test
  void aUnixSocketGetsAContextThatIsNeverSetUp() throws Exception {
    SSLConfig ssl = DockerClients.sslConfig(config("unix:///var/run/docker.sock"));

    assertThat(ssl).isNotNull();
    assertThatThrownBy(() -> ssl.getSSLContext().getSocketFactory().createSocket("engine", 2376))
        .isInstanceOf(IOException.class).hasMessageContaining("plain HTTP only");
  }

  @Test
  void aPlainTcpEngineGetsNoContextSinceOneWouldMeanHttps() {
    assertThat(DockerClients.sslConfig(config("tcp://engine:2375"))).isNull();
  }

  private static DockerClientConfig config(String host) {
    return DefaultDockerClientConfig.createDefaultConfigBuilder().withDockerHost(host)
        .withDockerTlsVerify(false).build();
  }
}
