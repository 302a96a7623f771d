package io.registrybridge.sink.consul.kv;

import static java.util.Objects.requireNonNull;

import com.google.common.net.HostAndPort;
import io.registrybridge.core.ServiceInstance;
import java.util.Optional;

/**
 * Registrator's consulkv layout: key {@code PREFIX/<name>/<id>}, value {@code ip:port} (Go's
 * {@code net.JoinHostPort}: an IPv6 address in brackets).
 *
 * @param prefix without a leading or trailing {@code /}
 */
record KvLayout(String prefix) {

  /** A key of this layout, split. */
  record KeyParts(String name, String id) {}

  KvLayout {
    requireNonNull(prefix, "prefix");
  }

  /** What a recursive read asks for; the {@code /} keeps {@code folder2/...} out. */
  String readPrefix() {
    return prefix + "/";
  }

  String key(ServiceInstance instance) {
    return prefix + "/" + instance.name() + "/" + instance.id();
  }

  static String value(String address, int port) {
    return HostAndPort.fromParts(address, port).toString();
  }

  /**
   * The name and ID of a key of this layout; empty for any other key under the prefix. The ID is
   * the last segment (an ID never holds a {@code /}), the name everything between.
   */
  Optional<KeyParts> parse(String key) {
    if (!key.startsWith(readPrefix())) {
      return Optional.empty();
    }
    String rest = key.substring(readPrefix().length());
    int slash = rest.lastIndexOf('/');
    if (slash <= 0 || slash == rest.length() - 1) {
      return Optional.empty();
    }
    return Optional.of(new KeyParts(rest.substring(0, slash), rest.substring(slash + 1)));
  }

  /** Why the key of {@code instance} cannot be written, or null when it can. */
  String problemWith(ServiceInstance instance) {
    String problem = problemWithPath(instance.name());
    return problem == null ? null : "service name '" + instance.name() + "': " + problem;
  }

  /**
   * Why {@code path} cannot be part of a key in a request path, or null. Consul's HTTP server
   * (Go's ServeMux) answers a path with an empty, {@code .} or {@code ..} segment with a redirect
   * to the cleaned path, so such a key can never be written; control characters cannot cross a
   * request line. Registrator sent them anyway and failed on every write.
   */
  static String problemWithPath(String path) {
    for (String segment : path.split("/", -1)) {
      if (segment.isEmpty()) {
        return "empty path segment ('//', or a '/' at either end)";
      }
      if (segment.equals(".") || segment.equals("..")) {
        return "path segment '" + segment + "'";
      }
    }
    for (int i = 0; i < path.length(); i++) {
      if (Character.isISOControl(path.charAt(i))) {
        return "control character at position " + i;
      }
    }
    return null;
  }
}
