package io.registrybridge.sink.etcd;

import static java.util.Objects.requireNonNull;

import io.registrybridge.core.ServiceInstance;

/**
 * Registrator's data layout: where a service goes and what it holds, byte for byte.
 *
 * <ul>
 *   <li>{@code etcd://}, {@code etcd3://} (Registrator's {@code etcd/etcd.go}): key {@code
 *       PREFIX/<name>/<id>}, value {@code net.JoinHostPort(ip, port)}, i.e. {@code ip:port} or
 *       {@code [v6]:port};
 *   <li>{@code skydns2://} ({@code skydns2/skydns2.go}): key {@code /skydns/<domain labels
 *       reversed>/<name>/<id>}, value {@code {"host":"<ip>","port":<port>}}, built by string
 *       concatenation as Registrator does (so an IPv6 address has no brackets).
 * </ul>
 *
 * @param skydns whether values are SkyDNS 2 records
 * @param root the directory everything goes under ({@link EtcdUri#root()})
 * @param v2 whether the store is etcd's v2 keys API, where a name starting with {@code _} is a
 *     hidden node that directory listings leave out
 */
record Layout(boolean skydns, String root, boolean v2) {

  /** A key below the root, split. */
  record Parsed(String name, String id) {}

  Layout {
    requireNonNull(root, "root");
  }

  String key(ServiceInstance instance) {
    return root + "/" + instance.name() + "/" + instance.id();
  }

  String value(ServiceInstance instance) {
    if (skydns) {
      return "{\"host\":\"" + jsonText(instance.address()) + "\",\"port\":" + instance.port()
          + "}";
    }
    String address = instance.address();
    return (address.indexOf(':') >= 0 ? "[" + address + "]" : address) + ":" + instance.port();
  }

  /** Why this instance cannot be written, or null. */
  String problem(ServiceInstance instance) {
    String name = instance.name();
    if (name.indexOf('/') >= 0) {
      return "the service name holds '/', which would nest the key a level deeper";
    }
    if (name.equals(".") || name.equals("..")) {
      return "the service name '" + name + "' is a path segment of its own";
    }
    for (int i = 0; i < name.length(); i++) {
      if (Character.isISOControl(name.charAt(i))) {
        return "the service name holds a control character";
      }
    }
    if (v2 && (name.startsWith("_") || instance.id().startsWith("_"))) {
      return "a name or ID starting with '_' is a hidden node in etcd's v2 API, which readers"
          + " never list";
    }
    if (instance.address().isEmpty()) {
      // Consul falls back to its agent's address; etcd has none, and Registrator wrote its own
      // host name's resolution, which is wrong whenever it does not run with --net=host.
      return "the service has no address (set -ip, or use -internal)";
    }
    return null;
  }

  /** Splits a key {@code root/<name>/<id>}; null for any other key below the root. */
  Parsed parse(String key) {
    if (!key.startsWith(root + "/")) {
      return null;
    }
    String rest = key.substring(root.length() + 1);
    int slash = rest.indexOf('/');
    if (slash <= 0 || slash == rest.length() - 1 || rest.indexOf('/', slash + 1) >= 0) {
      return null;
    }
    return new Parsed(rest.substring(0, slash), rest.substring(slash + 1));
  }

  // Addresses never need escaping; this keeps a strange one (-useIpFromLabel) valid JSON.
  private static String jsonText(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }
}
