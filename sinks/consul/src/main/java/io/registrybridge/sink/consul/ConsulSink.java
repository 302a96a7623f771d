package io.registrybridge.sink.consul;

import static java.util.Objects.requireNonNull;

import io.registrybridge.core.ControlPlaneUnavailableException;
import io.registrybridge.core.DesiredState;
import io.registrybridge.core.DesiredView;
import io.registrybridge.core.Placement;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.Sink;
import io.registrybridge.core.SinkContext;
import io.registrybridge.core.SinkTiming;
import io.registrybridge.core.SyncResult;
import java.time.Clock;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps Consul equal to the desired state: instances on this host ({@link Placement#THIS_HOST})
 * as the local agent's services, through the agent API ({@code /v1/agent/services}, {@code
 * /v1/agent/service/register}, {@code .../deregister}); instances from elsewhere ({@link
 * Placement#ELSEWHERE}, e.g. Kubernetes endpoints) on synthetic catalog nodes, through the
 * catalog API ({@code /v1/catalog/node/:node}, {@code /v1/catalog/register}, {@code
 * .../deregister}), as consul-k8s's catalog sync does. Create it with {@link ConsulSinkFactory}.
 *
 * <p>Each instance from elsewhere goes on the node its source names ({@link
 * ServiceInstance#node()}, the Kubernetes source's {@code -k8s-consul-node}), or on {@value
 * CatalogNode#DEFAULT_NAME} when it names none.
 *
 * <p>Everything below holds for the agent and for each node, through one {@link TargetSync}
 * each; a catalog node differs only in that its registrations carry no checks (no agent runs
 * them), that legacy cleanup never applies, and that a full sync reads it back only when a
 * desired instance names it, when it holds something of ours, or when it was never read
 * (the default node, at the first full sync: so that what a bridge registered there before a
 * restart is removed even when nothing from elsewhere is desired any more). A node is known
 * from the moment something names it until the sink closes, so one that nothing desired
 * names any more still has what we registered there removed. A node that a restarted bridge is
 * no longer told about (the flag renamed while it was down) is not read back: what we left
 * there stays (docs/consul-sink.md says how to remove it).
 *
 * <h2>Ownership</h2>
 *
 * Every registration carries {@code Meta.registry-bridge-owner = ownerId}. The sink only updates
 * and deregisters services that carry its own owner ID; services registered by anything else
 * (including other bridges and Consul itself) are never touched, even when not desired, and a
 * desired service whose ID is taken by such a foreign service is skipped with a warning. Whether an
 * ID is taken is known from the last full read for IDs of this bridge's own form ({@code
 * <owner>:...}, which that read lists whoever holds them: {@link Ownership#readFilter()}); for
 * any other ID (a {@code SERVICE_ID}), the sink asks the agent before it creates it.
 *
 * <p>The one exception is opt-in: with {@link ConsulSinkConfig#cleanupLegacy()} (Registrator's
 * {@code -cleanup}), services that have no owner marker and whose ID starts with {@link
 * ConsulSinkConfig#legacyIdPrefix()} (Registrator's {@code <host>:<container>:<port>[:udp]}) are
 * managed too: deregistered when not desired, and taken over (re-registered with our marker) when
 * a desired service has the same ID. This is how a host migrates off a real Registrator.
 *
 * <h2>Incremental and full</h2>
 *
 * The sink keeps a mirror of what the agent holds of ours: filled by the last full read ({@link
 * #sync}) and by its own successful writes. A change ({@link #apply}) is compared with the mirror
 * through {@code Meta.registry-bridge-hash}, the hash of everything the sink sends (checks
 * included), so it costs one PUT or DELETE and no read, and an unchanged service costs nothing.
 * A full read asks only for our own services, with Consul's {@code filter} on the owner marker.
 * Nothing a source reported is deleted before that source has listed once; each registration
 * carries its source ({@value ConsulMeta#SOURCE}), so one source being down delays only its own
 * deletions. When many writes are due (start-up,
 * an agent that lost its state) they go out {@link ConsulSinkConfig#writeConcurrency()} at a time.
 *
 * <p>An agent that lost its state (a restart in dev mode) is noticed by a {@link SentinelWatch},
 * a blocking query on one service we own, which asks the reconciler for a full sync; a second
 * one per catalog node watches that node while it holds something of ours.
 *
 * <h2>Errors</h2>
 *
 * Only Consul being unavailable as a whole backs the sink off: no answer (connection refused, a
 * timeout, TLS), HTTP 429, or a 5xx that is not about the request alone. Then the remaining
 * writes are abandoned and the call throws {@link
 * io.registrybridge.core.ControlPlaneUnavailableException}, so the reconciler backs off and
 * starts over with a full sync; a full read that Consul refuses (an unknown token) does the same.
 *
 * <p>Everything else concerns one service ID and never stops the others: when Consul refuses a
 * registration (HTTP 400, 403, 404, script checks disabled on the agent) or planning or sending
 * it throws (a client-side {@link IllegalArgumentException}, a serialization error, a bug), the
 * service is logged once, with its origin and the reason (never meta values), and skipped; the
 * same registration is sent again only when it changes, or after {@value
 * TargetSync#REJECTED_RETRY_MINUTES} minutes (a failed deregistration likewise waits that long).
 * A health check that cannot be set is registered again, after a per-ID backoff ({@link
 * SyncResult#retry()}). An entry of the full read that cannot be understood is left out with a
 * warning.
 *
 * <h2>TTL</h2>
 *
 * With {@link ConsulSinkConfig#ttl()} set, every registration gets a TTL check {@code
 * service:<id>:ttl} and {@link #passTtlChecks()} (scheduled by {@link TtlHeartbeat} on a thread of
 * its own) passes them. These passes are the only writes at steady state, and only when TTL is
 * configured.
 *
 * <p>{@link #apply} and {@link #sync} must be called from one thread at a time; {@link
 * #passTtlChecks()} and the watches run concurrently with them and only read the mirrors.
 */
public final class ConsulSink implements Sink {
  private static final Logger log = LoggerFactory.getLogger(ConsulSink.class);

  static final int PROBE_MILLIS = 100;
  private final ConsulAgent agent;
  private final ConsulSinkConfig config;
  private final RegistrationWrites.Pool writePool;
  private final TargetSync onAgent;
  private final CatalogSides catalog;
  private final SentinelWatch agentWatch;
  // IDs whose TTL pass failed unexpectedly, so that each is logged once, not every round.
  private final Set<String> ttlFailuresReported = ConcurrentHashMap.newKeySet();

  ConsulSink(ConsulAgent agent, ConsulSinkConfig config, Clock clock) {
    this.agent = requireNonNull(agent, "agent");
    this.config = requireNonNull(config, "config");
    requireNonNull(clock, "clock");
    this.writePool = new RegistrationWrites.Pool(config.writeConcurrency());
    // Shared: the agent and the catalog node serve one DNS, so a name is reported once.
    DnsNames dnsNames = new DnsNames();
    this.onAgent = new TargetSync(name(), new AgentTarget(agent),
        new RegistrationMapper(config.ownerId(), config.ttl()),
        // The IDs a source generates here are "<owner>:...": SinkHost#ownerId is the host name.
        new Ownership(config.ownerId(), config.legacyCleanupPrefix(),
            Optional.of(config.ownerId() + ":")), agent::nodeAddress, clock,
        writePool, dnsNames);
    // Registrator never wrote to the catalog, so there is nothing legacy to clean up there.
    this.catalog = new CatalogSides(node -> new TargetSync(name(), new CatalogTarget(agent, node),
        RegistrationMapper.forCatalog(config.ownerId()),
        new Ownership(config.ownerId(), Optional.empty()), agent::nodeAddress, clock, writePool,
        dnsNames));
    // Known from the start, so that the first full sync reads it back (see the class comment).
    catalog.of(CatalogNode.DEFAULT);
    this.agentWatch = SentinelWatch.on("consul-watch", onAgent);
  }

  @Override
  public java.util.Optional<io.registrybridge.core.IdState> explain(ServiceInstance instance) {
    return onAgent.explain(instance.id()).or(() -> catalog.all().stream()
        .flatMap(side -> side.sync().explain(instance.id()).stream()).findFirst());
  }

  /** Service IDs Consul refuses now, on the agent and every catalog node; any thread. */
  public int rejectedNow() {
    return onAgent.rejectedNow()
        + catalog.all().stream().mapToInt(side -> side.sync().rejectedNow()).sum();
  }

  /** Refusals since start, on the agent and every catalog node; any thread. */
  public long rejections() {
    return onAgent.rejections()
        + catalog.all().stream().mapToLong(side -> side.sync().rejections()).sum();
  }

  /**
   * While backing off, the agent is asked who the leader is every {@value #PROBE_MILLIS} ms (10
   * cheap requests a second to an agent that is down: each is a refused connection or a short
   * answer), so that the first write follows within about that much once it answers, whatever
   * the backoff had grown to.
   */
  @Override
  public Optional<java.time.Duration> probeInterval() {
    return Optional.of(java.time.Duration.ofMillis(PROBE_MILLIS));
  }

  @Override
  public boolean answers() {
    return agent.answers();
  }

  @Override
  public String name() {
    return config.sinkName();
  }

  public ConsulSinkConfig config() {
    return config;
  }

  @Override
  public SinkTiming timing() {
    return new SinkTiming(config.verifyInterval());
  }

  /** Starts watching the agent and the catalog nodes for lost state. */
  @Override
  public void start(SinkContext context) {
    agentWatch.start(context);
    catalog.start(context);
  }

  @Override
  public SyncResult apply(Set<String> ids, DesiredView desired) {
    // One read per ID, so that an instance moving between placements meanwhile is seen by both
    // sides the same way: registered on one, deregistered from the other.
    Map<String, ServiceInstance> wanted = new HashMap<>();
    for (String id : ids) {
      desired.get(id).ifPresent(instance -> wanted.put(id, instance));
    }
    SyncResult result = onAgent.apply(ids, id -> Optional.ofNullable(wanted.get(id))
        .filter(i -> i.placement() == Placement.THIS_HOST), desired::mayDelete);
    wanted.values().stream().filter(i -> i.placement() == Placement.ELSEWHERE)
        .forEach(i -> catalog.of(CatalogNode.of(i)));
    // Every node, not only those named now: an ID that moved node, or went, leaves its old one.
    for (CatalogSides.Side side : catalog.all()) {
      result = result.plus(side.sync().apply(ids, onNode(wanted, side.node()),
          desired::mayDelete));
    }
    return result;
  }

  private static Function<String, Optional<ServiceInstance>> onNode(
      Map<String, ServiceInstance> wanted, CatalogNode node) {
    return id -> Optional.ofNullable(wanted.get(id))
        .filter(i -> i.placement() == Placement.ELSEWHERE && CatalogNode.of(i).equals(node));
  }

  /**
   * Reads our services back and makes every desired and held ID right: on the agent always, on
   * a catalog node when a desired instance names it, when it holds something of ours, or when it
   * was never read; so that a bridge with nothing from elsewhere reads the catalog once, the
   * default node at its first full sync.
   */
  @Override
  public SyncResult sync(DesiredState desired) {
    Map<String, ServiceInstance> here = new HashMap<>();
    Map<CatalogNode, Map<String, ServiceInstance>> byNode = new HashMap<>();
    desired.services().forEach((id, instance) -> {
      if (instance.placement() == Placement.THIS_HOST) {
        here.put(id, instance);
      } else {
        byNode.computeIfAbsent(CatalogNode.of(instance), node -> new HashMap<>())
            .put(id, instance);
      }
    });
    SyncResult result = onAgent.sync(here, desired::mayDelete);
    byNode.keySet().forEach(catalog::of);
    for (CatalogSides.Side side : catalog.all()) {
      Map<String, ServiceInstance> onNode = byNode.getOrDefault(side.node(), Map.of());
      TargetSync sync = side.sync();
      if (!onNode.isEmpty() || sync.holdsAny() || !sync.hasRead()) {
        result = result.plus(sync.sync(onNode, desired::mayDelete));
      }
    }
    return result;
  }

  /**
   * Plans {@code sample} as a registration on the agent and on a catalog node, and encodes both as
   * the write would: the mapper, the hash and the JSON serializers, about 50 ms the first time.
   * Nothing is sent, and no mirror or cache of the sink sees the sample.
   */
  @Override
  public void warmUp(ServiceInstance sample) {
    agent.encode(onAgent.rendered(sample));
    agent.encode(catalog.of(CatalogNode.DEFAULT).sync().rendered(sample));
  }

  /**
   * Passes the bridge's TTL check of every service this sink registered on the agent (catalog
   * registrations have no checks). Does nothing without a configured TTL. A service the agent
   * lost is skipped (the next sync registers it again).
   *
   * @return how many checks were passed
   * @throws ControlPlaneUnavailableException when the agent does not answer; the remaining checks
   *     wait for the next round
   */
  public int passTtlChecks() {
    if (config.ttl().isEmpty()) {
      return 0;
    }
    int passed = 0;
    Set<String> held = new HashSet<>();
    for (HeldService service : onAgent.held()) {
      if (service.legacy()) {
        continue;
      }
      held.add(service.id());
      try {
        agent.passCheck(RegistrationMapper.ttlCheckId(service.id()), "");
        passed++;
      } catch (ConsulAgentException e) {
        // A check the agent lost: the next full sync registers it again.
        log.debug("{}: cannot pass the TTL check of {} (HTTP {})", name(), service.id(),
            e.status());
      } catch (ControlPlaneUnavailableException e) {
        throw e;
      } catch (RuntimeException e) {
        // About this one check (a bug, an ID the client refuses): the others still pass.
        if (ttlFailuresReported.add(service.id())) {
          log.warn("{}: cannot pass the TTL check of {}: {}", name(), service.id(),
              e.toString());
        }
      }
    }
    ttlFailuresReported.retainAll(held);
    return passed;
  }

  /** Stops the watches and the writers and releases the connection pool; registrations stay. */
  @Override
  public void close() {
    agentWatch.close();
    catalog.close();
    writePool.close();
    try {
      agent.close();
    } catch (RuntimeException e) {
      log.debug("{}: error while closing", name(), e);
    }
  }
}
