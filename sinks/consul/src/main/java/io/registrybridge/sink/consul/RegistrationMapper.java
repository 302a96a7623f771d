package io.registrybridge.sink.consul;

import static java.util.Objects.requireNonNull;

import io.registrybridge.core.Health;
import io.registrybridge.core.ServiceCheck;
import io.registrybridge.core.ServiceInstance;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.kiwiproject.consul.model.agent.ImmutableRegCheck;
import org.kiwiproject.consul.model.agent.ImmutableRegistration;
import org.kiwiproject.consul.model.agent.Registration;
import org.kiwiproject.consul.model.agent.Registration.RegCheck;
import org.kiwiproject.consul.model.catalog.ImmutableServiceWeights;

/**
 * Turns a {@link ServiceInstance} into the body of {@code PUT /v1/agent/service/register}.
 *
 * <ul>
 *   <li>ID, Name, Port and Tags as given; Address only when the instance has one, so that Consul
 *       uses the node's address otherwise
 *   <li>Meta: the instance's meta, {@code protocol} when known, {@value ConsulMeta#OWNER},
 *       {@value ConsulMeta#SOURCE} and {@value ConsulMeta#HASH}
 *   <li>Weights only when the instance has a weight: {@code Passing} is the weight, {@code
 *       Warning} stays at Consul's default of 1. Without one, nothing is sent and Consul applies
 *       its defaults, so the registrations (and hashes) of unweighted instances do not change
 *   <li>Checks, in the instance's order, with CheckIDs {@code service:<id>:1}, {@code :2}, ...;
 *       HTTP, TCP, gRPC and script checks run every 10 s unless told otherwise (Registrator's
 *       default); a script check runs its command line with {@code /bin/sh -c}
 *   <li>With a TTL configured, one more check {@code service:<id>:ttl}, passing from the start,
 *       that {@link TtlHeartbeat} keeps passing
 *   <li>With a mirrored health ({@link ServiceInstance#health()}, a Docker {@code HEALTHCHECK}),
 *       one more check {@code service:<id>:docker-health}: a TTL check that nothing but the
 *       sink updates, registered with the current status. Its TTL is a year: a check that
 *       nobody reports on turns critical when its TTL runs out, and Docker only reports
 *       changes, so the TTL must outlast any quiet period; the status stays right because every
 *       change of Docker's status is written at once
 * </ul>
 *
 * <p>{@link #forCatalog} maps for a synthetic catalog node, where no agent would run a check:
 * the same, without checks, each instance's checks named in a warning instead.
 */
final class RegistrationMapper {
  static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);
  static final String TTL_CHECK_NAME = "registry-bridge TTL";
  static final String HEALTH_CHECK_NAME = "Docker health";
  static final String HEALTH_CHECK_TTL = "8760h";
  /** Consul's own default for {@code Weights.Warning}, kept when only the passing weight is set. */
  static final int DEFAULT_WARNING_WEIGHT = 1;

  private final String ownerId;
  private final Optional<ConsulSinkConfig.Ttl> ttl;
  private final boolean withChecks;

  RegistrationMapper(String ownerId, Optional<ConsulSinkConfig.Ttl> ttl) {
    this(ownerId, ttl, true);
  }

  private RegistrationMapper(String ownerId, Optional<ConsulSinkConfig.Ttl> ttl,
      boolean withChecks) {
    this.ownerId = requireNonNull(ownerId, "ownerId");
    this.ttl = requireNonNull(ttl, "ttl");
    this.withChecks = withChecks;
  }

  /** For a catalog node: no checks, no TTL check, a warning for each instance that has checks. */
  static RegistrationMapper forCatalog(String ownerId) {
    return new RegistrationMapper(ownerId, Optional.empty(), false);
  }

  /** Whether registrations carry checks, and so may need the node's address for them. */
  boolean withChecks() {
    return withChecks;
  }

  static String checkId(String serviceId, int position) {
    return "service:" + serviceId + ":" + position;
  }

  static String ttlCheckId(String serviceId) {
    return "service:" + serviceId + ":ttl";
  }

  static String healthCheckId(String serviceId) {
    return "service:" + serviceId + ":docker-health";
  }

  /** Maps an instance whose checks do not name the node's address. */
  PlannedRegistration map(ServiceInstance instance) {
    return map(instance, "");
  }

  /**
   * @param nodeAddress the agent's address, replacing {@link ServiceCheck#NODE_ADDRESS} in check
   *     targets (the instance has no address of its own, so Consul gives it the node's)
   */
  PlannedRegistration map(ServiceInstance instance, String nodeAddress) {
    List<String> warnings = new ArrayList<>();
    List<RegCheck> checks = new ArrayList<>();
    if (!withChecks && !instance.checks().isEmpty()) {
      warnings.add(instance.checks().size() + " health check(s) not registered: the instance is"
          + " registered on a catalog node, where no Consul agent runs checks; its source's"
          + " readiness decides whether it is registered");
    }
    if (!withChecks && instance.address().isEmpty()) {
      warnings.add("no address: Consul gives it the catalog node's " + CatalogNode.ADDRESS
          + ", which reaches nothing");
    }
    for (int i = 0; withChecks && i < instance.checks().size(); i++) {
      checks.add(check(instance.id(), i + 1, instance.checks().get(i), nodeAddress, warnings));
    }
    ttl.ifPresent(t -> checks.add(ImmutableRegCheck.builder()
        .id(ttlCheckId(instance.id()))
        .name(TTL_CHECK_NAME)
        .ttl(GoDurations.format(t.ttl()))
        .status("passing")
        .notes("passed by registry-bridge every " + GoDurations.format(t.refresh()))
        .build()));

    // A catalog node has no agent to show a check (see forCatalog): nothing to mirror there.
    Optional<Health> health = withChecks ? instance.health() : Optional.empty();
    health.ifPresent(h -> checks.add(ImmutableRegCheck.builder()
        .id(healthCheckId(instance.id()))
        .name(HEALTH_CHECK_NAME)
        .ttl(HEALTH_CHECK_TTL)
        .notes("the container's Docker HEALTHCHECK, mirrored by registry-bridge")
        .build()));

    SortedMap<String, String> meta = new TreeMap<>(instance.meta());
    instance.protocol().ifPresent(protocol -> meta.put(ConsulMeta.PROTOCOL, protocol.spelling()));
    meta.put(ConsulMeta.OWNER, ownerId);
    if (!instance.source().isEmpty()) {
      meta.put(ConsulMeta.SOURCE, instance.source());
    }

    ImmutableRegistration.Builder builder = ImmutableRegistration.builder()
        .id(instance.id())
        .name(instance.name())
        .port(instance.port())
        .tags(instance.tags())
        .checks(checks);
    if (!instance.address().isEmpty()) {
      builder.address(instance.address());
    }
    instance.weight().ifPresent(weight -> builder.serviceWeights(
        ImmutableServiceWeights.builder().passing(weight).warning(DEFAULT_WARNING_WEIGHT).build()));
    Registration unhashed = builder.meta(meta).build();
    String hash = RegistrationHash.of(unhashed);
    meta.put(ConsulMeta.HASH, hash);
    // The status goes in after hashing: it only counts when Consul creates the check.
    List<RegCheck> sent = checks.stream().map(check -> check.getId()
        .filter(id -> id.equals(healthCheckId(instance.id())))
        .<RegCheck>map(id -> ImmutableRegCheck.copyOf(check)
            .withStatus(health.orElseThrow().status().spelling()))
        .orElse(check)).toList();
    return new PlannedRegistration(
        ImmutableRegistration.copyOf(unhashed).withMeta(meta).withChecks(sent), hash, warnings,
        health);
  }

  private static RegCheck check(String serviceId, int position, ServiceCheck check,
      String nodeAddress, List<String> warnings) {
    ImmutableRegCheck.Builder b = ImmutableRegCheck.builder().id(checkId(serviceId, position));
    String interval = GoDurations.format(check.interval().orElse(DEFAULT_INTERVAL));
    String host = nodeAddress.contains(":") ? "[" + nodeAddress + "]" : nodeAddress;
    // In a script the placeholder stood for $SERVICE_IP, which takes no brackets.
    String target = check.type() == ServiceCheck.Type.SCRIPT
        ? check.target().replace(ServiceCheck.NODE_ADDRESS, nodeAddress)
        : check.target().replace(ServiceCheck.NODE_ADDRESS, host);
    switch (check.type()) {
      case HTTP -> {
        b.http(target).interval(interval);
        check.httpMethod()
            .filter(method -> !method.equalsIgnoreCase("GET"))
            .ifPresent(method -> warnings.add("check " + position + " asks for HTTP method "
                + method + ", but consul-client cannot send a method; Consul will use GET"));
      }
      case TCP -> b.tcp(target).interval(interval);
      case GRPC -> b.grpc(target).interval(interval);
      case SCRIPT -> b.args(List.of("/bin/sh", "-c", target)).interval(interval);
      case TTL -> b.ttl(GoDurations.format(check.ttl().orElseThrow()));
    }
    if (check.type() != ServiceCheck.Type.TTL) {
      check.timeout().ifPresent(timeout -> b.timeout(GoDurations.format(timeout)));
    }
    if (check.tlsSkipVerify()) {
      b.tlsSkipVerify(true);
    }
    check.deregisterCriticalAfter()
        .ifPresent(after -> b.deregisterCriticalServiceAfter(GoDurations.format(after)));
    check.initialStatus()
        .ifPresent(status -> b.status(status.name().toLowerCase(Locale.ROOT)));
    return b.build();
  }
}
