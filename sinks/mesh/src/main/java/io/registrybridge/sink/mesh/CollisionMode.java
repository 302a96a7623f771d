package io.registrybridge.sink.mesh;

import java.util.Locale;

/** What the sink does when hosts would share an opaque TCP listener (see {@link PortCollision}). */
public enum CollisionMode {
  /**
   * Log a warning naming the hosts and the port, and count it; write the entries as they are. The
   * default: it changes nothing about how clients reach services.
   */
  REPORT,
  /**
   * Give every host with an opaque TCP port a stable virtual IP from the configured range, in
   * {@code spec.addresses}, so each gets its own listener {@code <vip>_<port>}. Clients must then
   * dial that address, which Istio's DNS proxy ({@code ISTIO_META_DNS_CAPTURE}) answers for them.
   */
  ALLOCATE;

  /** Parses {@code report} or {@code allocate}, ignoring case. */
  public static CollisionMode parse(String value) {
    return switch (value.toLowerCase(Locale.ROOT)) {
      case "report" -> REPORT;
      case "allocate" -> ALLOCATE;
      default -> throw new IllegalArgumentException(
          "unknown collision mode '" + value + "' (expected report or allocate)");
    };
  }
}
