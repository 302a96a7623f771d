package io.registrybridge.sink.consul;

import static java.util.Objects.requireNonNull;

import io.registrybridge.core.Health;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.kiwiproject.consul.model.agent.Registration;

/** The local agent's own services, through the agent API: instances on this host. */
record AgentTarget(ConsulAgent agent) implements RegistrationTarget {

  AgentTarget {
    requireNonNull(agent, "agent");
  }

  @Override
  public String where() {
    return "the agent";
  }

  @Override
  public String logSuffix() {
    return "";
  }

  @Override
  public Map<String, AgentService> services(String filter) {
    return agent.services(filter);
  }

  @Override
  public Optional<AgentService> service(String serviceId) {
    return agent.service(serviceId);
  }

  @Override
  public Optional<String> watch(String serviceId, String token, Duration wait) {
    return agent.watchService(serviceId, token, wait);
  }

  @Override
  public void register(Registration registration) {
    agent.register(registration);
  }

  @Override
  public void deregister(String serviceId) {
    agent.deregister(serviceId);
  }

  @Override
  public Set<String> checksOf(String serviceId) {
    return agent.checksOf(serviceId);
  }

  @Override
  public void deregisterCheck(String checkId) {
    agent.deregisterCheck(checkId);
  }

  @Override
  public void setCheck(String checkId, Health.Status status, String note) {
    agent.setCheck(checkId, status, note);
  }

  @Override
  public Map<String, Health.Status> checkStatuses(String checkName) {
    return agent.checkStatuses(checkName);
  }
}
