package io.registrybridge.sink.consul;

import static java.util.Objects.requireNonNull;

import io.registrybridge.core.Health;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.kiwiproject.consul.model.agent.Registration;
import org.kiwiproject.consul.model.catalog.CatalogRegistration;
import org.kiwiproject.consul.model.catalog.ImmutableCatalogRegistration;
import org.kiwiproject.consul.model.health.ImmutableService;

/**
 * The services of a synthetic node, through the catalog API: instances that do not run on this
 * host. No agent runs this node, so nothing runs checks for it: registrations here carry none
 * (as consul-k8s's), and the source's readiness decides whether an instance is registered at all.
 */
record CatalogTarget(ConsulAgent agent, CatalogNode node) implements RegistrationTarget {

  CatalogTarget {
    requireNonNull(agent, "agent");
    requireNonNull(node, "node");
  }

  @Override
  public String where() {
    return "catalog node " + node.name();
  }

  @Override
  public String logSuffix() {
    return " on " + where();
  }

  @Override
  public Map<String, AgentService> services(String filter) {
    return agent.nodeServices(node.name(), filter);
  }

  @Override
  public Optional<AgentService> service(String serviceId) {
    return Optional.ofNullable(agent.nodeServices(node.name(),
        "ID == " + ConsulAgent.quote(serviceId)).get(serviceId));
  }

  @Override
  public Optional<String> watch(String serviceId, String token, Duration wait) {
    return agent.watchNodeService(node.name(), serviceId, token, wait);
  }

  @Override
  public void register(Registration registration) {
    agent.catalogRegister(catalogRegistration(registration));
  }

  @Override
  public boolean registersInBulk() {
    return true;
  }

  /** One transaction of Service operations: the node's own record is left as it is. */
  @Override
  public void registerAll(java.util.List<Registration> registrations) {
    agent.catalogRegisterAll(registrations.stream().map(this::catalogRegistration).toList());
  }

  /**
   * The agent-style registration on this node. {@code SkipNodeUpdate}: the first registration
   * creates the node with our address and meta (the source that reported the instance, as its
   * {@value ConsulMeta#SOURCE} says), later ones leave the node as it is, so a node shared with
   * other tools or sources is not rewritten by every write.
   */
  CatalogRegistration catalogRegistration(Registration registration) {
    ImmutableService service = ImmutableService.builder()
        .id(registration.getId())
        .service(registration.getName())
        .tags(registration.getTags())
        .address(registration.getAddress().orElse(""))
        .port(registration.getPort().orElse(0))
        .meta(registration.getMeta())
        .weights(registration.getServiceWeights())
        .build();
    return ImmutableCatalogRegistration.builder()
        .node(node.name())
        .address(CatalogNode.ADDRESS)
        .nodeMeta(CatalogNode.meta(
            Optional.ofNullable(registration.getMeta().get(ConsulMeta.SOURCE))))
        .skipNodeUpdate(true)
        .service(service)
        .build();
  }

  @Override
  public void deregister(String serviceId) {
    agent.catalogDeregister(node.name(), serviceId);
  }

  /** We never register checks here; whatever else is on the node is not ours to clean up. */
  @Override
  public Set<String> checksOf(String serviceId) {
    return Set.of();
  }

  @Override
  public void deregisterCheck(String checkId) {
    throw new IllegalStateException("no check is ever registered on a catalog node");
  }

  @Override
  public void setCheck(String checkId, Health.Status status, String note) {
    throw new IllegalStateException("no check is ever registered on a catalog node");
  }

  @Override
  public Map<String, Health.Status> checkStatuses(String checkName) {
    return Map.of();
  }
}
