package io.registrybridge.sink.etcd;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * How the sink proves who it is, read from the environment with etcdctl's (v3) names, never from
 * argv: the CA, the client certificate and key, and a user with its password.
 *
 * @param caCert {@value #CA_CERT_ENV}: the CA that signed the servers' certificates; empty
 *     means the JVM's trust store
 * @param clientCert {@value #CERT_ENV}: a client certificate, with {@code clientKey}
 * @param clientKey {@value #KEY_ENV}: its PEM private key
 * @param user {@value #USER_ENV}, with the password from {@value #USER_ENV} ({@code
 *     name:password}), {@value #PASSWORD_ENV} or {@value #PASSWORD_FILE_ENV}
 */
record EtcdAccess(Optional<Path> caCert, Optional<Path> clientCert, Optional<Path> clientKey,
    Optional<Credentials> user) {

  static final String CA_CERT_ENV = "ETCDCTL_CACERT";
  static final String CERT_ENV = "ETCDCTL_CERT";
  static final String KEY_ENV = "ETCDCTL_KEY";
  static final String USER_ENV = "ETCDCTL_USER";
  static final String PASSWORD_ENV = "ETCDCTL_PASSWORD";
  /** Ours, not etcdctl's: the password in a file (a Docker or Kubernetes secret). */
  static final String PASSWORD_FILE_ENV = "ETCDCTL_PASSWORD_FILE";

  static final EtcdAccess NONE =
      new EtcdAccess(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());

  /** A user name and password; {@link #toString()} never prints the password. */
  record Credentials(String name, String password) {
    Credentials {
      requireNonNull(name, "name");
      requireNonNull(password, "password");
    }

    @Override
    public String toString() {
      return "Credentials[" + name + ", password redacted]";
    }
  }

  EtcdAccess {
    requireNonNull(caCert, "caCert");
    requireNonNull(clientCert, "clientCert");
    requireNonNull(clientKey, "clientKey");
    requireNonNull(user, "user");
  }

  boolean anyTls() {
    return caCert.isPresent() || clientCert.isPresent();
  }

  /**
   * Reads the variables, and the password file when one is named.
   *
   * @param uri for error messages
   * @throws IllegalArgumentException naming the URI and the variable (never a value)
   */
  static EtcdAccess fromEnvironment(String uri, Map<String, String> env, boolean tls) {
    Optional<Path> ca = path(env, CA_CERT_ENV);
    Optional<Path> cert = path(env, CERT_ENV);
    Optional<Path> key = path(env, KEY_ENV);
    if (cert.isPresent() != key.isPresent()) {
      throw bad(uri, CERT_ENV + " and " + KEY_ENV + " come together");
    }
    if (!tls && (ca.isPresent() || cert.isPresent())) {
      // Certificates given but plain http asked for: refuse rather than send in the clear.
      throw bad(uri, (ca.isPresent() ? CA_CERT_ENV : CERT_ENV)
          + " is set but the URI does not ask for TLS; add ?tls");
    }
    return new EtcdAccess(ca, cert, key, credentials(uri, env));
  }

  private static Optional<Credentials> credentials(String uri, Map<String, String> env) {
    String user = env.get(USER_ENV);
    String passwordFile = env.get(PASSWORD_FILE_ENV);
    String password = env.get(PASSWORD_ENV);
    if (user == null || user.isEmpty()) {
      if (nonEmpty(password) || nonEmpty(passwordFile)) {
        throw bad(uri, "a password is set but " + USER_ENV + " is not");
      }
      return Optional.empty();
    }
    String name = user;
    String inline = null;
    int colon = user.indexOf(':');
    if (colon >= 0) {
      name = user.substring(0, colon);
      inline = user.substring(colon + 1);
    }
    if (name.isEmpty()) {
      throw bad(uri, USER_ENV + " has no user name");
    }
    int given = (inline != null ? 1 : 0) + (nonEmpty(password) ? 1 : 0)
        + (nonEmpty(passwordFile) ? 1 : 0);
    if (given != 1) {
      throw bad(uri, given == 0
          ? USER_ENV + " needs a password: " + USER_ENV + "=name:password, " + PASSWORD_ENV
              + " or " + PASSWORD_FILE_ENV
          : "the password is given more than once (" + USER_ENV + "=name:password, "
              + PASSWORD_ENV + ", " + PASSWORD_FILE_ENV + "): keep one");
    }
    if (inline == null) {
      inline = nonEmpty(password) ? password : readPassword(uri, Path.of(passwordFile));
    }
    return Optional.of(new Credentials(name, inline));
  }

  private static String readPassword(String uri, Path file) {
    String content;
    try {
      content = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw bad(uri, PASSWORD_FILE_ENV + ": cannot read " + file + " ("
          + e.getClass().getSimpleName() + ")");
    }
    // A file written by `echo` ends with a newline that is not part of the password.
    content = content.endsWith("\r\n") ? content.substring(0, content.length() - 2)
        : content.endsWith("\n") ? content.substring(0, content.length() - 1) : content;
    if (content.isEmpty()) {
      throw bad(uri, PASSWORD_FILE_ENV + ": " + file + " is empty");
    }
    return content;
  }

  private static Optional<Path> path(Map<String, String> env, String name) {
    String value = env.get(name);
    return nonEmpty(value) ? Optional.of(Path.of(value)) : Optional.empty();
  }

  private static boolean nonEmpty(String value) {
    return value != null && !value.isEmpty();
  }

  private static IllegalArgumentException bad(String uri, String why) {
    return new IllegalArgumentException("sink URI " + uri + ": " + why);
  }
}
