package io.registrybridge.sink.consul;

import io.registrybridge.core.Health;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.kiwiproject.consul.model.agent.Registration;

/**
 * Where the sink keeps one set of registrations: the local agent's services ({@link
 * AgentTarget}, instances on this host) or a synthetic catalog node ({@link CatalogTarget},
 * instances from elsewhere). {@link TargetSync} holds the mirror and the diff for each, so both
 * get the same guarantees; a target only knows its HTTP calls. Every method fails like {@link
 * ConsulAgent}'s. Thread-safe.
 */
interface RegistrationTarget {

  /** Where the registrations are, for log lines: {@code the agent}, {@code catalog node x}. */
  String where();

  /** Appended to log lines about one service: empty for the agent, as they always read. */
  String logSuffix();


  /** The services here that match a filter expression, by ID. */
  Map<String, AgentService> services(String filter);

  /** One service, empty when there is none with this ID. */
  Optional<AgentService> service(String serviceId);

  /**
   * Blocks until the service changes or {@code wait} passes.
   *
   * @param token what the previous call returned; empty answers at once
   * @return the token for the next call; empty when the service is gone
   */
  Optional<String> watch(String serviceId, String token, Duration wait);

  /** Creates or replaces a service. */
  void register(Registration registration);

  /**
   * Whether {@link #registerAll} writes several services in one request (the catalog's
   * transactions); the agent API has no such thing.
   */
  default boolean registersInBulk() {
    return false;
  }

  /**
   * Creates or replaces these services (at most {@link ConsulAgent#MAX_TXN_OPS}) all at once or
   * not at all; the target must exist already (a catalog node: {@link #register} creates it).
   */
  default void registerAll(java.util.List<Registration> registrations) {
    throw new UnsupportedOperationException(where() + " registers one service at a time");
  }

  void deregister(String serviceId);

  /** The IDs of one service's checks. */
  Set<String> checksOf(String serviceId);

  void deregisterCheck(String checkId);

  /** Sets a TTL check's status (agent only: a catalog node has no checks of ours). */
  void setCheck(String checkId, Health.Status status, String note);

  /** The status of every check with this name, by check ID (agent only, as above). */
  Map<String, Health.Status> checkStatuses(String checkName);
}
