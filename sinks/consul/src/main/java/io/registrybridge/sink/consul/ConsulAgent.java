package io.registrybridge.sink.consul;

import java.util.Map;
import org.kiwiproject.consul.model.agent.Registration;

/**
 * The calls of the Consul agent API the sink makes. Every method throws {@link
 * ConsulAgentException} when Consul cannot be reached or refuses the request.
 */
interface ConsulAgent extends AutoCloseable {

  /** {@code GET /v1/agent/services}: every service registered on this agent, by ID. */
  Map<String, AgentService> services();

  /** {@code PUT /v1/agent/service/register}, which creates or replaces the service. */
  void register(Registration registration);

  /** {@code PUT /v1/agent/service/deregister/:id}; the service's checks go with it. */
  void deregister(String serviceId);

  /** {@code GET /v1/agent/checks}: the ID of every check on this agent, with its service ID. */
  Map<String, String> checkServiceIds();

  /** {@code PUT /v1/agent/check/deregister/:checkId}. */
  void deregisterCheck(String checkId);

  /** {@code PUT /v1/agent/check/pass/:checkId} for a TTL check. */
  void passCheck(String checkId, String note);

  /**
   * {@code GET /v1/agent/self}: the agent's advertised LAN address, which Consul gives services
   * registered without an address of their own.
   */
  String nodeAddress();

  /** Releases connections and threads; never throws. */
  @Override
  void close();
}
