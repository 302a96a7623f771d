package io.registrybridge.sink.zookeeper;

import io.registrybridge.core.ServiceInstance;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Registrator's ZooKeeper layout (gliderlabs/registrator {@code zookeeper/zookeeper.go}): a
 * persistent node {@code PATH/<name>} with empty data, and under it an ephemeral node {@code
 * <ip>:<port>} whose data is Go's {@code json.Marshal} of {@code ZnodeBody}: the fields {@code
 * Name, IP, PublicPort, PrivatePort, ContainerID, Tags, Attrs} in that order, with Go's escaping
 * (HTML-safe, {@code <>&} as {@code \u003c}...) and map keys sorted.
 *
 * @param serviceNode {@code PATH/<name>}
 * @param path {@code PATH/<name>/<ip>:<port>}
 * @param body the node's data
 */
record RegistratorZnode(String serviceNode, String path, byte[] body) {

  /**
   * The node of one instance.
   *
   * @param base the sink's base path, {@code /} or without a final {@code /}
   * @param address the instance's address, or the sink's default for an empty one
   * @throws IllegalArgumentException when the name or address cannot be one path segment
   */
  static RegistratorZnode of(String base, ServiceInstance instance, String address) {
    String name = instance.name();
    String segmentProblem = segmentProblem(name);
    if (segmentProblem != null) {
      throw new IllegalArgumentException("service name '" + name + "' " + segmentProblem);
    }
    if (address.isEmpty()) {
      throw new IllegalArgumentException("no address (give -ip)");
    }
    String node = address + ":" + instance.port();
    String addressProblem = segmentProblem(node);
    if (addressProblem != null) {
      throw new IllegalArgumentException("address '" + address + "' " + addressProblem);
    }
    // Registrator: basePath := r.path + "/" + name, or r.path + name when the path is "/".
    String serviceNode = ("/".equals(base) ? "/" : base + "/") + name;
    return new RegistratorZnode(serviceNode, serviceNode + "/" + node,
        body(instance, address).getBytes(StandardCharsets.UTF_8));
  }

  // ZooKeeper refuses "." and ".." segments, and a "/" would make another level.
  private static String segmentProblem(String segment) {
    if (segment.contains("/")) {
      return "contains '/', which ZooKeeper reads as another level";
    }
    if (segment.equals(".") || segment.equals("..")) {
      return "is a relative path segment ZooKeeper refuses";
    }
    for (int i = 0; i < segment.length(); i++) {
      char c = segment.charAt(i);
      if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0xd800 && c <= 0xf8ff)
          || (c >= 0xfff0 && c <= 0xffff)) {
        return "contains a character ZooKeeper refuses in a path (U+"
            + String.format("%04X", (int) c) + ")";
      }
    }
    return null;
  }

  /**
   * Go's {@code json.Marshal(ZnodeBody{...})}. {@code ContainerID} was Registrator's {@code
   * Origin.ContainerHostname}, which Docker sets to the short container ID by default; the bridge
   * knows the container by name ({@code docker:<name>} origins), which {@code docker} commands
   * accept wherever they take an ID, so that is what it writes.
   */
  static String body(ServiceInstance instance, String address) {
    StringBuilder json = new StringBuilder(128);
    json.append("{\"Name\":");
    string(json, instance.name());
    json.append(",\"IP\":");
    string(json, address);
    json.append(",\"PublicPort\":").append(instance.port());
    json.append(",\"PrivatePort\":").append(instance.targetPort());
    json.append(",\"ContainerID\":");
    string(json, containerId(instance.origin()));
    json.append(",\"Tags\":");
    strings(json, instance.tags());
    json.append(",\"Attrs\":");
    attrs(json, instance);
    return json.append('}').toString();
  }

  private static String containerId(String origin) {
    return origin.startsWith("docker:") ? origin.substring("docker:".length()) : origin;
  }

  private static void strings(StringBuilder json, List<String> values) {
    json.append('[');
    for (int i = 0; i < values.size(); i++) {
      if (i > 0) {
        json.append(',');
      }
      string(json, values.get(i));
    }
    json.append(']');
  }

  // Registrator's Attrs held every SERVICE_* attribute but name, id and tags; the bridge keeps
  // SERVICE_PROTOCOL apart from its meta, so it is put back under "protocol". The meta is a
  // sorted map of ASCII keys, where Java's order is Go's byte order.
  private static void attrs(StringBuilder json, ServiceInstance instance) {
    Map<String, String> attrs = new java.util.TreeMap<>(instance.meta());
    instance.protocol().ifPresent(p -> attrs.putIfAbsent("protocol", p.spelling()));
    json.append('{');
    boolean first = true;
    for (Map.Entry<String, String> e : attrs.entrySet()) {
      if (!first) {
        json.append(',');
      }
      first = false;
      string(json, e.getKey());
      json.append(':');
      string(json, e.getValue());
    }
    json.append('}');
  }

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  /**
   * A JSON string as Go's encoding/json writes it: {@code \"}, {@code \\}, {@code \n}, {@code \r},
   * {@code \t}; other control characters, {@code <}, {@code >}, {@code &}, U+2028 and U+2029 as
   * {@code \}{@code u00XX}; a lone surrogate (invalid UTF-8 to Go) as U+FFFD; the rest as is.
   */
  static void string(StringBuilder json, String value) {
    json.append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"' -> json.append("\\\"");
        case '\\' -> json.append("\\\\");
        case '\n' -> json.append("\\n");
        case '\r' -> json.append("\\r");
        case '\t' -> json.append("\\t");
        default -> {
          if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == '\u2028' || c == '\u2029') {
            json.append("\\u").append(HEX[c >> 12 & 0xf]).append(HEX[c >> 8 & 0xf])
                .append(HEX[c >> 4 & 0xf]).append(HEX[c & 0xf]);
          } else if (Character.isHighSurrogate(c) && i + 1 < value.length()
              && Character.isLowSurrogate(value.charAt(i + 1))) {
            json.append(c).append(value.charAt(++i));
          } else if (Character.isSurrogate(c)) {
            json.append('\ufffd');
          } else {
            json.append(c);
          }
        }
      }
    }
    json.append('"');
  }
}
