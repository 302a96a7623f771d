package io.registrybridge.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import org.junit.jupiter.api.Test;

/** What a plain-HTTP client holds instead of TLS can make no connection and trusts nothing. */
class PlainHttpOnlyTest {
  @Test
  void theContextMakesNoSocket() {
    assertThatThrownBy(() -> PlainHttpOnly.context().getSocketFactory()
        .createSocket("consul.example", 8501))
        .isInstanceOf(IOException.class)
        .hasMessage("this client speaks plain HTTP only: no TLS is configured for it");
    assertThatThrownBy(() -> PlainHttpOnly.context().createSSLEngine())
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void theTrustManagerTrustsNothing() {
    assertThatThrownBy(() -> PlainHttpOnly.TRUSTS_NOTHING.checkServerTrusted(
        new X509Certificate[0], "RSA")).isInstanceOf(CertificateException.class);
    assertThat(PlainHttpOnly.TRUSTS_NOTHING.getAcceptedIssuers()).isEmpty();
  }
}
