package io.registrybridge.source.kubernetes;

import io.fabric8.kubernetes.api.model.EndpointAddress;
import io.fabric8.kubernetes.api.model.EndpointPort;
import io.fabric8.kubernetes.api.model.EndpointSubset;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.LoadBalancerIngress;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.registrybridge.core.Transport;
import io.registrybridge.source.kubernetes.ServiceView.PortView;
import io.registrybridge.source.kubernetes.SliceView.EndpointView;
import io.registrybridge.source.kubernetes.SliceView.SlicePort;
import io.registrybridge.source.kubernetes.SliceView.TargetRef;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** fabric8's objects to the views the normalizer reads; null-safe, as hand-made objects vary. */
final class KubernetesObjects {
  /** The label that ties an EndpointSlice to its Service. */
  static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

  private KubernetesObjects() {}

  static ServiceView service(Service service) {
    ServiceSpec spec = service.getSpec() == null ? new ServiceSpec() : service.getSpec();
    List<PortView> ports = new ArrayList<>();
    for (ServicePort port : orEmpty(spec.getPorts())) {
      String protocol = port.getProtocol() == null ? "TCP" : port.getProtocol();
      ports.add(new PortView(Objects.requireNonNullElse(port.getName(), ""),
          port.getPort() == null ? 0 : port.getPort(), transport(protocol), protocol,
          port.getAppProtocol(), port.getNodePort() == null ? 0 : port.getNodePort()));
    }
    List<String> ingress = new ArrayList<>();
    if (service.getStatus() != null && service.getStatus().getLoadBalancer() != null) {
      for (LoadBalancerIngress entry : orEmpty(service.getStatus().getLoadBalancer()
          .getIngress())) {
        String address = notBlank(entry.getIp()).orElse(notBlank(entry.getHostname())
            .orElse(null));
        if (address != null) {
          ingress.add(address);
        }
      }
    }
    return new ServiceView(service.getMetadata().getNamespace(),
        service.getMetadata().getName(), spec.getType(),
        orEmpty(service.getMetadata().getAnnotations()), ports,
        orEmpty(spec.getExternalIPs()), ingress);
  }

  static SliceView slice(EndpointSlice slice) {
    List<SlicePort> ports = new ArrayList<>();
    for (var port : orEmpty(slice.getPorts())) {
      transport(port.getProtocol() == null ? "TCP" : port.getProtocol()).ifPresent(t ->
          ports.add(new SlicePort(port.getName(), port.getPort() == null ? 0 : port.getPort(),
              t)));
    }
    List<EndpointView> endpoints = new ArrayList<>();
    for (Endpoint endpoint : orEmpty(slice.getEndpoints())) {
      endpoints.add(new EndpointView(orEmpty(endpoint.getAddresses()),
          ready(endpoint.getConditions()), notBlank(endpoint.getNodeName()),
          notBlank(endpoint.getZone()), targetRef(endpoint.getTargetRef())));
    }
    return new SliceView(slice.getMetadata().getName(), ports, endpoints);
  }

  /**
   * A v1 Endpoints object as slices, one per subset: only {@code addresses} (the ready ones);
   * {@code notReadyAddresses} are left out.
   */
  static List<SliceView> slices(Endpoints endpoints) {
    List<SliceView> slices = new ArrayList<>();
    List<EndpointSubset> subsets = orEmpty(endpoints.getSubsets());
    for (int i = 0; i < subsets.size(); i++) {
      EndpointSubset subset = subsets.get(i);
      List<SlicePort> ports = new ArrayList<>();
      for (EndpointPort port : orEmpty(subset.getPorts())) {
        transport(port.getProtocol() == null ? "TCP" : port.getProtocol()).ifPresent(t ->
            ports.add(new SlicePort(port.getName(), port.getPort() == null ? 0
                : port.getPort(), t)));
      }
      List<EndpointView> ready = new ArrayList<>();
      for (EndpointAddress address : orEmpty(subset.getAddresses())) {
        ready.add(new EndpointView(List.of(address.getIp()), true,
            notBlank(address.getNodeName()), Optional.empty(),
            targetRef(address.getTargetRef())));
      }
      slices.add(new SliceView(endpoints.getMetadata().getName() + "#" + i, ports, ready));
    }
    return slices;
  }

  /**
   * Ready for new connections: {@code ready} not false and not terminating. A terminating Pod
   * may still be {@code serving} its open connections; it leaves the registry all the same.
   */
  private static boolean ready(EndpointConditions conditions) {
    if (conditions == null) {
      return true;
    }
    return !Boolean.FALSE.equals(conditions.getReady())
        && !Boolean.TRUE.equals(conditions.getTerminating());
  }

  private static Optional<TargetRef> targetRef(ObjectReference ref) {
    if (ref == null || ref.getKind() == null || ref.getName() == null) {
      return Optional.empty();
    }
    return Optional.of(new TargetRef(ref.getKind(), ref.getNamespace(), ref.getName()));
  }

  private static Optional<Transport> transport(String protocol) {
    return switch (protocol.toUpperCase(Locale.ROOT)) {
      case "TCP" -> Optional.of(Transport.TCP);
      case "UDP" -> Optional.of(Transport.UDP);
      default -> Optional.empty();
    };
  }

  private static Optional<String> notBlank(String value) {
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(value);
  }

  private static <T> List<T> orEmpty(List<T> list) {
    return list == null ? List.of() : list;
  }

  private static Map<String, String> orEmpty(Map<String, String> map) {
    return map == null ? Map.of() : map;
  }
}
