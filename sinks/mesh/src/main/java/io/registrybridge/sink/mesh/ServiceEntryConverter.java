package io.registrybridge.sink.mesh;

import static java.util.Objects.requireNonNull;

import io.registrybridge.core.DesiredState;
import io.registrybridge.core.Health;
import io.registrybridge.core.Protocol;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.Transport;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.ToLongFunction;

/**
 * Turns the instances of one host into a validated ServiceEntry model and reports. Pure: no I/O,
 * no clock, no logging; the same input always gives the same output, which is what makes the
 * content hash a reliable "nothing changed" test for every transport.
 *
 * <p>The rules, in the order they apply:
 *
 * <ol>
 *   <li>Instances are grouped by host {@code <name>.<domain>} ({@link #hostOf}); the name is
 *       lower-cased with '_' and '.' turned into '-', and a name that still is no DNS label is
 *       rejected.
 *   <li>Instances whose mirrored health ({@link ServiceInstance#health()}, a Docker {@code
 *       HEALTHCHECK}) is critical are left out: a ServiceEntry endpoint has no health of its
 *       own that istiod would honour, so absence is the only way to keep traffic away. When
 *       every instance of a host is critical, its ServiceEntry goes, as in Consul, whose DNS
 *       then answers with no address either.
 *   <li>UDP instances are skipped (ServiceEntry cannot carry UDP); so are instances with a
 *       protocol Istio does not know, without a port, or without an IP address (STATIC
 *       endpoints need one).
 *   <li>One service port per protocol: the instances' {@link ServiceInstance#targetPort()} (the
 *       container port, which every replica shares even when Docker publishes each on another
 *       host port), the lowest one if they differ; every endpoint whose own port differs maps
 *       the service port to it.
 *   <li>A port has one protocol, so instances that disagree on it are settled per instance,
 *       never by dropping the service ({@link #settleProtocols}): an explicit protocol beats an
 *       undeclared one (the undeclared instance is served with it, and reported); between
 *       explicit protocols the one most instances declare keeps the port, on a tie the one
 *       declared by the instance registered first ({@code firstSeen}), and each instance of a
 *       losing protocol is left out and reported.
 *   <li>Instances at the same address with the same labels share one endpoint, which then serves
 *       several ports; otherwise every instance is an endpoint of its own.
 * </ol>
 *
 * <p>What concerns several hosts at once (the collision guard, virtual IPs, the final validation)
 * is {@link MeshModel}'s, which calls {@link #convertHost} for the hosts that changed; {@link
 * #convert} runs the whole pipeline over a full desired state.
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

  ServiceEntryConverter(MeshSinkConfig config) {
    this.config = requireNonNull(config, "config");
  }

  MeshSinkConfig config() {
    return config;
  }

  /** The object name of the entry for {@code host}: the host itself, a valid DNS subdomain. */
  static String objectName(String host) {
    return host;
  }

  /**
   * The host a service name maps to.
   *
   * @return the host, or empty with {@code problem} holding the report when the name cannot be
   *     one
   */
  Optional<String> hostOf(String serviceName, List<MeshReport> problem) {
    try {
      return Optional.of(KubernetesNames.hostLabelOf(serviceName) + "." + config.domain());
    } catch (IllegalArgumentException e) {
      problem.add(new MeshReport(MeshReport.Kind.INVALID_SERVICE, serviceName,
          e.getMessage() + "; no ServiceEntry is written for it"));
      return Optional.empty();
    }
  }

  /**
   * What one host's instances give, before the collision guard and the final validation.
   *
   * @param entry the entry; empty when no instance can be an endpoint or the ports conflict
   * @param held whether the host's existing object must be left as it is (there are instances,
   *     but none can be written now); false when only UDP instances remain
   * @param reports the problems found, in a stable order
   */
  record HostConversion(Optional<ServiceEntryModel> entry, boolean held,
      List<MeshReport> reports) {
    HostConversion {
      reports = List.copyOf(reports);
    }
  }

  /**
   * Converts the instances of one host, taking the ID order as the order of registration.
   *
   * @param host what {@link #hostOf} gave for the instances' names
   * @param instances every instance whose name maps to {@code host}, sorted by ID
   */
  HostConversion convertHost(String host, List<ServiceInstance> instances) {
    Map<String, Long> order = new HashMap<>();
    instances.forEach(i -> order.put(i.id(), (long) order.size()));
    return convertHost(host, instances, order::get);
  }

  /**
   * Converts the instances of one host.
   *
   * @param host what {@link #hostOf} gave for the instances' names
   * @param instances every instance whose name maps to {@code host}, sorted by ID
   * @param firstSeen when each ID was first seen, as a sequence number (lower is earlier): it
   *     settles a tie between two protocols declared for one port
   */
  HostConversion convertHost(String host, List<ServiceInstance> instances,
      ToLongFunction<String> firstSeen) {
    List<MeshReport> reports = new ArrayList<>();
    SortedSet<String> names = new TreeSet<>();
    instances.forEach(i -> names.add(i.name()));
    String service = names.first();
    if (names.size() > 1) {
      reports.add(new MeshReport(MeshReport.Kind.MERGED_NAMES, String.join(",", names),
          "service names " + String.join(", ", names) + " all map to host " + host
              + "; their instances are merged into one ServiceEntry"));
    }
    List<ServiceInstance> healthy = new ArrayList<>();
    for (ServiceInstance instance : instances) {
      if (instance.health().map(h -> h.status() == Health.Status.CRITICAL).orElse(false)) {
        reports.add(new MeshReport(MeshReport.Kind.UNHEALTHY, service, "service '" + service
            + "': instance " + describe(instance) + " left out while its health is critical"));
      } else {
        healthy.add(instance);
      }
    }
    Optional<ServiceEntryModel> entry = healthy.isEmpty() ? Optional.empty()
        : build(host, host.substring(0, host.indexOf('.')), service, healthy, firstSeen,
            reports).map(e -> e.withSources(sourcesOf(instances)));
    boolean held = entry.isEmpty()
        && healthy.stream().anyMatch(i -> i.transport() != Transport.UDP);
    return new HostConversion(entry, held, reports);
  }

  /**
   * Converts a whole desired state, the collision guard and the final validation included.
   *
   * @param currentAddresses the virtual IP each host has in the control plane now, so that
   *     allocation keeps it (see {@link VirtualIpAllocator})
   */
  Conversion convert(DesiredState desired, Map<String, String> currentAddresses) {
    MeshModel model = new MeshModel(this);
    model.rebuild(desired, host -> Optional.ofNullable(currentAddresses.get(host)));
    return model.conversion();
  }

  /** One service's entry; empty when no instance can be an endpoint. */
  private Optional<ServiceEntryModel> build(String host, String hostLabel, String service,
      List<ServiceInstance> instances, ToLongFunction<String> firstSeen,
      List<MeshReport> reports) {
    List<ServiceInstance> usable = new ArrayList<>();
    for (ServiceInstance instance : instances) {
      Optional<String> skip = skipReason(instance);
      if (skip.isPresent()) {
        MeshReport.Kind kind = instance.transport() == Transport.UDP
            ? MeshReport.Kind.SKIPPED_UDP : MeshReport.Kind.SKIPPED_INSTANCE;
        reports.add(new MeshReport(kind, service, "service '" + service + "': instance "
            + describe(instance) + " skipped: " + skip.get()));
        continue;
      }
      usable.add(instance);
    }
    Map<Protocol, List<ServiceInstance>> groups =
        settleProtocols(service, usable, firstSeen, reports);
    if (groups.isEmpty()) {
      return Optional.empty();
    }
    Map<Protocol, ServiceEntryModel.Port> portOf = new EnumMap<>(Protocol.class);
    groups.forEach((protocol, group) -> portOf.put(protocol, ServiceEntryModel.Port.of(
        portNumberOf(group), protocol)));

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
        endpoints, config.exportTo(), new TreeSet<>()));
  }

  /**
   * The sources of {@code instances}, those left out included (their source must have listed
   * before the object can lose them); empty when one of them has none.
   */
  private static SortedSet<String> sourcesOf(List<ServiceInstance> instances) {
    SortedSet<String> sources = new TreeSet<>();
    for (ServiceInstance instance : instances) {
      if (instance.source().isEmpty()) {
        return new TreeSet<>();
      }
      sources.add(instance.source());
    }
    return sources;
  }

  /** The service port of a protocol's instances: the lowest target port among them. */
  private static int portNumberOf(List<ServiceInstance> group) {
    return group.stream().mapToInt(ServiceInstance::targetPort).min().orElseThrow();
  }

  /**
   * Groups instances by the protocol of the service port they are served on, so that no two
   * protocols end up on one port number. Where they would, the instances that declare that
   * number ({@code targetPort}) are settled one by one, and never the whole service:
   *
   * <ul>
   *   <li>an instance without a protocol (TCP by default) joins the explicit protocol: a stray
   *       container that says nothing must not take an HTTP service out of the mesh, and Istio
   *       itself gives a port one protocol for all its endpoints. It stays an endpoint, with a
   *       report;
   *   <li>between explicit protocols, the one most of those instances declare keeps the port; on
   *       a tie, the one whose earliest instance was seen first. Each instance of another
   *       protocol is left out, with a report; the rest of its protocol's instances (other
   *       target ports) are grouped again.
   * </ul>
   *
   * Settled lowest port first, again until nothing conflicts; every round removes an explicit
   * instance or moves an undeclared one, so it ends.
   */
  private static Map<Protocol, List<ServiceInstance>> settleProtocols(String service,
      List<ServiceInstance> instances, ToLongFunction<String> firstSeen,
      List<MeshReport> reports) {
    Map<ServiceInstance, Protocol> assigned = new LinkedHashMap<>();
    instances.forEach(i -> assigned.put(i, i.protocol().orElse(Protocol.TCP)));
    while (true) {
      Map<Protocol, List<ServiceInstance>> groups = new EnumMap<>(Protocol.class);
      assigned.forEach((i, p) -> groups.computeIfAbsent(p, k -> new ArrayList<>()).add(i));
      SortedMap<Integer, List<Protocol>> protocolsByNumber = new TreeMap<>();
      groups.forEach((protocol, group) -> protocolsByNumber
          .computeIfAbsent(portNumberOf(group), n -> new ArrayList<>()).add(protocol));
      Optional<Map.Entry<Integer, List<Protocol>>> conflict = protocolsByNumber.entrySet()
          .stream().filter(e -> e.getValue().size() > 1).findFirst();
      if (conflict.isEmpty()) {
        return groups;
      }
      int number = conflict.get().getKey();
      // The instances that declare this number, by the protocol they are grouped under.
      Map<Protocol, List<ServiceInstance>> claims = new EnumMap<>(Protocol.class);
      for (Protocol protocol : conflict.get().getValue()) {
        claims.put(protocol, groups.get(protocol).stream()
            .filter(i -> i.targetPort() == number).toList());
      }
      Comparator<Protocol> stronger = Comparator
          .comparingLong((Protocol p) -> explicit(claims.get(p)).size()).reversed()
          .thenComparingLong(p -> explicit(claims.get(p)).stream()
              .mapToLong(i -> firstSeen.applyAsLong(i.id())).min().orElse(Long.MAX_VALUE))
          .thenComparing(Comparator.naturalOrder());
      // Only TCP can hold undeclared instances, and it conflicts with something explicit.
      Protocol winner = claims.keySet().stream()
          .filter(p -> !explicit(claims.get(p)).isEmpty()).min(stronger).orElseThrow();
      int majority = explicit(claims.get(winner)).size();
      claims.forEach((protocol, claimants) -> {
        if (protocol == winner) {
          return;
        }
        boolean tie = explicit(claimants).size() == majority;
        for (ServiceInstance instance : claimants) {
          if (instance.protocol().isEmpty()) {
            assigned.put(instance, winner);
            reports.add(new MeshReport(MeshReport.Kind.PROTOCOL_CONFLICT, service, "service '"
                + service + "': instance " + describe(instance) + " declares no protocol for"
                + " port " + number + ", which other instances declare as "
                + winner.istioName() + "; it is served as " + winner.istioName() + " too (an"
                + " explicit protocol beats none; give it SERVICE_PROTOCOL to say so)"));
          } else {
            assigned.remove(instance);
            reports.add(new MeshReport(MeshReport.Kind.PROTOCOL_CONFLICT, service, "service '"
                + service + "': instance " + describe(instance) + " declares port " + number
                + " as " + protocol.istioName() + ", but "
                + (tie ? "as many instances, registered earlier," : "more instances")
                + " declare it as " + winner.istioName() + "; a port has one protocol, so"
                + " this instance is left out"));
          }
        }
      });
    }
  }

  private static List<ServiceInstance> explicit(List<ServiceInstance> instances) {
    return instances.stream().filter(i -> i.protocol().isPresent()).toList();
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

  static String describe(ServiceInstance instance) {
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
