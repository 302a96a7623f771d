package io.registrybridge.sink.consul;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ConsulTlsTest {

  @Test
  void verifiesByDefault() {
    assertThat(ConsulTls.fromEnvironment(Map.of())).isEqualTo(ConsulTls.DEFAULT);
    assertThat(ConsulTls.DEFAULT.verify()).isTrue();
  }

  @ParameterizedTest
  @CsvSource({"true,true", "1,true", "T,true", "TRUE,true", "false,false", "0,false", "F,false",
      "False,false"})
  void readsVerifyLikeGo(String value, boolean verify) {
    assertThat(ConsulTls.fromEnvironment(Map.of("CONSUL_HTTP_SSL_VERIFY", value)).verify())
        .isEqualTo(verify);
  }

  @Test
  void rejectsNonBooleanVerify() {
    assertThatThrownBy(() -> ConsulTls.fromEnvironment(Map.of("CONSUL_HTTP_SSL_VERIFY", "no")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("CONSUL_HTTP_SSL_VERIFY must be true or false, not 'no'");
  }

  @Test
  void clientCertificateAndKeyComeTogether() {
    assertThatThrownBy(() -> ConsulTls.fromEnvironment(Map.of("CONSUL_CLIENT_CERT", "/c.pem")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("CONSUL_CLIENT_CERT and CONSUL_CLIENT_KEY must be given together");
    assertThatThrownBy(() -> ConsulTls.fromEnvironment(Map.of("CONSUL_CLIENT_KEY", "/k.pem")))
        .hasMessage("CONSUL_CLIENT_CERT and CONSUL_CLIENT_KEY must be given together");
  }

  @Test
  void readsFileNames() {
    assertThat(ConsulTls.fromEnvironment(Map.of("CONSUL_CACERT", "/ca.pem")))
        .isEqualTo(new ConsulTls(Optional.of(Path.of("/ca.pem")), Optional.empty(),
            Optional.empty(), true));
  }
}
