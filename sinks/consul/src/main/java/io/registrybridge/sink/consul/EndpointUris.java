package io.registrybridge.sink.consul;

import com.google.common.net.HostAndPort;
import com.google.common.net.InetAddresses;
import java.nio.file.Path;
import java.util.regex.Pattern;

/** Parses sink URIs into {@link ConsulEndpoint}s; see there for the accepted forms. */
final class EndpointUris {
  // DNS names as Consul users write them; underscores appear in Docker network aliases.
  private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9_]([A-Za-z0-9_.-]*)");

  private EndpointUris() {}

  static ConsulEndpoint parse(String uri) {
    int sep = uri.indexOf("://");
    if (sep < 0) {
      throw bad(uri, "expected consul://host:port, consul-tls://host:port or "
          + "consul-unix:///path/to/socket");
    }
    String scheme = uri.substring(0, sep);
    String rest = uri.substring(sep + 3);
    return switch (scheme) {
      case "consul" -> tcp(uri, rest, false);
      case "consul-tls" -> tcp(uri, rest, true);
      case "consul-unix" -> unix(uri, rest);
      default -> throw bad(uri, "unknown scheme '" + scheme
          + "'; use consul, consul-tls or consul-unix");
    };
  }

  private static ConsulEndpoint tcp(String uri, String rest, boolean tls) {
    String authority = rest.endsWith("/") ? rest.substring(0, rest.length() - 1) : rest;
    if (authority.indexOf('@') >= 0) {
      throw bad(uri, "user info is not supported; pass the ACL token in CONSUL_HTTP_TOKEN or "
          + "CONSUL_HTTP_TOKEN_FILE");
    }
    int extra = indexOfAny(authority, "/?#");
    if (extra >= 0) {
      throw bad(uri, "a path, query or fragment is not supported after the host and port");
    }
    if (authority.endsWith(":")) {
      throw bad(uri, "missing port after ':'");
    }
    if (authority.isEmpty()) {
      return new ConsulEndpoint.Tcp(ConsulEndpoint.DEFAULT_HOST, ConsulEndpoint.DEFAULT_PORT, tls);
    }
    HostAndPort hostAndPort;
    try {
      hostAndPort = HostAndPort.fromString(authority);
    } catch (IllegalArgumentException e) {
      throw bad(uri, "cannot read host and port (" + e.getMessage() + ")");
    }
    String host = hostAndPort.getHost();
    if (host.isEmpty()) {
      throw bad(uri, "missing host");
    }
    if (!InetAddresses.isInetAddress(host) && !HOST_NAME.matcher(host).matches()) {
      throw bad(uri, "'" + host + "' is neither a host name nor an IP address");
    }
    int port = hostAndPort.getPortOrDefault(ConsulEndpoint.DEFAULT_PORT);
    if (port < 1) {
      throw bad(uri, "port must be between 1 and 65535");
    }
    return new ConsulEndpoint.Tcp(host, port, tls);
  }

  private static ConsulEndpoint unix(String uri, String rest) {
    if (rest.isEmpty()) {
      throw bad(uri, "missing socket path, e.g. consul-unix:///var/run/consul/consul.sock");
    }
    if (!rest.startsWith("/")) {
      throw bad(uri, "expected an absolute socket path after consul-unix:// (three slashes), "
          + "not a host");
    }
    if (indexOfAny(rest, "?#") >= 0) {
      throw bad(uri, "a query or fragment is not supported");
    }
    if (rest.endsWith("/")) {
      throw bad(uri, "the socket path must name a file, not a directory");
    }
    try {
      return new ConsulEndpoint.UnixSocket(Path.of(rest));
    } catch (RuntimeException e) {
      throw bad(uri, "invalid socket path (" + e.getMessage() + ")");
    }
  }

  private static int indexOfAny(String text, String chars) {
    for (int i = 0; i < text.length(); i++) {
      if (chars.indexOf(text.charAt(i)) >= 0) {
        return i;
      }
    }
    return -1;
  }

  private static IllegalArgumentException bad(String uri, String problem) {
    return new IllegalArgumentException(
        "invalid Consul URI '" + masked(uri) + "': " + problem);
  }

  /** Replaces user info ({@code user:password@}) so an error message never prints it. */
  static String masked(String uri) {
    int sep = uri.indexOf("://");
    int start = sep < 0 ? 0 : sep + 3;
    int end = indexOfAny(uri.substring(start), "/?#");
    String authority = end < 0 ? uri.substring(start) : uri.substring(start, start + end);
    int at = authority.lastIndexOf('@');
    if (at < 0) {
      return uri;
    }
    return uri.substring(0, start) + "***@" + uri.substring(start + at + 1);
  }
}
