package io.registrybridge.core;

/** The transport protocol of a port; Docker publishes ports per transport ({@code 53/udp}). */
public enum Transport {
  TCP,
  UDP;

  /** Parses Docker's spelling ({@code tcp}, {@code udp}); SCTP and others are not supported. */
  public static Transport parse(String value) {
    return switch (value.toLowerCase(java.util.Locale.ROOT)) {
      case "tcp" -> TCP;
      case "udp" -> UDP;
      default -> throw new IllegalArgumentException("unsupported transport: " + value);
    };
  }
}
