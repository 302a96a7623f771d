package io.registrybridge.source.kubernetes;

import static java.util.Objects.requireNonNull;

import io.registrybridge.core.Transport;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the normalizer reads of a Service: only these fields, so tests build it directly and no
 * other field can change the outcome.
 *
 * @param type {@code ClusterIP}, {@code NodePort}, {@code LoadBalancer} or {@code ExternalName}
 * @param loadBalancerIngress the ingress IP, else its hostname, of every load balancer entry
 */
record ServiceView(String namespace, String name, String type, Map<String, String> annotations,
    List<PortView> ports, List<String> externalIps, List<String> loadBalancerIngress) {

  /**
   * A Service port.
   *
   * @param name empty for the one unnamed port
   * @param transport empty for a protocol the bridge does not carry (SCTP)
   * @param nodePort 0 when none is allocated
   */
  record PortView(String name, int port, Optional<Transport> transport, String protocolName,
      String appProtocol, int nodePort) {
    PortView {
      requireNonNull(name, "name");
      requireNonNull(transport, "transport");
      requireNonNull(protocolName, "protocolName");
      appProtocol = appProtocol == null ? "" : appProtocol;
    }
  }

  ServiceView {
    requireNonNull(namespace, "namespace");
    requireNonNull(name, "name");
    type = type == null || type.isBlank() ? "ClusterIP" : type;
    annotations = Map.copyOf(annotations);
    ports = List.copyOf(ports);
    externalIps = List.copyOf(externalIps);
    loadBalancerIngress = List.copyOf(loadBalancerIngress);
  }

  /** {@code namespace/name}, the Service's key in logs and in the source's maps. */
  String key() {
    return namespace + "/" + name;
  }
}
