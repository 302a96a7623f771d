package io.registrybridge.sink.mesh;

import java.util.Locale;
import java.util.Optional;

/**
 * The port protocols a ServiceEntry may declare, as Istio spells them ({@code
 * pkg/config/protocol}). UDP is missing on purpose: Istio's proxies do not carry it, and
 * HTTP_PROXY only means something on a Sidecar egress listener.
 */
enum MeshProtocol {
  HTTP("HTTP", false),
  HTTP2("HTTP2", false),
  GRPC("GRPC", false),
  GRPC_WEB("GRPC-WEB", false),
  HTTPS("HTTPS", false),
  TLS("TLS", false),
  TCP("TCP", true),
  MONGO("MONGO", true),
  MYSQL("MYSQL", true),
  REDIS("REDIS", true);

  private final String istioName;
  private final boolean opaqueTcp;

  MeshProtocol(String istioName, boolean opaqueTcp) {
    this.istioName = istioName;
    this.opaqueTcp = opaqueTcp;
  }

  /** The spelling in {@code spec.ports[].protocol}. */
  String istioName() {
    return istioName;
  }

  /** The first part of a port name, {@code http} in {@code http-9080}. */
  String portNamePrefix() {
    return istioName.toLowerCase(Locale.ROOT);
  }

  /**
   * Whether the proxy cannot tell two hosts apart on this port: no Host header (HTTP) and no SNI
   * (TLS, HTTPS). Without {@code addresses}, Istio builds one listener {@code 0.0.0.0_<port>} for
   * such a port, shared by every host that declares it, and all traffic goes to one of them.
   */
  boolean opaqueTcp() {
    return opaqueTcp;
  }

  /** Parses a source's lower-case protocol; empty for values Istio does not know. */
  static Optional<MeshProtocol> parse(String value) {
    for (MeshProtocol protocol : values()) {
      if (protocol.istioName.equalsIgnoreCase(value)) {
        return Optional.of(protocol);
      }
    }
    return Optional.empty();
  }
}
