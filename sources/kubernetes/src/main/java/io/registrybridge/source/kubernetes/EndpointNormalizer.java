package io.registrybridge.source.kubernetes;

import static java.util.Objects.requireNonNull;

import io.registrybridge.core.AttributeValues;
import io.registrybridge.core.Placement;
import io.registrybridge.core.Protocol;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.TagParser;
import io.registrybridge.core.Transport;
import io.registrybridge.core.attributes.Attribute;
import io.registrybridge.core.attributes.AttributeSet;
import io.registrybridge.core.attributes.Finding;
import io.registrybridge.core.attributes.Findings;
import io.registrybridge.core.attributes.ServiceGrammar;
import io.registrybridge.source.kubernetes.ServiceView.PortView;
import io.registrybridge.source.kubernetes.SliceView.EndpointView;
import io.registrybridge.source.kubernetes.SliceView.SlicePort;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Turns one Service and its EndpointSlices into service instances, with the Docker source's
 * naming rules and consul-k8s catalog sync's choice of addresses.
 *
 * <p><b>Which Services.</b> Not ExternalName ones; not in a denied namespace; not ClusterIP
 * ones with {@code -sync-clusterip-services=false}; then the sync annotation ({@code
 * registry-bridge.io/sync}, consul-k8s's {@code service-sync}) when present, else {@code
 * -k8s-default-sync}.
 *
 * <p><b>Ports and names.</b> One instance per address per Service port, as the Docker source
 * makes one per container port: the name is {@code name} (else the Service's name, with {@code
 * -consul-service-prefix} before it and, with {@code -add-k8s-namespace-suffix}, {@code
 * -<namespace>} after it), with
 * {@code -<port>} appended when the Service has several ports and the name is not
 * port-specific. consul-k8s's {@code service-port} picks one port (by name or number), which is
 * then registered under the plain name, as consul-k8s registers one port per Service. {@code
 * ignore} skips every port, or one port in its per-port form; {@code <port>.ignore: "false"}
 * takes one port back from a generic {@code ignore}.
 *
 * <p><b>Addresses</b>, as consul-k8s: the Service's {@code externalIPs} when set; else for a
 * LoadBalancer its ingress IPs or hostnames at the Service port (its ready endpoints, as for
 * ClusterIP, with {@code -sync-lb-services-endpoints}); for a NodePort the address of
 * each node that runs a ready endpoint, at the node port; else (ClusterIP, headless) every ready
 * endpoint address at the endpoint's port. An endpoint's port is found by the Service port's
 * name in each slice, so named target ports that differ between Pods work.
 *
 * <p><b>Protocol</b>: our {@code protocol} annotation, else the port's {@code appProtocol},
 * else Istio's port-name prefix, else none (see {@link PortProtocols}); a UDP port is always
 * {@code udp}.
 *
 * <p><b>Weight</b>: consul-k8s's {@code service-weight} (or our {@code weight}) applies to every
 * instance of the Service, whatever its type; sinks decide what a weight means (Consul: {@code
 * Weights.Passing}).
 *
 * <p><b>IDs</b> are {@code <owner>:<namespace>.<service>:<address>:<port>[:udp]}; they cannot be
 * set. One that {@link io.registrybridge.core.ServiceIds} refuses (over 256 characters with a
 * long load balancer hostname) is reported and that instance left out.
 *
 * <p>The annotations are read with the grammar every source shares ({@link ServiceGrammar});
 * {@code id} and {@code check_*}, generic or per port, are refused with a warning.
 *
 * <p>Nothing malformed stops the rest: the bad annotation is reported naming the Service and the
 * key, and left out. Values are quoted only for keys with a known meaning.
 */
final class EndpointNormalizer {
  static final String EXTERNAL_SOURCE = "external-source";
  static final String SOURCE_VALUE = "kubernetes";
  static final String META_NAMESPACE = "external-k8s-ns";
  static final String META_SERVICE = "external-k8s-service";
  static final String META_REF_KIND = "external-k8s-ref-kind";
  static final String META_REF_NAME = "external-k8s-ref-name";
  static final String META_NODE = "external-k8s-node-name";
  static final String META_ZONE = "external-k8s-topology-zone";
  /** Pod labels that become tags ({@code version|v1}) and meta. */
  static final List<String> POD_LABELS = List.of("app", "version");

  private static final ServiceGrammar GRAMMAR = ServiceAnnotations.GRAMMAR;

  /** What the normalizer looks up beside the Service and its slices. */
  interface Cluster {
    /** The labels of a Pod; empty when unknown. */
    Map<String, String> podLabels(String namespace, String name);

    /** A node's addresses by type ({@code ExternalIP}, {@code InternalIP}); empty if unknown. */
    Map<String, String> nodeAddresses(String nodeName);
  }

  /** What one Service yields; problems are warnings, notes are for debugging. */
  record Result(List<ServiceInstance> instances, List<Finding> problems, List<Finding> notes) {
    Result {
      instances = List.copyOf(instances);
      problems = List.copyOf(problems);
      notes = List.copyOf(notes);
    }
  }

  private final KubernetesSourceConfig config;

  EndpointNormalizer(KubernetesSourceConfig config) {
    this.config = requireNonNull(config, "config");
  }

  /** The instances of {@code service}; never throws for anything the objects hold. */
  Result normalize(ServiceView service, Collection<SliceView> slices, Cluster cluster) {
    List<SliceView> sorted = slices.stream().sorted(Comparator.comparing(SliceView::name))
        .toList();
    return new Run(service, sorted, cluster).run();
  }

  /** A place to register a Service port at, and the endpoint behind it when there is one. */
  private record Target(String address, int port, Optional<EndpointView> endpoint) {}

  private final class Run {
    private final ServiceView svc;
    private final List<SliceView> slices;
    private final Cluster cluster;
    private final AttributeSet<String> annotations;
    private final Findings findings;

    Run(ServiceView svc, List<SliceView> slices, Cluster cluster) {
      this.svc = svc;
      this.findings = new Findings("service", svc.key());
      this.slices = slices;
      this.cluster = cluster;
      this.annotations = ServiceAnnotations.of(svc.annotations());
    }

    Result run() {
      if (!config.allows(svc.namespace())) {
        return result(List.of());
      }
      if (svc.type().equals("ExternalName")) {
        note("type", "ExternalName Services have no endpoints; not synced");
        return result(List.of());
      }
      if (!wanted()) {
        return result(List.of());
      }
      List<PortView> ports = ports();
      reportUnusedPortKeys();
      reportUnsupported();
      Optional<PortView> chosen = chosenPort(ports);
      List<PortView> selected = chosen.map(List::of).orElse(ports);
      OptionalInt weight = weight();
      Map<String, ServiceInstance> byId = new LinkedHashMap<>();
      for (PortView port : selected) {
        for (ServiceInstance instance : instances(port, selected.size() > 1, ports.size() == 1,
            weight)) {
          byId.putIfAbsent(instance.id(), instance);
        }
      }
      return result(List.copyOf(byId.values()));
    }

    private boolean wanted() {
      // consul-k8s decides this before it reads the annotation: it cannot turn it back on.
      if (svc.type().equals("ClusterIP") && !config.sync().clusterIpServices()) {
        note("type", "a ClusterIP Service and -sync-clusterip-services=false");
        return false;
      }
      Attribute sync = annotations.generic().get(ServiceAnnotations.SYNC);
      if (sync != null) {
        Optional<Boolean> on = parseBool(sync.value());
        if (on.isPresent()) {
          if (!on.get()) {
            note(sync.sourceKey(), "sync is off");
          }
          return on.get();
        }
        problem(sync.sourceKey(), AttributeValues.quote(sync.value())
            + " is not true or false; -k8s-default-sync decides");
      }
      if (!config.defaultSync()) {
        note("sync", "not annotated for sync and -k8s-default-sync=false");
      }
      return config.defaultSync();
    }

    /** The Service's ports that the bridge can carry; SCTP ports are reported and skipped. */
    private List<PortView> ports() {
      List<PortView> ports = new ArrayList<>();
      for (PortView port : svc.ports()) {
        if (port.transport().isPresent()) {
          ports.add(port);
        } else {
          problem("port " + port.port(), "protocol " + port.protocolName()
              + " is not supported (only TCP and UDP); port not synced");
        }
      }
      if (ports.isEmpty()) {
        note("ports", "the Service has no TCP or UDP port; nothing synced");
      }
      return ports;
    }

    /** consul-k8s's {@code service-port}: one port by name or number; else every port. */
    private Optional<PortView> chosenPort(List<PortView> ports) {
      Attribute port = annotations.generic().get(ServiceAnnotations.PORT);
      if (port == null || port.text().isEmpty()) {
        return Optional.empty();
      }
      String wanted = port.text().get();
      Optional<PortView> byName = ports.stream().filter(p -> p.name().equals(wanted)).findFirst();
      Optional<PortView> found = byName.isPresent() ? byName
          : ports.stream().filter(p -> Integer.toString(p.port()).equals(wanted)).findFirst();
      if (found.isEmpty()) {
        problem(port.sourceKey(), "the Service has no port " + AttributeValues.quote(wanted)
            + "; every port is synced");
      }
      return found;
    }

    /**
     * consul-k8s's {@code service-weight}: the whole Service's weight, on every instance. A
     * whole number from 1 to 65535; anything else is reported and left out, as consul-k8s
     * leaves it out (it also refuses 1, which is Consul's default anyway).
     */
    private OptionalInt weight() {
      Attribute attr = annotations.generic().get(ServiceAnnotations.WEIGHT);
      if (attr == null || attr.text().isEmpty()) {
        return OptionalInt.empty();
      }
      try {
        int weight = Integer.parseInt(attr.text().get());
        if (weight >= ServiceInstance.MIN_WEIGHT && weight <= ServiceInstance.MAX_WEIGHT) {
          return OptionalInt.of(weight);
        }
      } catch (NumberFormatException e) {
        // reported below, as an out-of-range number is
      }
      problem(attr.sourceKey(), AttributeValues.quote(attr.value()) + " is not a whole number"
          + " from " + ServiceInstance.MIN_WEIGHT + " to " + ServiceInstance.MAX_WEIGHT
          + "; ignored");
      return OptionalInt.empty();
    }

    private List<ServiceInstance> instances(PortView port, boolean isGroup, boolean onlyPort,
        OptionalInt weight) {
      Transport transport = port.transport().orElseThrow();
      SortedMap<String, Attribute> attrs =
          ServiceAnnotations.forPort(annotations, port.port(), port.name());
      if (GRAMMAR.ignored(attrs, port.port(), findings)) {
        return List.of();
      }
      String name = GRAMMAR.name(attrs, port.port(), isGroup,
          () -> Optional.of(config.sync().defaultName(svc.name(), svc.namespace())))
          .orElseThrow();
      Optional<Protocol> protocol = GRAMMAR.protocol(attrs, transport, findings, "ignored")
          .or(() -> PortProtocols.infer(transport, port.appProtocol(), port.name()));
      List<String> ownTags = GRAMMAR.tags(attrs);
      SortedMap<String, String> meta = meta(attrs);

      List<ServiceInstance> instances = new ArrayList<>();
      for (Target target : targets(port, onlyPort)) {
        SortedMap<String, String> instanceMeta = new TreeMap<>(meta);
        List<String> podTags = new ArrayList<>();
        target.endpoint().ifPresent(e -> endpointMeta(e, instanceMeta, podTags));
        List<String> extra = new ArrayList<>(podTags);
        config.k8sTag().ifPresent(extra::add);
        List<String> tags = TagParser.combine(ownTags, extra, config.forcedTags());
        if (transport == Transport.UDP) {
          tags = TagParser.combine(tags, List.of(), List.of("udp"));
        }
        Optional<String> id = GRAMMAR.id(null, config.hostName() + ":" + svc.namespace() + "."
            + svc.name() + ":" + target.address() + ":" + port.port()
            + (transport == Transport.UDP ? ":udp" : ""),
            "port " + port.port() + " at " + target.address(), findings);
        if (id.isEmpty()) {
          continue;
        }
        instances.add(ServiceInstance.builder(id.get(), name)
            .address(target.address())
            .port(target.port())
            // The mesh uses targetPort as the service port, and each endpoint keeps its own.
            .targetPort(port.port())
            .transport(transport)
            .protocol(protocol.orElse(null))
            .tags(tags)
            .meta(instanceMeta)
            .weight(weight)
            .origin("kubernetes:" + svc.key())
            .placement(Placement.ELSEWHERE)
            .node(config.consulNode())
            .build());
      }
      if (instances.isEmpty()) {
        note("port " + port.port(), "no ready endpoint");
      }
      return instances;
    }

    /**
     * Every annotation without a meaning of its own, then where the instance came from; the
     * source's keys win over annotations that would hide them.
     */
    private SortedMap<String, String> meta(Map<String, Attribute> attrs) {
      Map<String, String> added = new TreeMap<>();
      for (PortView port : svc.ports()) {
        if (!port.name().isEmpty()) {
          added.put("port-" + port.name(), Integer.toString(port.port())); // as consul-k8s
        }
      }
      added.put(EXTERNAL_SOURCE, SOURCE_VALUE);
      added.put(META_NAMESPACE, svc.namespace());
      added.put(META_SERVICE, svc.name());
      return GRAMMAR.meta(attrs, added, findings);
    }

    /** consul-k8s's per-endpoint keys, and the Pod's app and version labels. */
    private void endpointMeta(EndpointView endpoint, SortedMap<String, String> meta,
        List<String> tags) {
      endpoint.nodeName().ifPresent(node -> meta.put(META_NODE, node));
      endpoint.zone().ifPresent(zone -> meta.put(META_ZONE, zone));
      endpoint.targetRef().ifPresent(ref -> {
        meta.put(META_REF_KIND, ref.kind());
        meta.put(META_REF_NAME, ref.name());
        if (!ref.kind().equals("Pod")) {
          return;
        }
        String namespace = ref.namespace() == null ? svc.namespace() : ref.namespace();
        Map<String, String> labels = cluster.podLabels(namespace, ref.name());
        for (String label : POD_LABELS) {
          String value = labels.get(label);
          if (value != null && !value.isEmpty()) {
            tags.add(label + "|" + value);
            meta.putIfAbsent(label, value);
          }
        }
      });
    }

    private List<Target> targets(PortView port, boolean onlyPort) {
      List<Target> targets = new ArrayList<>();
      if (!svc.externalIps().isEmpty()) {
        svc.externalIps().forEach(ip -> targets.add(new Target(ip, port.port(),
            Optional.empty())));
        return targets;
      }
      switch (svc.type()) {
        case "LoadBalancer" -> {
          if (config.sync().loadBalancerEndpoints()) {
            endpointTargets(port, onlyPort, targets);
          } else {
            svc.loadBalancerIngress().stream().distinct().forEach(address ->
                targets.add(new Target(address, port.port(), Optional.empty())));
          }
        }
        case "NodePort" -> nodeTargets(port, onlyPort, targets);
        default -> endpointTargets(port, onlyPort, targets);
      }
      return targets;
    }

    /** Every ready endpoint address at its own port (ClusterIP, headless). */
    private void endpointTargets(PortView port, boolean onlyPort, List<Target> targets) {
      readyEndpoints(port, onlyPort, (endpoint, slicePort) -> endpoint.addresses()
          .forEach(address -> targets.add(new Target(address, slicePort.port(),
              Optional.of(endpoint)))));
    }

    private void nodeTargets(PortView port, boolean onlyPort, List<Target> targets) {
      if (port.nodePort() == 0) {
        problem("port " + port.port(), "NodePort Service without a node port; not synced");
        return;
      }
      Set<String> seen = new LinkedHashSet<>();
      readyEndpoints(port, onlyPort, (endpoint, slicePort) -> endpoint.nodeName()
          .flatMap(this::nodeAddress)
          .filter(seen::add)
          .ifPresent(address -> targets.add(new Target(address, port.nodePort(),
              Optional.of(new EndpointView(List.of(address), true, endpoint.nodeName(),
                  endpoint.zone(), Optional.empty()))))));
    }

    private Optional<String> nodeAddress(String nodeName) {
      Map<String, String> addresses = cluster.nodeAddresses(nodeName);
      String external = addresses.get("ExternalIP");
      String internal = addresses.get("InternalIP");
      return Optional.ofNullable(switch (config.nodePortSync()) {
        case EXTERNAL_ONLY -> external;
        case EXTERNAL_FIRST -> external != null ? external : internal;
        case INTERNAL_ONLY -> internal;
      });
    }

    /** Calls {@code each} for every ready endpoint of every slice that serves {@code port}. */
    private void readyEndpoints(PortView port, boolean onlyPort,
        java.util.function.BiConsumer<EndpointView, SlicePort> each) {
      for (SliceView slice : slices) {
        Optional<SlicePort> slicePort = slicePort(slice, port, onlyPort);
        if (slicePort.isEmpty()) {
          continue;
        }
        for (EndpointView endpoint : slice.endpoints()) {
          if (endpoint.ready()) {
            each.accept(endpoint, slicePort.get());
          }
        }
      }
    }

    /**
     * The slice's port for a Service port: the one with the same name (the endpoints controller
     * names slice ports after Service ports), or, for a one-port Service, a slice's only port.
     */
    private Optional<SlicePort> slicePort(SliceView slice, PortView port, boolean onlyPort) {
      Transport transport = port.transport().orElseThrow();
      Optional<SlicePort> named = slice.ports().stream()
          .filter(p -> p.name().equals(port.name()) && p.transport() == transport && p.port() > 0)
          .findFirst();
      if (named.isPresent() || !onlyPort || slice.ports().size() != 1) {
        return named;
      }
      SlicePort only = slice.ports().get(0);
      return only.transport() == transport && only.port() > 0 ? Optional.of(only)
          : Optional.empty();
    }

    /** A per-port annotation naming a port the Service does not have is a mistake. */
    private void reportUnusedPortKeys() {
      Set<String> refs = new LinkedHashSet<>();
      for (PortView port : svc.ports()) {
        refs.add(Integer.toString(port.port()));
        refs.add(port.name().toLowerCase(Locale.ROOT));
      }
      annotations.portSpecific().forEach((ref, attrs) -> attrs.values().forEach(a -> {
        if (!refs.contains(ref)) {
          problem(a.sourceKey(), "the Service has no port " + AttributeValues.quote(ref)
              + "; ignored");
        } else if (ServiceAnnotations.GENERIC_ONLY.contains(a.key())) {
          problem(a.sourceKey(), a.key() + " applies to the whole Service; ignored");
        } else {
          reportUnsupported(a);
        }
      }));
    }

    /** {@code id} and {@code check_*}: meaningful on a container, not on a Service. */
    private void reportUnsupported() {
      annotations.generic().values().forEach(this::reportUnsupported);
    }

    private void reportUnsupported(Attribute a) {
      if (a.key().equals(ServiceGrammar.ID)) {
        problem(a.sourceKey(), "IDs are per endpoint and cannot be set; ignored");
      } else if (a.key().startsWith(ServiceGrammar.CHECK_PREFIX)) {
        problem(a.sourceKey(), "Kubernetes readiness decides which endpoints are"
            + " registered; checks are not supported here; ignored");
      }
    }

    private void problem(String key, String message) {
      findings.problem(key, message);
    }

    private void note(String key, String message) {
      findings.note(key, message);
    }

    private Result result(List<ServiceInstance> instances) {
      return new Result(instances, findings.problems(), findings.notes());
    }
  }

  /** Go's strconv.ParseBool, which consul-k8s uses for {@code service-sync}. */
  static Optional<Boolean> parseBool(String value) {
    return switch (value.trim()) {
      case "1", "t", "T", "TRUE", "true", "True" -> Optional.of(true);
      case "0", "f", "F", "FALSE", "false", "False" -> Optional.of(false);
      default -> Optional.empty();
    };
  }
}
