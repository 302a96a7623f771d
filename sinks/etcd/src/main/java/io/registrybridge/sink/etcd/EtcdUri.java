package io.registrybridge.sink.etcd;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * One parsed sink URI: {@code etcd://HOST:PORT[,HOST:PORT...]/PREFIX[?tls]}, the same for {@code
 * etcd3://}, and {@code skydns2://HOST:PORT/DOMAIN[?tls]}.
 *
 * <p>{@link java.net.URI} cannot hold several hosts in one authority, so the URI is split here
 * by hand. As Registrator: no host means {@code 127.0.0.1:2379}, and the path is the key prefix
 * as given ({@code /services}); a final {@code /} is dropped, since etcd would read {@code
 * /services//web} as an empty directory name.
 *
 * @param kind which back end
 * @param endpoints {@code host:port} each, tried in this order
 * @param path the prefix ({@code etcd}, {@code etcd3}; empty for the root) or the domain
 *     ({@code skydns2}, e.g. {@code cluster.local})
 * @param tls whether to speak https ({@code ?tls})
 */
record EtcdUri(Kind kind, List<String> endpoints, String path, boolean tls) {

  /** The back ends, by scheme. */
  enum Kind {
    ETCD("etcd"), ETCD3("etcd3"), SKYDNS2("skydns2");

    final String scheme;

    Kind(String scheme) {
      this.scheme = scheme;
    }
  }

  static final String DEFAULT_ENDPOINT = "127.0.0.1:2379";
  static final int DEFAULT_PORT = 2379;

  // A DNS name or IPv4 address; IPv6 in brackets.
  private static final Pattern HOST =
      Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|\\[[0-9A-Fa-f:.]+(%[\\w.]+)?]");
  // Labels of a DNS domain, as SkyDNS 2 serves them.
  private static final Pattern DOMAIN = Pattern.compile(
      "([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)(\\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}"
          + "[A-Za-z0-9_])?)*\\.?");

  EtcdUri {
    requireNonNull(kind, "kind");
    endpoints = List.copyOf(endpoints);
    requireNonNull(path, "path");
  }

  /**
   * Parses one URI of the three schemes.
   *
   * @throws IllegalArgumentException naming the URI and the part that is wrong
   */
  static EtcdUri parse(String uri) {
    requireNonNull(uri, "uri");
    int sep = uri.indexOf("://");
    if (sep < 0) {
      throw bad(uri, "expected SCHEME://HOST:PORT/PATH");
    }
    String scheme = uri.substring(0, sep).toLowerCase(Locale.ROOT);
    Kind kind = null;
    for (Kind k : Kind.values()) {
      if (k.scheme.equals(scheme)) {
        kind = k;
      }
    }
    if (kind == null) {
      throw bad(uri, "unknown scheme '" + scheme + "' (etcd, etcd3 or skydns2)");
    }
    String rest = uri.substring(sep + 3);
    if (rest.indexOf('#') >= 0) {
      throw bad(uri, "a fragment (#) means nothing here");
    }
    String query = "";
    int q = rest.indexOf('?');
    if (q >= 0) {
      query = rest.substring(q + 1);
      rest = rest.substring(0, q);
    }
    int slash = rest.indexOf('/');
    String authority = slash < 0 ? rest : rest.substring(0, slash);
    String path = slash < 0 ? "" : rest.substring(slash);
    if (authority.indexOf('@') >= 0) {
      // A password in argv is visible to every user of the host (ps, /proc).
      throw bad(uri, "credentials do not belong in the URI; set ETCDCTL_USER and"
          + " ETCDCTL_PASSWORD or ETCDCTL_PASSWORD_FILE");
    }
    List<String> endpoints = endpoints(uri, authority);
    boolean tls = tls(uri, query);
    while (path.length() > 1 && path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    if (path.equals("/")) {
      path = "";
    }
    return switch (kind) {
      case ETCD, ETCD3 -> new EtcdUri(kind, endpoints, prefix(uri, path), tls);
      case SKYDNS2 -> new EtcdUri(kind, endpoints, domain(uri, path), tls);
    };
  }

  private static List<String> endpoints(String uri, String authority) {
    if (authority.isEmpty()) {
      return List.of(DEFAULT_ENDPOINT);
    }
    List<String> endpoints = new ArrayList<>();
    for (String part : authority.split(",", -1)) {
      String hostPort = part.strip();
      if (hostPort.isEmpty()) {
        throw bad(uri, "empty endpoint in '" + authority + "'");
      }
      String host = hostPort;
      String port = null;
      int colon = hostPort.lastIndexOf(':');
      if (colon >= 0 && colon > hostPort.lastIndexOf(']')) {
        host = hostPort.substring(0, colon);
        port = hostPort.substring(colon + 1);
      }
      if (!HOST.matcher(host).matches()) {
        throw bad(uri, "'" + host + "' is not a host name or address");
      }
      int portNumber = DEFAULT_PORT;
      if (port != null) {
        try {
          portNumber = Integer.parseInt(port);
        } catch (NumberFormatException e) {
          portNumber = -1;
        }
        if (portNumber < 1 || portNumber > 65535) {
          throw bad(uri, "port '" + port + "' of " + host + " is not 1 to 65535");
        }
      }
      String endpoint = host + ":" + portNumber;
      if (endpoints.contains(endpoint)) {
        throw bad(uri, "endpoint " + endpoint + " is listed twice");
      }
      endpoints.add(endpoint);
    }
    return endpoints;
  }

  private static boolean tls(String uri, String query) {
    boolean tls = false;
    if (query.isEmpty()) {
      return false;
    }
    for (String param : query.split("&", -1)) {
      int eq = param.indexOf('=');
      String name = eq < 0 ? param : param.substring(0, eq);
      String value = eq < 0 ? "" : param.substring(eq + 1);
      if (!name.equals("tls")) {
        throw bad(uri, "unknown parameter '" + name + "' (known: tls)");
      }
      tls = switch (value) {
        case "", "true", "1" -> true;
        case "false", "0" -> false;
        default -> throw bad(uri, "parameter tls: '" + value + "' is not true or false");
      };
    }
    return tls;
  }

  private static String prefix(String uri, String path) {
    for (String segment : path.split("/", -1)) {
      if (segment.equals(".") || segment.equals("..")) {
        throw bad(uri, "the prefix must not hold '" + segment + "' segments");
      }
    }
    if (path.contains("//")) {
      throw bad(uri, "the prefix must not hold empty segments ('//')");
    }
    for (int i = 0; i < path.length(); i++) {
      if (Character.isISOControl(path.charAt(i))) {
        throw bad(uri, "the prefix must not hold control characters");
      }
    }
    return path;
  }

  private static String domain(String uri, String path) {
    // Registrator: "dns domain required e.g.: skydns2://<host>/<domain>".
    String domain = path.isEmpty() ? "" : path.substring(1);
    if (domain.isEmpty()) {
      throw bad(uri, "a DNS domain is required, e.g. skydns2://127.0.0.1:2379/skydns.local");
    }
    if (!DOMAIN.matcher(domain).matches() || domain.length() > 253) {
      throw bad(uri, "'" + domain + "' is not a DNS domain");
    }
    return domain.endsWith(".") ? domain.substring(0, domain.length() - 1) : domain;
  }

  private static IllegalArgumentException bad(String uri, String why) {
    return new IllegalArgumentException("sink URI " + uri + ": " + why);
  }

  /** The directory the sink writes under: the prefix, or SkyDNS's reversed domain. */
  String root() {
    if (kind != Kind.SKYDNS2) {
      return path;
    }
    String[] labels = path.split("\\.");
    StringBuilder root = new StringBuilder("/skydns");
    for (int i = labels.length - 1; i >= 0; i--) {
      root.append('/').append(labels[i]);
    }
    return root.toString();
  }

  /** What tells two sinks of one kind apart: {@code a:2379,b:2379/services}. */
  String instance() {
    return String.join(",", endpoints) + (kind == Kind.SKYDNS2 ? "/" + path : path);
  }
}
