package io.registrybridge.core;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One reachable endpoint of a service, as a source sees it and every sink writes it.
 *
 * <p>This is the whole vocabulary shared by sources and sinks: a Docker container port, a
 * Kubernetes endpoint, a Consul registration and an Istio ServiceEntry endpoint are all built
 * from or into it.
 *
 * @param id unique within the bridge; sinks use it as the registration ID
 * @param name the service name ({@code SERVICE_NAME}); instances with the same name form one
 *     service
 * @param address where clients connect; empty lets the sink pick its default (Consul: the
 *     agent's node address)
 * @param port the port clients connect to
 * @param targetPort the port the service listens on inside its container (Docker's exposed
 *     port), which a mesh uses as the service port while each endpoint keeps its own {@code
 *     port}; equal to {@code port} when the source knows no other
 * @param transport TCP or UDP
 * @param protocol the application protocol, when known; Consul gets it as {@code
 *     Meta.protocol}, the mesh as the port protocol
 * @param tags free-form tags, in the order the user gave them, without duplicates
 * @param meta string attributes, already valid for every sink (see {@link MetaKeys})
 * @param checks health checks, possibly none
 * @param origin where the instance came from, for log lines ({@code docker:web-1}); never
 *     part of the identity in a sink
 * @param health a status the source asks sinks to mirror (a Docker {@code HEALTHCHECK}), when it
 *     has one; empty otherwise
 * @param weight the instance's share of traffic relative to the other instances of its
 *     service, when the source was told one (consul-k8s's {@code service-weight}); Consul gets it
 *     as {@code Weights.Passing}. Empty means the sink's default (Consul: 1)
 * @param placement whether the instance runs on the bridge's own host; Consul registers those
 *     through the agent and the others through the catalog
 * @param source the name of the {@link Source} that reported it ({@code docker}, {@code
 *     kubernetes}), set by the {@link DesiredIndex}; sinks write it next to their owner mark, so
 *     that they can delete one source's instances as soon as that source has listed once, while
 *     another is still down. Empty when unknown
 * @param node the catalog node that holds the instance, named by its source (consul-k8s's {@code
 *     -consul-node-name}: the Kubernetes source's {@code -k8s-consul-node}); only for {@link
 *     Placement#ELSEWHERE}, and valid per {@link CatalogNodes}. Empty leaves it to the sink
 *     (Consul: {@value CatalogNodes#DEFAULT})
 */
public record ServiceInstance(
    String id,
    String name,
    String address,
    int port,
    int targetPort,
    Transport transport,
    Optional<Protocol> protocol,
    List<String> tags,
    SortedMap<String, String> meta,
    List<ServiceCheck> checks,
    Optional<Health> health,
    OptionalInt weight,
    String origin,
    Placement placement,
    String source,
    Optional<String> node) {

  public ServiceInstance {
    requireNonNull(id, "id");
    requireNonNull(name, "name");
    requireNonNull(address, "address");
    requireNonNull(transport, "transport");
    requireNonNull(protocol, "protocol");
    requireNonNull(health, "health");
    requireNonNull(weight, "weight");
    requireNonNull(origin, "origin");
    requireNonNull(placement, "placement");
    requireNonNull(source, "source");
    requireNonNull(node, "node");
    String idProblem = ServiceIds.problemWith(id);
    if (idProblem != null) {
      throw new IllegalArgumentException(idProblem + " (" + AttributeValues.quote(id) + ")");
    }
    if (name.isBlank()) {
      throw new IllegalArgumentException("service name must not be blank (id " + id + ")");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port out of range for " + id + ": " + port);
    }
    if (targetPort < 0 || targetPort > 65535) {
      throw new IllegalArgumentException("target port out of range for " + id + ": "
          + targetPort);
    }
    if (weight.isPresent() && (weight.getAsInt() < MIN_WEIGHT
        || weight.getAsInt() > MAX_WEIGHT)) {
      throw new IllegalArgumentException("weight out of range for " + id + ": "
          + weight.getAsInt() + " (" + MIN_WEIGHT + " to " + MAX_WEIGHT + ")");
    }
    if (node.isPresent()) {
      if (placement != Placement.ELSEWHERE) {
        throw new IllegalArgumentException("a catalog node is only for instances from elsewhere"
            + " (id " + id + ", node " + node.get() + ")");
      }
      String nodeProblem = CatalogNodes.problemWith(node.get());
      if (nodeProblem != null) {
        throw new IllegalArgumentException(nodeProblem + " (id " + id + ")");
      }
    }
    tags = List.copyOf(new java.util.LinkedHashSet<>(tags));
    meta = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(meta));
    checks = List.copyOf(checks);
  }

  /** The least weight: 0 would take an instance out of rotation, which is readiness's job. */
  public static final int MIN_WEIGHT = 1;

  /** The greatest weight: DNS SRV weights, where Consul's end up, are 16-bit. */
  public static final int MAX_WEIGHT = 65535;

  /** Starts a builder for an instance with the given ID and name. */
  public static Builder builder(String id, String name) {
    return new Builder(id, name);
  }

  /** A copy with other values, for the few places that adjust an instance after building it. */
  public Builder toBuilder() {
    return new Builder(id, name).address(address).port(port).targetPort(targetPort)
        .transport(transport)
        .protocol(protocol.orElse(null)).tags(tags).meta(meta).checks(checks)
        .health(health.orElse(null)).weight(weight).origin(origin).placement(placement)
        .source(source).node(node.orElse(null));
  }

  /** Fluent builder; unset fields default to empty values and TCP. */
  public static final class Builder {
    private final String id;
    private String name;
    private String address = "";
    private int port;
    private int targetPort;
    private Transport transport = Transport.TCP;
    private Protocol protocol;
    private List<String> tags = List.of();
    private Map<String, String> meta = Map.of();
    private List<ServiceCheck> checks = List.of();
    private Health health;
    private OptionalInt weight = OptionalInt.empty();
    private String origin = "";
    private Placement placement = Placement.THIS_HOST;
    private String source = "";
    private String node;

    private Builder(String id, String name) {
      this.id = id;
      this.name = name;
    }

    public Builder name(String name) {
      this.name = name;
      return this;
    }

    public Builder address(String address) {
      this.address = address;
      return this;
    }

    public Builder port(int port) {
      this.port = port;
      return this;
    }

    /** The port inside the container; unset (0) means the same as {@link #port}. */
    public Builder targetPort(int targetPort) {
      this.targetPort = targetPort;
      return this;
    }

    public Builder transport(Transport transport) {
      this.transport = transport;
      return this;
    }

    /** Sets the application protocol; null means unknown. */
    public Builder protocol(Protocol protocol) {
      this.protocol = protocol;
      return this;
    }

    /**
     * Sets the application protocol by name; null or blank means unknown.
     *
     * @throws IllegalArgumentException for a name that is not a {@link Protocol}
     */
    public Builder protocol(String protocol) {
      if (protocol == null || protocol.isBlank()) {
        this.protocol = null;
        return this;
      }
      this.protocol = Protocol.parse(protocol).orElseThrow(() -> new IllegalArgumentException(
          "unknown protocol '" + protocol + "' (known: " + Protocol.describeAll() + ")"));
      return this;
    }

    public Builder tags(List<String> tags) {
      this.tags = tags;
      return this;
    }

    public Builder meta(Map<String, String> meta) {
      this.meta = meta;
      return this;
    }

    public Builder checks(List<ServiceCheck> checks) {
      this.checks = checks;
      return this;
    }

    /** A status for sinks to mirror; null means none. */
    public Builder health(Health health) {
      this.health = health;
      return this;
    }

    /** A relative traffic weight, {@value #MIN_WEIGHT} to {@value #MAX_WEIGHT}. */
    public Builder weight(int weight) {
      return weight(OptionalInt.of(weight));
    }

    /** A relative traffic weight; empty means the sink's default. */
    public Builder weight(OptionalInt weight) {
      this.weight = requireNonNull(weight, "weight");
      return this;
    }

    public Builder origin(String origin) {
      this.origin = origin;
      return this;
    }

    /** Where the instance runs; {@link Placement#THIS_HOST} unless set. */
    public Builder placement(Placement placement) {
      this.placement = placement;
      return this;
    }

    /** The reporting source's name; the {@link DesiredIndex} sets it when it is not set. */
    public Builder source(String source) {
      this.source = source;
      return this;
    }

    /**
     * The catalog node that holds this instance from elsewhere, as its source names it; null
     * leaves it to the sink.
     */
    public Builder node(String node) {
      this.node = node;
      return this;
    }

    public ServiceInstance build() {
      return new ServiceInstance(id, name, address, port, targetPort == 0 ? port : targetPort,
          transport, Optional.ofNullable(protocol), tags,
          new TreeMap<>(meta), checks, Optional.ofNullable(health), weight,
          origin, placement, source, Optional.ofNullable(node));
    }
  }
}
