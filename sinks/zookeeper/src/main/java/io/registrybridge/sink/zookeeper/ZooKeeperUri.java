package io.registrybridge.sink.zookeeper;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.zookeeper.common.PathUtils;

/**
 * A parsed {@code zookeeper://HOST[:PORT][,HOST[:PORT]...]/PATH[?PARAMS]}.
 *
 * @param connectString ZooKeeper's connect string, every host with its port ({@value
 *     #DEFAULT_PORT} when none was given, as Registrator's Go client did)
 * @param path the base path, {@code /} or without a final {@code /}
 * @param sessionTimeout the session's timeout: how long the ephemeral nodes outlive a bridge that
 *     stopped answering (Registrator: 10 s)
 * @param connectTimeout how long one call waits for a connection before the sink reports its
 *     control plane unreachable
 */
public record ZooKeeperUri(String connectString, String path, Duration sessionTimeout,
    Duration connectTimeout) {

  public static final String SCHEME = "zookeeper";
  public static final int DEFAULT_PORT = 2181;
  public static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofSeconds(10);
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);

  private static final Pattern HOST_PORT =
      Pattern.compile("(\\[[0-9A-Fa-f:.]+]|[A-Za-z0-9._-]+)(?::([0-9]{1,5}))?");
  private static final Pattern DURATION = Pattern.compile("([0-9]{1,9})(ms|s|m)");

  public ZooKeeperUri {
    requireNonNull(connectString, "connectString");
    requireNonNull(path, "path");
    requireNonNull(sessionTimeout, "sessionTimeout");
    requireNonNull(connectTimeout, "connectTimeout");
  }

  /** What tells two ZooKeeper sinks apart: {@code zk1:2181,zk2:2181/services}. */
  public String instance() {
    return connectString + path;
  }

  /**
   * Parses and validates one URI.
   *
   * @throws IllegalArgumentException naming the URI and what is wrong with it
   */
  public static ZooKeeperUri parse(String uri) {
    String prefix = SCHEME + "://";
    if (!uri.regionMatches(true, 0, prefix, 0, prefix.length())) {
      throw bad(uri, "expected zookeeper://HOST:PORT/PATH");
    }
    // Several hosts (and IPv6 ones among them) are no authority to java.net.URI: the hosts are
    // split off by hand, the rest is parsed as a URI's path, query and fragment.
    String rest = uri.substring(prefix.length());
    int end = 0;
    while (end < rest.length() && "/?#".indexOf(rest.charAt(end)) < 0) {
      end++;
    }
    String authority = rest.substring(0, end);
    if (authority.isEmpty()) {
      throw bad(uri, "no host (expected zookeeper://HOST:PORT/PATH)");
    }
    if (authority.contains("@")) {
      throw bad(uri, "user information is not supported");
    }
    URI parsed;
    try {
      parsed = new URI(SCHEME + "://host" + rest.substring(end));
    } catch (URISyntaxException e) {
      throw bad(uri, "not a URI: " + e.getReason());
    }
    if (parsed.getRawFragment() != null) {
      throw bad(uri, "a fragment (#...) is not supported");
    }
    String connectString = connectString(uri, authority);
    String path = basePath(uri, parsed.getPath());
    Duration sessionTimeout = DEFAULT_SESSION_TIMEOUT;
    Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    for (Map.Entry<String, String> param : query(uri, parsed.getRawQuery()).entrySet()) {
      switch (param.getKey()) {
        case "session-timeout" -> sessionTimeout = duration(uri, param);
        case "connect-timeout" -> connectTimeout = duration(uri, param);
        default -> throw bad(uri, "unknown parameter '" + param.getKey()
            + "' (known: session-timeout, connect-timeout)");
      }
    }
    return new ZooKeeperUri(connectString, path, sessionTimeout, connectTimeout);
  }

  private static String connectString(String uri, String authority) {
    List<String> hosts = new ArrayList<>();
    for (String part : authority.split(",", -1)) {
      Matcher m = HOST_PORT.matcher(part);
      if (!m.matches()) {
        throw bad(uri, "'" + part + "' is not HOST or HOST:PORT");
      }
      int port = DEFAULT_PORT;
      if (m.group(2) != null) {
        port = Integer.parseInt(m.group(2));
        if (port < 1 || port > 65535) {
          throw bad(uri, "port " + port + " of '" + part + "' is out of range");
        }
      }
      hosts.add(m.group(1).toLowerCase(Locale.ROOT) + ":" + port);
    }
    return String.join(",", hosts);
  }

  // Registrator took the URI's path as it was; "" and "/" both put services at the root. A
  // final "/" would make every path "//"-invalid there, so it is dropped here.
  private static String basePath(String uri, String rawPath) {
    String path = rawPath == null || rawPath.isEmpty() ? "/" : rawPath;
    if (path.length() > 1 && path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    try {
      PathUtils.validatePath(path);
    } catch (IllegalArgumentException e) {
      throw bad(uri, "the path '" + path + "' is not a ZooKeeper path: " + e.getMessage());
    }
    return path;
  }

  private static Map<String, String> query(String uri, String rawQuery) {
    Map<String, String> params = new LinkedHashMap<>();
    if (rawQuery == null || rawQuery.isEmpty()) {
      return params;
    }
    for (String pair : rawQuery.split("&")) {
      int eq = pair.indexOf('=');
      String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq),
          StandardCharsets.UTF_8);
      String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1),
          StandardCharsets.UTF_8);
      if (params.put(key, value) != null) {
        throw bad(uri, "parameter '" + key + "' given twice");
      }
    }
    return params;
  }

  private static Duration duration(String uri, Map.Entry<String, String> param) {
    Matcher m = DURATION.matcher(param.getValue());
    if (!m.matches()) {
      throw bad(uri, param.getKey() + "='" + param.getValue()
          + "' is not a duration such as 500ms, 10s or 1m");
    }
    long amount = Long.parseLong(m.group(1));
    Duration d = switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(amount);
      case "s" -> Duration.ofSeconds(amount);
      default -> Duration.ofMinutes(amount);
    };
    if (d.toMillis() < 100 || d.toMillis() > Integer.MAX_VALUE) {
      throw bad(uri, param.getKey() + "='" + param.getValue()
          + "' is out of range (100ms or more)");
    }
    return d;
  }

  private static IllegalArgumentException bad(String uri, String problem) {
    return new IllegalArgumentException("sink URI " + uri + ": " + problem);
  }
}
