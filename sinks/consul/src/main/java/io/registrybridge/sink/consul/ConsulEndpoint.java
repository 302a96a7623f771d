package io.registrybridge.sink.consul;

import static java.util.Objects.requireNonNull;

import com.google.common.net.HostAndPort;
import java.nio.file.Path;

/**
 * Where the Consul agent's HTTP API listens, parsed from a Registrator-style sink URI.
 *
 * <ul>
 *   <li>{@code consul://host[:port]}: plain HTTP; {@code consul://} alone means {@code
 *       127.0.0.1:8500}, like Registrator
 *   <li>{@code consul-tls://host[:port]}: HTTPS, see {@link ConsulTls} for certificates
 *   <li>{@code consul-unix:///absolute/path/to/consul.sock}: HTTP over a Unix domain socket
 * </ul>
 *
 * <p>The port defaults to 8500 for both TCP schemes (Consul's HTTPS listener is usually 8501, so
 * give it explicitly). Credentials never go into the URI: the ACL token comes from the
 * environment, see {@link ConsulToken}.
 */
public sealed interface ConsulEndpoint permits ConsulEndpoint.Tcp, ConsulEndpoint.UnixSocket {

  int DEFAULT_PORT = 8500;
  String DEFAULT_HOST = "127.0.0.1";

  /** The URI this endpoint is written as, for log lines; never holds a secret. */
  String uri();

  /**
   * An agent reached over TCP.
   *
   * @param host a DNS name or IP literal (IPv6 without brackets)
   * @param tls whether to speak HTTPS
   */
  record Tcp(String host, int port, boolean tls) implements ConsulEndpoint {
    public Tcp {
      requireNonNull(host, "host");
      if (host.isBlank()) {
        throw new IllegalArgumentException("host must not be blank");
      }
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("port out of range: " + port);
      }
    }

    @Override
    public String uri() {
      return (tls ? "consul-tls://" : "consul://") + HostAndPort.fromParts(host, port);
    }
  }

  /** An agent reached over a Unix domain socket ({@code addresses.http = "unix://..."}). */
  record UnixSocket(Path path) implements ConsulEndpoint {
    public UnixSocket {
      requireNonNull(path, "path");
      if (!path.isAbsolute()) {
        throw new IllegalArgumentException("socket path must be absolute: " + path);
      }
    }

    @Override
    public String uri() {
      return "consul-unix://" + path;
    }
  }

  /**
   * Parses a sink URI.
   *
   * @throws IllegalArgumentException naming the URI and what is wrong with it; user info in the
   *     URI is masked in the message, in case someone put a password there
   */
  static ConsulEndpoint parse(String uri) {
    return EndpointUris.parse(requireNonNull(uri, "uri"));
  }
}
