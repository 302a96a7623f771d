package io.registrybridge.source.docker;

import static java.util.Objects.requireNonNull;

import io.registrybridge.core.AttributeValues;
import io.registrybridge.core.Health;
import io.registrybridge.core.Protocol;
import io.registrybridge.core.ServiceCheck;
import io.registrybridge.core.ServiceIds;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.TagParser;
import io.registrybridge.core.Transport;
import io.registrybridge.core.attributes.Attribute;
import io.registrybridge.core.attributes.AttributeSet;
import io.registrybridge.core.attributes.CheckParser;
import io.registrybridge.core.attributes.Finding;
import io.registrybridge.core.attributes.Findings;
import io.registrybridge.core.attributes.ServiceGrammar;
import io.registrybridge.source.docker.ContainerView.PortView;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Turns one container into service instances, one per port, with Registrator's vocabulary and
 * semantics; every place that deliberately differs says "Registrator" in its comment.
 *
 * <p><b>Ports.</b> By default only published ports are services: address {@code -ip} when given,
 * else the binding's host IP when it names one address, else empty, which lets the sink pick its
 * default (Consul: the agent's node address; Registrator resolved its own hostname instead, which
 * gave the wrong address whenever it ran without {@code --net=host}); port is the host port. A
 * port published on several host IPs ({@code 0.0.0.0} and {@code ::}) is one service, from the
 * IPv4 binding. Registrator also used the container's address on a user-defined network as the
 * address of a published port, which outside the host reaches nothing; here published means
 * host address. With {@code -internal} every exposed port is a service, with the container port
 * and the container's own address (see {@link ContainerAddresses#internal}); {@code -ip} does not
 * apply then, as in Registrator. A container without any address in {@code -internal} mode is
 * reported and skipped (Registrator registered it with an empty address, i.e. on the node). In
 * {@code host} network mode every exposed port is a service with its container port and the
 * address {@code -ip} or empty. {@code -useIpFromLabel} overrides the address in every mode.
 *
 * <p><b>Attributes</b> are resolved per port as described in {@link ServiceAttributes}, and
 * read with the grammar every source shares ({@link ServiceGrammar}). {@code SERVICE_IGNORE}
 * skips a port when on (see {@link AttributeValues#isOn}). The name is {@code
 * SERVICE_NAME}, else (without {@code -explicit}) the image base name (see {@link
 * ImageNames}); when the container has more than one service port and the name is not
 * port-specific, {@code -<port>} is appended. As in Registrator, that count includes ports that
 * {@code SERVICE_IGNORE} or {@code -explicit} skip, so names stay what they were. The ID is
 * {@code <host>:<container>:<port>[:udp]} unless {@code SERVICE_ID} is set; when two ports end up
 * with the same ID (a generic {@code SERVICE_ID} on a multi-port container), the lowest port
 * keeps it and the others are reported and skipped, where Registrator let them overwrite each
 * other in the registry. An ID that {@link ServiceIds} refuses ({@code ..}, a {@code /}, over 256
 * characters) is reported and that port skipped. Tags: {@code SERVICE_TAGS} (see {@link
 * TagParser}), then {@code -tags}, then {@code udp} for UDP ports. {@code SERVICE_PROTOCOL} must
 * be one of {@link Protocol}'s; an unknown one is reported and the service registered without a
 * protocol. Every other attribute is meta (see {@link ServiceGrammar#meta}), except {@code
 * name}, {@code
 * id}, {@code tags}, {@code ignore}, {@code protocol}, {@code docker_health} and every {@code
 * check_*} key, which Registrator passed on as attributes too. Checks: see {@link CheckParser};
 * a container's own {@code HEALTHCHECK}: see {@link HealthMirror}.
 *
 * <p>Nothing malformed on one port stops the other ports: the bad part is dropped (a check, the
 * protocol, a meta pair) when the service still makes sense without it, else the port is
 * skipped, and either way a {@link Finding} names the container and the key. Values are quoted
 * only for {@code SERVICE_*} keys with a known meaning, never for keys that may hold secrets.
 */
public final class ContainerNormalizer {
  /** The container label that picks the network whose address {@code -internal} registers. */
  public static final String NETWORK_LABEL = ContainerAddresses.NETWORK_LABEL;

  /** Keys whose {@code SERVICE_<x>_<KEY>} form, with a non-numeric x, is probably a typo. */
  private static final Set<String> PORT_SPECIFIC_KEYS =
      Stream.concat(ServiceGrammar.KEYS.stream(), Stream.of(HealthMirror.ATTRIBUTE))
          .collect(Collectors.toUnmodifiableSet());
  private static final ServiceGrammar GRAMMAR = ServiceAttributes.GRAMMAR;

  private final NormalizerConfig config;

  public ContainerNormalizer(NormalizerConfig config) {
    this.config = requireNonNull(config, "config");
  }

  /**
   * What one container yields.
   *
   * @param instances ordered by container port, TCP before UDP; IDs are unique
   * @param problems malformed or contradictory settings, each reported once; the caller logs
   *     them as warnings
   * @param notes expected skips (an unpublished port, {@code SERVICE_IGNORE}, a {@code
   *     SERVICE_<port>_*} key for a port the container lacks), for debugging
   */
  public record Result(List<ServiceInstance> instances, List<Finding> problems,
      List<Finding> notes) {
    public Result {
      instances = List.copyOf(instances);
      problems = List.copyOf(problems);
      notes = List.copyOf(notes);
    }
  }

  /** The services of {@code container}; never throws for anything the container holds. */
  public Result normalize(ContainerView container) {
    requireNonNull(container, "container");
    return new Run(container).run();
  }

  private record PortKey(int port, Transport transport) implements Comparable<PortKey> {
    private static final Comparator<PortKey> ORDER =
        Comparator.comparingInt(PortKey::port).thenComparing(PortKey::transport);

    @Override
    public int compareTo(PortKey other) {
      return ORDER.compare(this, other);
    }
  }

  /** A port that becomes a service unless its attributes say otherwise. */
  private record Candidate(PortKey key, Optional<PortView> binding) {}

  /** The state of one normalize call. */
  private final class Run {
    private final ContainerView c;
    private final Findings findings;
    private final AttributeSet<Integer> attributes;
    private final boolean hostNetwork;

    Run(ContainerView c) {
      this.c = c;
      this.findings = new Findings("container", c.name());
      this.attributes = ServiceAttributes.of(c.serviceEnv(), c.labels());
      this.hostNetwork = c.networkMode().equals("host");
    }

    Result run() {
      SortedMap<PortKey, List<PortView>> byPort = new TreeMap<>();
      for (PortView p : c.ports()) {
        byPort.computeIfAbsent(new PortKey(p.containerPort(), p.transport()),
            k -> new ArrayList<>()).add(p);
      }
      reportUnusedPortKeys(byPort.keySet());
      reportPortLikeGenericKeys();
      List<Candidate> candidates = candidates(byPort);
      if (candidates.isEmpty()) {
        reportNothingToRegister(byPort.isEmpty());
        return result(List.of());
      }
      Optional<String> labelIp = config.useIpFromLabel()
          .flatMap(label -> ContainerAddresses.fromLabel(c, label, this::problem));
      Optional<String> internalIp = Optional.empty();
      if (config.internal() && !hostNetwork && labelIp.isEmpty()) {
        internalIp = ContainerAddresses.internal(c, config.preferredNetwork(), this::problem,
            this::note);
        if (internalIp.isEmpty()) {
          problem("network", "the container has no address on any network (network mode "
              + c.networkMode() + "); no service registered");
          return result(List.of());
        }
      }
      Optional<String> containerIp = labelIp.isPresent() ? labelIp : internalIp;
      boolean isGroup = candidates.size() > 1;
      Map<String, ServiceInstance> byId = new LinkedHashMap<>();
      Map<String, Integer> portOfId = new TreeMap<>();
      for (Candidate candidate : candidates) {
        Optional<ServiceInstance> instance;
        try {
          instance = service(candidate, isGroup, containerIp);
        } catch (IllegalArgumentException e) {
          // Defensive: a value that slipped past the checks must not cost the other ports.
          problem("port " + candidate.key().port(), e.getMessage() + "; port not registered");
          continue;
        }
        instance.ifPresent(s -> {
          if (byId.putIfAbsent(s.id(), s) == null) {
            portOfId.put(s.id(), candidate.key().port());
          } else {
            problem(attributeKey(candidate.key().port(), ServiceGrammar.ID), "service id "
                + AttributeValues.quote(s.id()) + " is already used by port " + portOfId.get(s.id())
                + "; port " + candidate.key().port() + " not registered");
          }
        });
      }
      return result(List.copyOf(byId.values()));
    }

    private List<Candidate> candidates(SortedMap<PortKey, List<PortView>> byPort) {
      List<Candidate> candidates = new ArrayList<>();
      byPort.forEach((key, views) -> {
        if (hostNetwork || config.internal()) {
          candidates.add(new Candidate(key, Optional.empty()));
          return;
        }
        // IPv4 first, so that 0.0.0.0 and :: bindings of one port give one IPv4 service;
        // then by host port and IP, so that the choice does not depend on the input order.
        Optional<PortView> binding = views.stream()
            .filter(PortView::isPublished)
            .min(Comparator.comparing((PortView v) -> v.hostIp().orElse("").contains(":"))
                .thenComparing(v -> v.hostPort().orElseThrow())
                .thenComparing(v -> v.hostIp().orElse("")));
        if (binding.isPresent()) {
          candidates.add(new Candidate(key, binding));
        } else {
          note("port " + key.port(), "not published on the host; not registered (see "
              + "-internal)");
        }
      });
      return candidates;
    }

    private Optional<ServiceInstance> service(Candidate candidate, boolean isGroup,
        Optional<String> containerIp) {
      int containerPort = candidate.key().port();
      Transport transport = candidate.key().transport();
      boolean udp = transport == Transport.UDP;
      SortedMap<String, Attribute> attrs = attributes.forPort(List.of(containerPort));
      if (GRAMMAR.ignored(attrs, containerPort, findings)) {
        return Optional.empty();
      }

      Optional<String> name = GRAMMAR.name(attrs, containerPort, isGroup,
          () -> defaultName(containerPort));
      if (name.isEmpty()) {
        return Optional.empty();
      }

      String address;
      int port;
      if (candidate.binding().isPresent()) {
        PortView binding = candidate.binding().get();
        String bindingIp = binding.hostIp().orElse("");
        address = containerIp.orElse(config.hostIp()
            .orElse(ContainerAddresses.isSpecific(bindingIp) ? bindingIp : ""));
        port = binding.hostPort().orElseThrow();
      } else {
        address = containerIp.orElse(hostNetwork ? config.hostIp().orElse("") : "");
        port = containerPort;
      }

      // An ID no sink can use is refused, naming the container, and only this port is left out.
      Optional<String> id = GRAMMAR.id(attrs.get(ServiceGrammar.ID), config.hostName() + ":"
          + c.name() + ":" + containerPort + (udp ? ":udp" : ""), "port " + containerPort,
          findings);
      if (id.isEmpty()) {
        return Optional.empty();
      }

      List<String> tags = TagParser.combine(GRAMMAR.tags(attrs), config.forcedTags(),
          udp ? List.of("udp") : List.of());

      Optional<ServiceCheck> check = GRAMMAR.check(attrs, address, port, findings);

      return Optional.of(ServiceInstance.builder(id.get(), name.get())
          .address(address)
          .port(port)
          .targetPort(containerPort)
          .transport(transport)
          .protocol(GRAMMAR.protocol(attrs, transport, findings,
              "registered without a protocol").orElse(null))
          .tags(tags)
          .meta(GRAMMAR.meta(attrs, Map.of(), findings))
          .checks(check.map(List::of).orElse(List.of()))
          .health(health(attrs, check.isPresent()).orElse(null))
          .origin("docker:" + c.name())
          .build());
    }

    /** The name without {@code SERVICE_NAME}: the image's base name, none with -explicit. */
    private Optional<String> defaultName(int containerPort) {
      if (config.explicit()) {
        note("port " + containerPort, "no SERVICE_NAME in -explicit mode; not registered");
        return Optional.empty();
      }
      Optional<String> fromImage = ImageNames.baseName(c.image());
      if (fromImage.isEmpty()) {
        problem("SERVICE_NAME", "the image reference " + AttributeValues.quote(c.image())
            + " gives no service name; set SERVICE_NAME");
      }
      return fromImage;
    }

    private Optional<Health> health(Map<String, Attribute> attrs, boolean ownCheck) {
      Attribute attr = attrs.get(HealthMirror.ATTRIBUTE);
      boolean wanted =
          config.dockerHealth() && (attr == null || AttributeValues.isOn(attr.value()));
      return wanted && !ownCheck ? c.health().flatMap(HealthMirror::of) : Optional.empty();
    }

    /**
     * A {@code SERVICE_<port>_*} key for a port the container does not have is a mistake (a
     * typo, a port that changed): it is reported, as Registrator's users asked, rather than
     * ignored without a word.
     */
    private void reportUnusedPortKeys(Set<PortKey> ports) {
      Set<Integer> numbers = new TreeSet<>();
      ports.forEach(p -> numbers.add(p.port()));
      attributes.portSpecific().forEach((port, attrs) -> {
        if (!numbers.contains(port)) {
          attrs.values().forEach(a -> problem(a.sourceKey(), port == ServiceAttributes.NO_PORT
              ? "not a port number (1-65535); ignored"
              : "the container does not expose port " + port + "; ignored"));
        }
      });
    }

    /**
     * {@code SERVICE_abc_NAME} reads like a port-specific key with a mistyped port, yet by
     * Registrator's rules it is the generic attribute {@code abc_name}, which becomes meta. It is
     * kept that way, and said so.
     */
    private void reportPortLikeGenericKeys() {
      for (Attribute a : attributes.generic().values()) {
        int underscore = a.key().lastIndexOf('_');
        if (!a.portSpecific() && underscore > 0
            && PORT_SPECIFIC_KEYS.contains(a.key().substring(underscore + 1))) {
          String middle = a.sourceKey().substring(ContainerView.SERVICE_PREFIX.length(),
              ContainerView.SERVICE_PREFIX.length() + underscore);
          problem(a.sourceKey(), "reads like SERVICE_<port>_" + a.key().substring(underscore + 1)
              .toUpperCase(Locale.ROOT) + ", but " + AttributeValues.quote(middle)
              + " is not a port number; kept as the meta attribute " + AttributeValues.quote(a.key()));
        }
      }
    }

    /** A container that asked for a service and gets none is told why. */
    private void reportNothingToRegister(boolean noPorts) {
      Attribute name = attributes.generic().get("name");
      Attribute ignore = attributes.generic().get("ignore");
      if (ignore != null && AttributeValues.isOn(ignore.value())) {
        return;
      }
      boolean asked = (name != null && name.text().isPresent())
          || attributes.portSpecific().values().stream().anyMatch(a -> a.containsKey("name"));
      if (!asked) {
        return;
      }
      String key = name != null ? name.sourceKey() : "SERVICE_<port>_NAME";
      problem(key, noPorts
          ? "the container exposes and publishes no port; nothing registered (EXPOSE or"
              + " --expose one, or publish one with -p)"
          : "no port is published on the host; nothing registered (publish one with -p, or"
              + " run the bridge with -internal)");
    }

    private String attributeKey(int port, String key) {
      Attribute a = attributes.forPort(List.of(port)).get(key);
      return a == null ? GRAMMAR.spell(key) : a.sourceKey();
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
}
