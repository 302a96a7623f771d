package io.registrybridge.sink.mesh;

import static java.util.Objects.requireNonNull;

import io.registrybridge.core.DesiredState;
import io.registrybridge.core.Protocol;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.Transport;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Turns a {@link DesiredState} into validated ServiceEntry models and reports. Pure: no I/O, no
 * clock, no logging; the same input always gives the same output, which is what makes the content
 * hash a reliable "nothing changed" test for both transports.
 *
 * <p>The rules, in the order they apply:
 *
 * <ol>
 *   <li>Instances are grouped by host {@code <name>.<domain>}; the name is lower-cased with '_'
 *       and '.' turned into '-', and a name that still is no DNS label is rejected.
 *   <li>UDP instances are skipped (ServiceEntry cannot carry UDP); so are instances with a
 *       protocol Istio does not know, without a port, or without an IP address (STATIC
 *       endpoints need one).
 *   <li>One service port per protocol: the instances' {@link ServiceInstance#targetPort()} (the
 *       container port, which every replica shares even when Docker publishes each on another
 *       host port), the lowest one if they differ; every endpoint whose own port differs maps
 *       the service port to it. Two protocols on
 *       one port number make the service invalid: a port has one protocol.
 *   <li>Instances at the same address with the same labels share one endpoint, which then serves
 *       several ports; otherwise every instance is an endpoint of its own.
 *   <li>The collision guard looks at opaque TCP ports across hosts (see {@link CollisionMode}).
 *   <li>Every entry passes {@link ServiceEntryValidator}, or is held back with a report.
 * </ol>
 */
final class ServiceEntryConverter {
  private static final String KNOWN_PROTOCOLS =
      "http, http2, grpc, grpc-web, https, tls, tcp, mongo, mysql, redis";

  /**
   * Whether a ServiceEntry port can declare this protocol: not UDP (Istio's proxies do not carry
   * it), not HTTP_PROXY (it only means something on a Sidecar's egress listener).
   */
  static boolean declarable(Protocol protocol) {
    return protocol != Protocol.UDP && protocol != Protocol.HTTP_PROXY;
  }

  private final MeshSinkConfig config;
  private final VirtualIpAllocator allocator;

  ServiceEntryConverter(MeshSinkConfig config) {
    this.config = requireNonNull(config, "config");
    this.allocator = new VirtualIpAllocator(VirtualIpRange.parse(config.virtualIpRange()));
  }

  /** The object name of the entry for {@code host}: the host itself, a valid DNS subdomain. */
  static String objectName(String host) {
    return host;
  }

  /**
   * Converts {@code desired}.
   *
   * @param currentAddresses the virtual IP each host has in the control plane now, so that
   *     allocation keeps it (see {@link VirtualIpAllocator})
   */
  Conversion convert(DesiredState desired, Map<String, String> currentAddresses) {
    List<MeshReport> reports = new ArrayList<>();
    SortedMap<String, List<ServiceInstance>> byHost = new TreeMap<>();
    SortedMap<String, SortedSet<String>> namesByHost = new TreeMap<>();
    Set<String> badNames = new TreeSet<>();
    for (ServiceInstance instance : desired.services().values()) {
      String label;
      try {
        label = KubernetesNames.hostLabelOf(instance.name());
      } catch (IllegalArgumentException e) {
        if (badNames.add(instance.name())) {
          reports.add(new MeshReport(MeshReport.Kind.INVALID_SERVICE, instance.name(),
              e.getMessage() + "; no ServiceEntry is written for it"));
        }
        continue;
      }
      String host = label + "." + config.domain();
      byHost.computeIfAbsent(host, h -> new ArrayList<>()).add(instance);
      namesByHost.computeIfAbsent(host, h -> new TreeSet<>()).add(instance.name());
    }

    SortedMap<String, ServiceEntryModel> entries = new TreeMap<>();
    SortedSet<String> held = new TreeSet<>();
    for (Map.Entry<String, List<ServiceInstance>> e : byHost.entrySet()) {
      String host = e.getKey();
      SortedSet<String> names = namesByHost.get(host);
      String service = names.first();
      if (names.size() > 1) {
        reports.add(new MeshReport(MeshReport.Kind.MERGED_NAMES, String.join(",", names),
            "service names " + String.join(", ", names) + " all map to host " + host
                + "; their instances are merged into one ServiceEntry"));
      }
      Optional<ServiceEntryModel> entry =
          build(host, host.substring(0, host.indexOf('.')), service, e.getValue(), reports);
      if (entry.isPresent()) {
        entries.put(entry.get().name(), entry.get());
      } else if (e.getValue().stream().anyMatch(i -> i.transport() != Transport.UDP)) {
        held.add(objectName(host));
      }
    }

    List<PortCollision> collisions = new ArrayList<>();
    if (config.collisionMode() == CollisionMode.ALLOCATE) {
      allocate(entries, currentAddresses, reports);
    }
    detectCollisions(entries, collisions, reports);

    for (ServiceEntryModel entry : List.copyOf(entries.values())) {
      List<String> problems = ServiceEntryValidator.problems(entry);
      if (!problems.isEmpty()) {
        entries.remove(entry.name());
        held.add(entry.name());
        reports.add(new MeshReport(MeshReport.Kind.INVALID_SERVICE, entry.service(),
            "service '" + entry.service() + "': the ServiceEntry for " + entry.host()
                + " would be invalid (" + String.join("; ", problems) + "); it is not written"));
      }
    }
    return new Conversion(entries, held, reports, collisions);
  }

  /** One service's entry; empty when no instance can be an endpoint or the ports conflict. */
  private Optional<ServiceEntryModel> build(String host, String hostLabel, String service,
      List<ServiceInstance> instances, List<MeshReport> reports) {
    Map<Protocol, List<ServiceInstance>> groups = new EnumMap<>(Protocol.class);
    for (ServiceInstance instance : instances) {
      Optional<String> skip = skipReason(instance);
      if (skip.isPresent()) {
        MeshReport.Kind kind = instance.transport() == Transport.UDP
            ? MeshReport.Kind.SKIPPED_UDP : MeshReport.Kind.SKIPPED_INSTANCE;
        reports.add(new MeshReport(kind, service, "service '" + service + "': instance "
            + describe(instance) + " skipped: " + skip.get()));
        continue;
      }
      Protocol protocol = instance.protocol().orElse(Protocol.TCP);
      groups.computeIfAbsent(protocol, p -> new ArrayList<>()).add(instance);
    }
    if (groups.isEmpty()) {
      return Optional.empty();
    }

    Map<Protocol, ServiceEntryModel.Port> portOf = new EnumMap<>(Protocol.class);
    SortedMap<Integer, List<Protocol>> protocolsByNumber = new TreeMap<>();
    groups.forEach((protocol, group) -> {
      int number = group.stream().mapToInt(ServiceInstance::targetPort).min().orElseThrow();
      portOf.put(protocol, ServiceEntryModel.Port.of(number, protocol));
      protocolsByNumber.computeIfAbsent(number, n -> new ArrayList<>()).add(protocol);
    });
    for (Map.Entry<Integer, List<Protocol>> e : protocolsByNumber.entrySet()) {
      if (e.getValue().size() > 1) {
        String declared = e.getValue().stream()
            .map(p -> p.istioName() + " by " + groups.get(p).stream()
                .filter(i -> portOf.get(p).number() == e.getKey())
                .map(ServiceEntryConverter::describe).collect(Collectors.joining(", ")))
            .collect(Collectors.joining(" and as "));
        reports.add(new MeshReport(MeshReport.Kind.INVALID_SERVICE, service, "service '"
            + service + "': port " + e.getKey() + " is declared as " + declared
            + "; a port has one protocol, so no ServiceEntry is written for " + host));
        return Optional.empty();
      }
    }

    List<EndpointDraft> drafts = new ArrayList<>();
    for (Map.Entry<Protocol, List<ServiceInstance>> group : groups.entrySet()) {
      ServiceEntryModel.Port port = portOf.get(group.getKey());
      for (ServiceInstance instance : group.getValue()) {
        EndpointLabels.Result labels = EndpointLabels.of(hostLabel, instance.tags(),
            instance.meta());
        for (String dropped : labels.dropped()) {
          reports.add(new MeshReport(MeshReport.Kind.DROPPED_LABEL, service,
              "service '" + service + "': instance " + describe(instance) + ": " + dropped));
        }
        EndpointDraft draft = drafts.stream()
            .filter(d -> d.address.equals(instance.address()) && d.labels.equals(labels.labels())
                && !d.served.contains(port.name()))
            .findFirst().orElse(null);
        if (draft == null) {
          draft = new EndpointDraft(instance.address(), labels.labels());
          drafts.add(draft);
        }
        draft.served.add(port.name());
        if (instance.port() != port.number()) {
          draft.ports.put(port.name(), instance.port());
        }
      }
    }

    List<ServiceEntryModel.Port> ports = portOf.values().stream()
        .sorted(Comparator.comparingInt(ServiceEntryModel.Port::number)).toList();
    if (ports.size() > 1) {
      for (EndpointDraft draft : drafts) {
        List<String> missing = ports.stream().filter(p -> !draft.served.contains(p.name()))
            .map(p -> p.name()).toList();
        if (!missing.isEmpty()) {
          reports.add(new MeshReport(MeshReport.Kind.PARTIAL_ENDPOINT, service, "service '"
              + service + "': endpoint " + draft.address + " " + draft.labels
              + " has no instance for port(s) " + String.join(", ", missing)
              + "; Istio sends that traffic to it on the service port"));
        }
      }
    }
    List<ServiceEntryModel.Endpoint> endpoints = drafts.stream()
        .map(d -> new ServiceEntryModel.Endpoint(d.address, d.ports, d.labels))
        .sorted(Comparator.comparing(ServiceEntryModel.Endpoint::address)
            .thenComparing(ep -> effectivePorts(ep, ports), ServiceEntryConverter::compareLists)
            .thenComparing(ep -> ep.labels().toString()))
        .toList();
    return Optional.of(new ServiceEntryModel(objectName(host), service, host, List.of(), ports,
        endpoints, config.exportTo()));
  }

  /** The port the endpoint listens on for each service port, in service port order. */
  private static List<Integer> effectivePorts(ServiceEntryModel.Endpoint endpoint,
      List<ServiceEntryModel.Port> ports) {
    return ports.stream().map(p -> endpoint.ports().getOrDefault(p.name(), p.number())).toList();
  }

  private static int compareLists(List<Integer> a, List<Integer> b) {
    for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
      int c = Integer.compare(a.get(i), b.get(i));
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(a.size(), b.size());
  }

  private static Optional<String> skipReason(ServiceInstance instance) {
    if (instance.transport() == Transport.UDP) {
      return Optional.of("UDP; Istio's proxies do not carry UDP, so a ServiceEntry cannot"
          + " describe it");
    }
    if (instance.protocol().isPresent() && !declarable(instance.protocol().get())) {
      return Optional.of("protocol '" + instance.protocol().get()
          + "' cannot be a ServiceEntry port's protocol (" + KNOWN_PROTOCOLS + ")");
    }
    if (instance.port() == 0) {
      return Optional.of("no port");
    }
    if (instance.address().isEmpty()) {
      return Optional.of("no address; a STATIC endpoint needs an IP address");
    }
    if (!ServiceEntryValidator.isIp(instance.address())) {
      return Optional.of("address '" + instance.address()
          + "' is not an IP address; a STATIC endpoint needs one");
    }
    return Optional.empty();
  }

  private void allocate(SortedMap<String, ServiceEntryModel> entries,
      Map<String, String> currentAddresses, List<MeshReport> reports) {
    List<String> hosts = entries.values().stream().filter(ServiceEntryModel::hasOpaqueTcpPort)
        .map(ServiceEntryModel::host).toList();
    SortedMap<String, String> addresses = allocator.allocate(hosts, currentAddresses);
    for (ServiceEntryModel entry : List.copyOf(entries.values())) {
      if (!entry.hasOpaqueTcpPort()) {
        continue;
      }
      String address = addresses.get(entry.host());
      if (address == null) {
        reports.add(new MeshReport(MeshReport.Kind.NO_VIRTUAL_IP, entry.service(),
            "service '" + entry.service() + "': no free virtual IP left in "
                + config.virtualIpRange() + " for " + entry.host()));
      } else {
        entries.put(entry.name(), entry.withAddresses(List.of(address)));
      }
    }
  }

  private static void detectCollisions(SortedMap<String, ServiceEntryModel> entries,
      List<PortCollision> collisions, List<MeshReport> reports) {
    SortedMap<Integer, SortedMap<String, Protocol>> byPort = new TreeMap<>();
    for (ServiceEntryModel entry : entries.values()) {
      if (!entry.addresses().isEmpty()) {
        continue;
      }
      for (ServiceEntryModel.Port port : entry.ports()) {
        if (port.protocol().opaqueTcp()) {
          byPort.computeIfAbsent(port.number(), n -> new TreeMap<>())
              .put(entry.host(), port.protocol());
        }
      }
    }
    byPort.forEach((port, hosts) -> {
      if (hosts.size() < 2) {
        return;
      }
      collisions.add(new PortCollision(port, List.copyOf(hosts.keySet())));
      Set<String> described = new LinkedHashSet<>();
      hosts.forEach((host, protocol) -> described.add(host + " (" + protocol.istioName() + ")"));
      reports.add(new MeshReport(MeshReport.Kind.PORT_COLLISION,
          String.join(",", hosts.keySet()), "port collision on " + port + ": "
              + joinAnd(described) + " declare it without addresses, so Istio builds one"
              + " listener 0.0.0.0_" + port + " for all of them and sends every connection to"
              + " one; declare an application protocol (SERVICE_PROTOCOL=http, grpc, ...) or"
              + " use collision mode allocate"));
    });
  }

  private static String joinAnd(Set<String> items) {
    List<String> list = List.copyOf(items);
    if (list.size() == 1) {
      return list.get(0);
    }
    return String.join(", ", list.subList(0, list.size() - 1)) + " and "
        + list.get(list.size() - 1);
  }

  private static String describe(ServiceInstance instance) {
    String where = instance.address().isEmpty() ? "" : instance.address() + ":";
    String origin = instance.origin().isEmpty() ? "" : ", " + instance.origin();
    return instance.id() + " (" + where + instance.port() + origin + ")";
  }

  /** An endpoint being assembled from the instances at one address with one label set. */
  private static final class EndpointDraft {
    final String address;
    final SortedMap<String, String> labels;
    final SortedMap<String, Integer> ports = new TreeMap<>();
    final Set<String> served = new TreeSet<>();

    EndpointDraft(String address, SortedMap<String, String> labels) {
      this.address = address;
      this.labels = labels;
    }
  }
}
