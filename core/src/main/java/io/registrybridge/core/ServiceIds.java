package io.registrybridge.core;

/**
 * The rules a {@link ServiceInstance#id()} obeys, so that every sink can use it as a key and in a
 * URL path.
 *
 * <p>Consul's agent API puts the ID into the request path ({@code
 * /v1/agent/service/deregister/:id}), and its HTTP client (Retrofit) refuses {@code .} and {@code
 * ..} as path segments before a request is even sent; a {@code /} would be read as a path
 * separator by proxies in between; control characters cannot cross an HTTP request line or a
 * file name. Such an ID would fail on every write, forever, so a source rejects it where it is
 * written, naming the container or object, and the instance is left out.
 */
public final class ServiceIds {
  /**
   * The longest ID accepted. Consul itself sets no limit, but the ID travels in URL paths, in the
   * mesh's endpoint labels and in log lines; 256 characters leaves room for Registrator's {@code
   * <host>:<container>:<port>:udp} with a 64-character host and a 128-character container name.
   */
  public static final int MAX_LENGTH = 256;

  private ServiceIds() {}

  /** Why {@code id} cannot be used as a service ID, or null when it can. */
  public static String problemWith(String id) {
    if (id == null || id.isBlank()) {
      return "service id must not be empty";
    }
    if (id.equals(".") || id.equals("..")) {
      return "service id must not be '" + id + "' (a URL path segment of its own)";
    }
    if (id.length() > MAX_LENGTH) {
      return "service id longer than " + MAX_LENGTH + " characters (" + id.length() + ")";
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (c == '/') {
        return "service id must not contain '/'";
      }
      if (Character.isISOControl(c)) {
        return "service id must not contain control characters";
      }
    }
    return null;
  }

  /** Whether {@code id} can be used as a service ID. */
  public static boolean valid(String id) {
    return problemWith(id) == null;
  }
}
