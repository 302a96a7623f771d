package io.registrybridge.sink.consul.kv;

import static java.util.Objects.requireNonNull;

import io.registrybridge.sink.consul.ConsulEndpoint;

/**
 * A parsed {@code consulkv://} sink URI: where Consul listens and the key prefix, as Registrator's
 * consulkv adapter reads it ({@code uri.Host} and {@code uri.Path} without its first {@code /}).
 *
 * <ul>
 *   <li>{@code consulkv://[HOST[:PORT]]/PREFIX}: plain HTTP; no host means {@code 127.0.0.1:8500}
 *   <li>{@code consulkv-tls://HOST[:PORT]/PREFIX}: HTTPS, certificates as for {@code consul-tls://}
 *   <li>{@code consulkv-unix:///path/to/consul.sock:/PREFIX}: HTTP over a Unix domain socket;
 *       Registrator splits the path at its first {@code :}
 * </ul>
 *
 * @param uri the URI as given, for messages
 * @param endpoint where Consul's HTTP API listens
 * @param prefix the key prefix without a leading or trailing {@code /}, never empty
 */
record KvUri(String uri, ConsulEndpoint endpoint, String prefix) {

  KvUri {
    requireNonNull(uri, "uri");
    requireNonNull(endpoint, "endpoint");
    requireNonNull(prefix, "prefix");
  }

  /** What tells two consulkv sinks apart: {@code host:port/prefix}. */
  String instance() {
    String where = switch (endpoint) {
      case ConsulEndpoint.Tcp tcp -> tcp.uri().substring(tcp.uri().indexOf("://") + 3);
      case ConsulEndpoint.UnixSocket unix -> unix.path() + ":";
    };
    return where + "/" + prefix;
  }

  /**
   * Parses a URI of one of the three schemes.
   *
   * @throws IllegalArgumentException naming the URI and what is wrong with it
   */
  static KvUri parse(String uri) {
    requireNonNull(uri, "uri");
    int sep = uri.indexOf("://");
    if (sep < 0) {
      throw bad(uri, "expected consulkv://HOST:PORT/PREFIX");
    }
    String scheme = uri.substring(0, sep);
    String rest = uri.substring(sep + 3);
    if (rest.indexOf('?') >= 0 || rest.indexOf('#') >= 0) {
      throw bad(uri, "a query or fragment is not supported");
    }
    return switch (scheme) {
      case "consulkv" -> tcp(uri, rest, "consul://");
      case "consulkv-tls" -> tcp(uri, rest, "consul-tls://");
      case "consulkv-unix" -> unix(uri, rest);
      default -> throw bad(uri, "unknown scheme '" + scheme
          + "'; use consulkv, consulkv-tls or consulkv-unix");
    };
  }

  private static KvUri tcp(String uri, String rest, String endpointScheme) {
    int slash = rest.indexOf('/');
    String authority = slash < 0 ? rest : rest.substring(0, slash);
    if (authority.indexOf('@') >= 0) {
      throw bad(masked(uri, authority), "user info is not supported; pass the ACL token in "
          + "CONSUL_HTTP_TOKEN or CONSUL_HTTP_TOKEN_FILE");
    }
    String path = slash < 0 ? "" : rest.substring(slash);
    return new KvUri(uri, endpoint(uri, endpointScheme + authority), prefix(uri, path));
  }

  private static KvUri unix(String uri, String rest) {
    int colon = rest.indexOf(':');
    if (colon < 0) {
      throw bad(uri, "expected consulkv-unix:///path/to/consul.sock:/PREFIX (the socket path, "
          + "a ':', then the key prefix)");
    }
    return new KvUri(uri, endpoint(uri, "consul-unix://" + rest.substring(0, colon)),
        prefix(uri, rest.substring(colon + 1)));
  }

  private static ConsulEndpoint endpoint(String uri, String consulUri) {
    try {
      return ConsulEndpoint.parse(consulUri);
    } catch (IllegalArgumentException e) {
      // The Consul sink's parser names the URI it was given; this one names the user's.
      String message = String.valueOf(e.getMessage());
      int problem = message.indexOf("': ");
      throw bad(uri, problem < 0 ? message : message.substring(problem + 3));
    }
  }

  /**
   * Registrator writes under {@code uri.Path[1:]}. A path without a prefix made it panic (no
   * path) or write keys with a leading {@code /} (a lone {@code /}); a trailing {@code /} gave
   * keys with {@code //}, which Consul's HTTP server redirects instead of storing.
   */
  private static String prefix(String uri, String path) {
    if (!path.startsWith("/")) {
      throw bad(uri, "missing key prefix, e.g. consulkv://localhost:8500/services");
    }
    String prefix = path.substring(1);
    while (prefix.endsWith("/")) {
      prefix = prefix.substring(0, prefix.length() - 1);
    }
    if (prefix.isEmpty()) {
      throw bad(uri, "missing key prefix, e.g. consulkv://localhost:8500/services");
    }
    String problem = KvLayout.problemWithPath(prefix);
    if (problem != null) {
      throw bad(uri, "key prefix '" + prefix + "': " + problem);
    }
    return prefix;
  }

  private static String masked(String uri, String authority) {
    return uri.replace(authority, "***@" + authority.substring(authority.lastIndexOf('@') + 1));
  }

  private static IllegalArgumentException bad(String uri, String problem) {
    return new IllegalArgumentException("invalid sink URI '" + uri + "': " + problem);
  }
}
