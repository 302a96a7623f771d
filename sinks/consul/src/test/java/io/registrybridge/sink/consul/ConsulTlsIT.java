package io.registrybridge.sink.consul;

import static io.registrybridge.sink.consul.ConsulSinkIT.complete;
import static io.registrybridge.sink.consul.ConsulSinkIT.db;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.registrybridge.core.ControlPlaneUnavailableException;
import io.registrybridge.core.SyncResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.utility.MountableFile;

/**
 * {@code consul-tls://} against an agent whose HTTPS listener has a certificate for {@code
 * localhost} only, from a throw-away CA, and that requires client certificates.
 */
@Testcontainers
class ConsulTlsIT {
  private static final int HTTPS_PORT = 8501;

  private static final Path DIR;
  static final TestPki PKI;

  static {
    try {
      DIR = Files.createTempDirectory("rb-consul-tls-");
      PKI = new TestPki(DIR, "localhost");
    } catch (Exception e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  @Container static final GenericContainer<?> CONSUL = ConsulContainers.devAgent(
          "ports { https = 8501 }",
          "ca_file = \"/consul/tls/ca.pem\"",
          "cert_file = \"/consul/tls/server.pem\"",
          "key_file = \"/consul/tls/server-key.pem\"",
          "verify_incoming_https = true")
      .withExposedPorts(ConsulContainers.HTTP_PORT, HTTPS_PORT)
      .withCopyFileToContainer(MountableFile.forHostPath(PKI.caCert, 0644), "/consul/tls/ca.pem")
      .withCopyFileToContainer(MountableFile.forHostPath(PKI.serverCert, 0644),
          "/consul/tls/server.pem")
      .withCopyFileToContainer(MountableFile.forHostPath(PKI.serverKey, 0644),
          "/consul/tls/server-key.pem");

  @AfterAll
  static void deletePki() throws IOException {
    try (Stream<Path> files = Files.list(DIR)) {
      for (Path file : files.toList()) {
        Files.delete(file);
      }
    }
    Files.delete(DIR);
  }

  @BeforeEach
  void emptyAgent() {
    assertThat(CONSUL.getHost())
        .as("the certificate names localhost, so the Docker engine must run on this machine")
        .isEqualTo("localhost");
    ConsulHttp http = ConsulContainers.http(CONSUL);
    http.services().keySet().forEach(http::deregister);
  }

  private static String uri(String host) {
    return "consul-tls://" + host + ":" + CONSUL.getMappedPort(HTTPS_PORT);
  }

  private static Map<String, String> env(Path ca, Path cert, Path key, String verify) {
    Map<String, String> env = new HashMap<>();
    if (ca != null) {
      env.put("CONSUL_CACERT", ca.toString());
    }
    if (cert != null) {
      env.put("CONSUL_CLIENT_CERT", cert.toString());
      env.put("CONSUL_CLIENT_KEY", key.toString());
    }
    if (verify != null) {
      env.put("CONSUL_HTTP_SSL_VERIFY", verify);
    }
    return env;
  }

  private static SyncResult syncDb(String host, Map<String, String> env) {
    try (ConsulSink sink =
        ConsulSinkFactory.create(ConsulSinkConfig.fromUri(uri(host), env, "host-a"))) {
      return sink.sync(complete(db()));
    }
  }

  private static List<Throwable> causes(Throwable e) {
    List<Throwable> chain = new ArrayList<>();
    for (Throwable t = e; t != null && !chain.contains(t); t = t.getCause()) {
      chain.add(t);
    }
    return chain;
  }

  @Test
  void syncsWithTheCaAndAClientCertificate() {
    assertThat(syncDb("localhost", env(PKI.caCert, PKI.clientCert, PKI.clientKey, null)))
        .isEqualTo(new SyncResult(1, 0, 0));
    assertThat(ConsulContainers.http(CONSUL).services()).containsOnlyKeys("host-a:db-1:5432");
  }

  @Test
  void refusesAServerCertificateFromAnUnknownCaByDefault() {
    assertThatThrownBy(() -> syncDb("localhost", env(null, PKI.clientCert, PKI.clientKey, null)))
        .isInstanceOfSatisfying(ControlPlaneUnavailableException.class,
            e -> assertThat(e.getCause()).isInstanceOfSatisfying(ConsulAgentException.class,
                cause -> assertThat(cause.answered()).isFalse()))
        .satisfies(e -> assertThat(causes(e))
            .anySatisfy(cause -> assertThat(cause).isInstanceOf(SSLHandshakeException.class)
                .hasMessageContaining("PKIX path building failed")));
    assertThat(ConsulContainers.http(CONSUL).services()).isEmpty();
  }

  @Test
  void refusesAServerCertificateForAnotherName() {
    assertThatThrownBy(() -> syncDb("127.0.0.1",
        env(PKI.caCert, PKI.clientCert, PKI.clientKey, null)))
        .isInstanceOfSatisfying(ControlPlaneUnavailableException.class,
            e -> assertThat(e.getCause()).isInstanceOfSatisfying(ConsulAgentException.class,
                cause -> assertThat(cause.answered()).isFalse()))
        .satisfies(e -> assertThat(causes(e))
            .anySatisfy(cause -> assertThat(cause).isInstanceOf(SSLPeerUnverifiedException.class)
                .hasMessageContaining("Hostname 127.0.0.1 not verified")));
  }

  @Test
  void anAgentThatWantsAClientCertificateRefusesUsWithoutOne() {
    assertThatThrownBy(() -> syncDb("localhost", env(PKI.caCert, null, null, null)))
        .isInstanceOfSatisfying(ControlPlaneUnavailableException.class,
            e -> assertThat(e.getCause()).isInstanceOfSatisfying(ConsulAgentException.class,
                cause -> assertThat(cause.answered()).isFalse()));
    assertThat(ConsulContainers.http(CONSUL).services()).isEmpty();
  }

  @Test
  void verificationCanBeTurnedOffExplicitly() {
    assertThat(syncDb("127.0.0.1", env(null, PKI.clientCert, PKI.clientKeyPkcs8, "false")))
        .isEqualTo(new SyncResult(1, 0, 0));
  }
}
