package io.registrybridge.source.docker;

import io.registrybridge.core.Transport;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The application protocols a service may declare with {@code SERVICE_PROTOCOL}: the names both
 * sinks understand. Consul's service mesh knows {@code tcp}, {@code http}, {@code http2} and
 * {@code grpc}; Istio's port protocols add {@code https}, {@code tls}, {@code grpc-web}, {@code
 * mongo}, {@code mysql}, {@code redis} and {@code udp}. Registrator had no protocol attribute; it
 * only ended up in its attributes.
 */
final class Protocols {
  /** Every accepted name, lower case. */
  static final Set<String> KNOWN = Set.of("http", "http2", "https", "grpc", "grpc-web", "tcp",
      "tls", "udp", "mongo", "mysql", "redis");

  private Protocols() {}

  /** The lower-cased protocol when {@code value} names a known one. */
  static Optional<String> known(String value) {
    String p = value.trim().toLowerCase(Locale.ROOT);
    return KNOWN.contains(p) ? Optional.of(p) : Optional.empty();
  }

  /**
   * Whether {@code protocol} can run over {@code transport}: only {@code udp} fits a UDP port and
   * {@code udp} fits only a UDP port; anything else would make the mesh proxy one transport as
   * the other.
   */
  static boolean fits(String protocol, Transport transport) {
    return (transport == Transport.UDP) == protocol.equals("udp");
  }

  static String describeKnown() {
    return "http, http2, https, grpc, grpc-web, tcp, tls, udp, mongo, mysql, redis";
  }
}
