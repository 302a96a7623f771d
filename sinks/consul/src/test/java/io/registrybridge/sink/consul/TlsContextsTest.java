package io.registrybridge.sink.consul;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsContextsTest {
  @TempDir static Path dir;
  static TestPki pki;

  @BeforeAll
  static void createPki() throws Exception {
    pki = new TestPki(dir, "localhost");
  }

  static ConsulTls tls(Path ca, Path cert, Path key) {
    return new ConsulTls(Optional.ofNullable(ca), Optional.ofNullable(cert),
        Optional.ofNullable(key), true);
  }

  @Test
  void trustsExactlyTheConfiguredCa() {
    TlsContexts.Material material = TlsContexts.load(tls(pki.caCert, null, null));

    assertThat(material.trustManager().getAcceptedIssuers())
        .extracting(X509Certificate::getSubjectX500Principal)
        .extracting(Object::toString)
        .containsExactly("CN=registry-bridge test CA");
    assertThat(material.hostnameVerifier()).isEmpty(); // OkHttp's own, which checks names
  }

  @Test
  void usesTheJvmTrustStoreWithoutCa() {
    TlsContexts.Material material = TlsContexts.load(ConsulTls.DEFAULT);
    assertThat(material.trustManager().getAcceptedIssuers()).isNotEmpty()
        .noneMatch(c -> c.getSubjectX500Principal().getName().contains("registry-bridge"));
  }

  @Test
  void readsClientKeysInEveryPemFlavour() throws Exception {
    for (Path[] pair : new Path[][] {{pki.clientCert, pki.clientKey},
        {pki.clientCert, pki.clientKeyPkcs8}, {pki.rsaClientCert, pki.rsaClientKey}}) {
      TlsContexts.Material material = TlsContexts.load(tls(pki.caCert, pair[0], pair[1]));
      assertThat(material.sslContext().getProtocol()).isEqualTo("TLS");
    }
    assertThat(Files.readString(pki.clientKey)).startsWith("-----BEGIN EC PRIVATE KEY-----");
    assertThat(Files.readString(pki.clientKeyPkcs8)).startsWith("-----BEGIN PRIVATE KEY-----");
    assertThat(Files.readString(pki.rsaClientKey)).startsWith("-----BEGIN RSA PRIVATE KEY-----");
  }

  @Test
  void turnsVerificationOffOnlyWhenAsked() {
    TlsContexts.Material material = TlsContexts.load(
        new ConsulTls(Optional.empty(), Optional.empty(), Optional.empty(), false));
    assertThat(material.hostnameVerifier()).isPresent();
    assertThat(material.trustManager().getAcceptedIssuers()).isEmpty();
  }

  @Test
  void namesTheVariableAndFileThatCannotBeUsed() throws Exception {
    Path missing = dir.resolve("missing.pem");
    assertThatThrownBy(() -> TlsContexts.load(tls(missing, null, null)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("CONSUL_CACERT: cannot read " + missing + " (NoSuchFileException)");

    Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not a certificate");
    assertThatThrownBy(() -> TlsContexts.load(tls(garbage, null, null)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("CONSUL_CACERT: " + garbage + " is not a PEM certificate file");

    assertThatThrownBy(() -> TlsContexts.load(tls(pki.caCert, pki.clientCert, pki.clientCert)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("CONSUL_CLIENT_KEY: " + pki.clientCert + " holds no unencrypted private key "
            + "(expected PEM 'PRIVATE KEY', 'RSA PRIVATE KEY' or 'EC PRIVATE KEY')");

    assertThatThrownBy(() -> TlsContexts.load(tls(pki.caCert, pki.clientCert, missing)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("CONSUL_CLIENT_KEY: cannot read a PEM private key from " + missing
            + " (NoSuchFileException)");
  }

  @Test
  void refusesAKeyThatDoesNotBelongToTheCertificate() {
    assertThatThrownBy(() -> TlsContexts.load(tls(pki.caCert, pki.clientCert, pki.rsaClientKey)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("CONSUL_CLIENT_KEY: the key in " + pki.rsaClientKey + " does not belong to "
            + "the first certificate in " + pki.clientCert + " (CONSUL_CLIENT_CERT)");
    assertThatThrownBy(() -> TlsContexts.load(tls(pki.caCert, pki.clientCert, pki.serverKey)))
        .hasMessageContaining("does not belong to the first certificate");
  }
}
