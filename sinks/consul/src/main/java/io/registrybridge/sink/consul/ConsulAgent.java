package io.registrybridge.sink.consul;

import io.registrybridge.core.Health;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.kiwiproject.consul.model.agent.Registration;
import org.kiwiproject.consul.model.catalog.CatalogRegistration;

/**
 * The calls of the Consul HTTP API the sink makes: the agent API for instances on this host, the
 * catalog API for a synthetic node. Thread-safe. Every method throws
 *
 * <ul>
 *   <li>{@link io.registrybridge.core.ControlPlaneUnavailableException} (its cause a {@link
 *       ConsulAgentException}) when Consul cannot take requests now: no answer, HTTP 429, or a
 *       5xx that is not about this request ({@link ConsulAgentException#unavailable()});
 *   <li>{@link ConsulAgentException} when Consul refused this one request (400, 403, 404, ...);
 *   <li>any other {@link RuntimeException} when the request could not even be built or its
 *       answer read (Retrofit refusing an ID such as {@code ..} in a path, a serialization
 *       error): like a refusal, that concerns the one service it is about.
 * </ul>
 */
interface ConsulAgent extends AutoCloseable {

  /**
   * {@code GET /v1/status/leader}: whether the agent answers and knows a leader, the cheapest
   * question it answers; false for no answer. Never throws.
   */
  default boolean answers() {
    return false;
  }

  /**
   * {@code GET /v1/agent/services?filter=...}: the services registered on this agent that match
   * the filter expression (Consul 1.4+), by ID. Older agents ignore the filter and return all.
   */
  Map<String, AgentService> services(String filter);

  /** {@code GET /v1/agent/service/:id}: one service, empty when the agent has no such service. */
  Optional<AgentService> service(String serviceId);

  /**
   * {@code GET /v1/agent/service/:id?hash=..&wait=..}: blocks until the service's content hash
   * differs from {@code hash} or {@code wait} passes (an empty {@code hash} answers at once).
   *
   * @return the service's current content hash; empty when the agent has no such service
   */
  Optional<String> watchService(String serviceId, String hash, Duration wait);

  /** {@code PUT /v1/agent/service/register}, which creates or replaces the service. */
  void register(Registration registration);

  /** {@code PUT /v1/agent/service/deregister/:id}; the service's checks go with it. */
  void deregister(String serviceId);

  /** {@code GET /v1/agent/checks?filter=ServiceID==...}: the IDs of one service's checks. */
  Set<String> checksOf(String serviceId);

  /** {@code PUT /v1/agent/check/deregister/:checkId}. */
  void deregisterCheck(String checkId);

  /** {@code PUT /v1/agent/check/pass/:checkId} for a TTL check. */
  default void passCheck(String checkId, String note) {
    setCheck(checkId, Health.Status.PASSING, note);
  }

  /** {@code PUT /v1/agent/check/{pass,warn,fail}/:checkId} for a TTL check. */
  void setCheck(String checkId, Health.Status status, String note);

  /**
   * {@code GET /v1/agent/checks?filter=Name==...}: the status of every check with that name, by
   * check ID. Older agents ignore the filter; the result is then filtered here.
   */
  Map<String, Health.Status> checkStatuses(String checkName);

  /**
   * {@code GET /v1/agent/self}: the agent's advertised LAN address, which Consul gives services
   * registered without an address of their own.
   */
  String nodeAddress();

  /**
   * {@code GET /v1/catalog/node/:node?filter=...}: the services of a catalog node that match the
   * filter (Consul 1.5+ filters this endpoint), by ID; empty when the node does not exist.
   */
  Map<String, AgentService> nodeServices(String node, String filter);

  /**
   * {@code GET /v1/catalog/node/:node?filter=ID == ..&index=..&wait=..}: blocks until the
   * node's services change or {@code wait} passes (an empty {@code index} answers at once).
   * Index-based, because catalog endpoints have no hash-based blocking.
   *
   * @return the index to block on next; empty when the node has no such service
   */
  Optional<String> watchNodeService(String node, String serviceId, String index, Duration wait);

  /** {@code PUT /v1/catalog/register}, which creates or replaces the service on its node. */
  void catalogRegister(CatalogRegistration registration);

  /** Consul 1.8's limit of operations in one transaction (later versions allow 128). */
  int MAX_TXN_OPS = 64;

  /**
   * Registers services on existing catalog nodes in one atomic {@code PUT /v1/txn} (Service
   * "set" operations, at most {@link #MAX_TXN_OPS}); Consul applies all or none of them. This
   * default sends them one by one (a test agent's), without the atomicity.
   */
  default void catalogRegisterAll(List<CatalogRegistration> registrations) {
    registrations.forEach(this::catalogRegister);
  }

  /** {@code PUT /v1/catalog/deregister} of one service of a node; an unknown ID is no error. */
  void catalogDeregister(String node, String serviceId);

  /** Releases connections and threads; never throws. */
  @Override
  void close();

  /**
   * Turns {@code registration} into its request body as a write would, without sending it, so
   * that the client's serializers exist before the first write ({@link ConsulSink#warmUp}). The
   * default does nothing.
   */
  default void encode(Registration registration) {}

  /** A string literal of Consul's filter language (go-bexpr), quoted and escaped. */
  static String quote(String value) {
    return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }
}
