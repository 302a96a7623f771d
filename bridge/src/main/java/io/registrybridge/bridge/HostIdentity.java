package io.registrybridge.bridge;

/**
 * The {@code <hostname>} of service IDs when neither {@code -hostname} nor a source (the Docker
 * engine's name) gives one.
 */
final class HostIdentity {
  private HostIdentity() {}

  /**
   * This host's name, for a daemon that watches no Docker engine: {@code HOSTNAME} (a Pod's
   * name), else what the system resolver says, else {@code localhost}.
   */
  static String localName(java.util.Map<String, String> env) {
    String name = env.get("HOSTNAME");
    if (name != null && !name.isBlank()) {
      return name.trim();
    }
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      return "localhost";
    }
  }

}
