package io.registrybridge.source.kubernetes;

import io.registrybridge.core.Protocol;
import io.registrybridge.core.Transport;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What a Kubernetes Service port says about its application protocol, by Istio's rules
 * ({@code pkg/config/kube/conversion.go} and {@code pkg/config/protocol}), so that the mesh and
 * Consul see the protocol Istio itself would infer for the same port.
 */
final class PortProtocols {
  /** {@code appProtocol} values Kubernetes defines (KEP-3726); others are parsed by name. */
  private static final Map<String, Protocol> KUBERNETES_APP_PROTOCOLS = Map.of(
      "kubernetes.io/h2c", Protocol.HTTP2,
      "kubernetes.io/ws", Protocol.HTTP,
      "kubernetes.io/wss", Protocol.HTTPS);

  private PortProtocols() {}

  /**
   * The protocol of a port's {@code appProtocol}: Kubernetes' own values, else one of {@link
   * Protocol}'s names in any case ({@code HTTP}, {@code grpc}); empty for anything else.
   */
  static Optional<Protocol> fromAppProtocol(String appProtocol) {
    if (appProtocol == null || appProtocol.isBlank()) {
      return Optional.empty();
    }
    String value = appProtocol.trim().toLowerCase(Locale.ROOT);
    Protocol known = KUBERNETES_APP_PROTOCOLS.get(value);
    return known != null ? Optional.of(known) : Protocol.parse(value);
  }

  /**
   * Istio's port-name convention: {@code grpc-web} first (its prefix would otherwise read as
   * {@code grpc}), then the part before the first {@code -}, case-insensitively ({@code
   * http-api}, {@code HTTP2}, {@code tcp-db}); empty for other names.
   */
  static Optional<Protocol> fromPortName(String name) {
    if (name == null || name.isBlank()) {
      return Optional.empty();
    }
    String lower = name.toLowerCase(Locale.ROOT);
    if (lower.startsWith("grpc-web")) {
      return Optional.of(Protocol.GRPC_WEB);
    }
    int dash = lower.indexOf('-');
    String prefix = dash < 0 ? lower : lower.substring(0, dash);
    return Protocol.parse(prefix);
  }

  /**
   * The inferred protocol of a port without our annotation: a UDP port is always {@code udp};
   * else {@code appProtocol}, else the port name, else unknown. An {@code appProtocol} or name
   * that names a protocol which cannot run over the port's transport is not used.
   */
  static Optional<Protocol> infer(Transport transport, String appProtocol, String portName) {
    if (transport == Transport.UDP) {
      return Optional.of(Protocol.UDP);
    }
    Optional<Protocol> fromApp = fromAppProtocol(appProtocol).filter(p -> p.fits(transport));
    return fromApp.isPresent() ? fromApp
        : fromPortName(portName).filter(p -> p.fits(transport));
  }
}
