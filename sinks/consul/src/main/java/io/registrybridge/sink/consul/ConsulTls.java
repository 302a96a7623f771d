package io.registrybridge.sink.consul;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Certificates for a {@code consul-tls://} endpoint, named by the same environment variables as
 * Consul's CLI. All files are PEM.
 *
 * <p>Verification is on by default: the server certificate must chain to {@code caCert} (or, when
 * none is given, to the JVM's default trust store), and its name must match the host in the URI.
 * {@code CONSUL_HTTP_SSL_VERIFY=false} turns both checks off, for tests only.
 *
 * @param caCert CA bundle to trust instead of the JVM's default ({@value #CA_CERT_ENV})
 * @param clientCert client certificate chain, for agents with {@code verify_incoming} ({@value
 *     #CLIENT_CERT_ENV})
 * @param clientKey the client certificate's private key: PKCS#8, PKCS#1 (RSA) or SEC1 (EC), not
 *     encrypted ({@value #CLIENT_KEY_ENV})
 * @param verify whether to verify the server's certificate and host name ({@value #VERIFY_ENV})
 */
public record ConsulTls(Optional<Path> caCert, Optional<Path> clientCert, Optional<Path> clientKey,
    boolean verify) {

  public static final String CA_CERT_ENV = "CONSUL_CACERT";
  public static final String CLIENT_CERT_ENV = "CONSUL_CLIENT_CERT";
  public static final String CLIENT_KEY_ENV = "CONSUL_CLIENT_KEY";
  public static final String VERIFY_ENV = "CONSUL_HTTP_SSL_VERIFY";

  /** The JVM's trust store, no client certificate, full verification. */
  public static final ConsulTls DEFAULT =
      new ConsulTls(Optional.empty(), Optional.empty(), Optional.empty(), true);

  public ConsulTls {
    requireNonNull(caCert, "caCert");
    requireNonNull(clientCert, "clientCert");
    requireNonNull(clientKey, "clientKey");
    if (clientCert.isPresent() != clientKey.isPresent()) {
      throw new IllegalArgumentException(
          CLIENT_CERT_ENV + " and " + CLIENT_KEY_ENV + " must be given together");
    }
  }

  /**
   * Reads the file names from the environment; the files themselves are read when the sink is
   * created.
   *
   * @throws IllegalArgumentException for a client certificate without key (or the reverse) and
   *     for a {@value #VERIFY_ENV} that is not a boolean
   */
  public static ConsulTls fromEnvironment(Map<String, String> env) {
    requireNonNull(env, "env");
    return new ConsulTls(path(env, CA_CERT_ENV), path(env, CLIENT_CERT_ENV),
        path(env, CLIENT_KEY_ENV), verify(env.get(VERIFY_ENV)));
  }

  /**
   * The settings for {@code endpoint}: read from {@code env} for a TLS endpoint, {@link #DEFAULT}
   * for any other (whose requests never use them).
   */
  public static ConsulTls forEndpoint(ConsulEndpoint endpoint, Map<String, String> env) {
    boolean usesTls = endpoint instanceof ConsulEndpoint.Tcp tcp && tcp.tls();
    return usesTls ? fromEnvironment(env) : DEFAULT;
  }

  private static Optional<Path> path(Map<String, String> env, String name) {
    String value = env.get(name);
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(Path.of(value));
  }

  // The spellings Go's strconv.ParseBool accepts, which is what Consul's CLI uses.
  private static boolean verify(String value) {
    if (value == null || value.isBlank()) {
      return true;
    }
    return switch (value.strip().toLowerCase(Locale.ROOT)) {
      case "1", "t", "true" -> true;
      case "0", "f", "false" -> false;
      default -> throw new IllegalArgumentException(
          VERIFY_ENV + " must be true or false, not '" + value + "'");
    };
  }
}
