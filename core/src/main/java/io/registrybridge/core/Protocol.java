package io.registrybridge.core;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The application protocol of a port: the one vocabulary shared by every source and sink.
 *
 * <p>The names are Istio's port protocols ({@code pkg/config/protocol}), which include Consul's
 * service-mesh protocols ({@code tcp}, {@code http}, {@code http2}, {@code grpc}). Sources parse
 * users' spellings with {@link #parse}; Consul gets {@link #spelling()} as {@code Meta.protocol},
 * the mesh gets {@link #istioName()} as the ServiceEntry port protocol.
 */
public enum Protocol {
  HTTP("http", false),
  HTTP2("http2", false),
  HTTPS("https", false),
  GRPC("grpc", false),
  GRPC_WEB("grpc-web", false),
  HTTP_PROXY("http_proxy", false),
  TCP("tcp", true),
  TLS("tls", false),
  UDP("udp", false),
  MONGO("mongo", true),
  MYSQL("mysql", true),
  REDIS("redis", true);

  private final String spelling;
  private final boolean opaqueTcp;

  Protocol(String spelling, boolean opaqueTcp) {
    this.spelling = spelling;
    this.opaqueTcp = opaqueTcp;
  }

  /** The lower-case name users write and Consul stores: {@code http}, {@code grpc-web}. */
  public String spelling() {
    return spelling;
  }

  /** The spelling of a ServiceEntry's {@code spec.ports[].protocol}: {@code HTTP}. */
  public String istioName() {
    return spelling.toUpperCase(Locale.ROOT);
  }

  /**
   * Whether a mesh proxy cannot tell two hosts apart on this port: no Host header (HTTP) and no
   * SNI (TLS, HTTPS). Without {@code addresses}, Istio builds one listener {@code
   * 0.0.0.0_<port>} for such a port, shared by every host that declares it.
   */
  public boolean opaqueTcp() {
    return opaqueTcp;
  }

  /**
   * Whether this protocol can run over {@code transport}: only {@code udp} fits a UDP port, and
   * {@code udp} fits only a UDP port; anything else would make a proxy carry one as the other.
   */
  public boolean fits(Transport transport) {
    return (transport == Transport.UDP) == (this == UDP);
  }

  /** The protocol {@code value} names, case-insensitively and trimmed; empty when none. */
  public static Optional<Protocol> parse(String value) {
    if (value == null) {
      return Optional.empty();
    }
    String wanted = value.trim();
    for (Protocol protocol : values()) {
      if (protocol.spelling.equalsIgnoreCase(wanted)) {
        return Optional.of(protocol);
      }
    }
    return Optional.empty();
  }

  /** Every spelling, for error messages: {@code http, http2, ...}. */
  public static String describeAll() {
    return Arrays.stream(values()).map(Protocol::spelling).collect(Collectors.joining(", "));
  }

  @Override
  public String toString() {
    return spelling;
  }
}
