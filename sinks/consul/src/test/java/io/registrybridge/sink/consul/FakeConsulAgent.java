package io.registrybridge.sink.consul;

import io.registrybridge.core.ControlPlaneUnavailableException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.kiwiproject.consul.model.agent.Registration;

/**
 * An in-memory agent, with the catalog's synthetic nodes, that records every call and fails on
 * request.
 */
final class FakeConsulAgent implements ConsulAgent {
  /** Catalog nodes other than the agent's: node name to its services by ID. */
  final Map<String, Map<String, AgentService>> nodes = new TreeMap<>();
  final Map<String, org.kiwiproject.consul.model.catalog.CatalogRegistration>
      catalogRegistrations = new TreeMap<>();
  final Map<String, AgentService> services = new TreeMap<>();
  final Map<String, Registration> registrations = new TreeMap<>();
  /** Check ID to service ID; like Consul 1.8, a re-registration adds checks but keeps old ones. */
  final Map<String, String> checks = new TreeMap<>();
  /** What setCheck last set, by check ID. */
  final Map<String, io.registrybridge.core.Health.Status> statuses = new TreeMap<>();
  final List<String> calls = new ArrayList<>();
  /** The catalog node of every full read of one ({@code catalog-services} in {@link #calls}). */
  final List<String> nodeReads = new ArrayList<>();
  /** What each call for an ID throws: as KiwiConsulAgent would, or anything else. */
  final Map<String, RuntimeException> registerFailures = new HashMap<>();
  final Map<String, RuntimeException> deregisterFailures = new HashMap<>();
  final Map<String, RuntimeException> passFailures = new HashMap<>();
  /** What a lookup of this ID throws. */
  final Map<String, RuntimeException> lookupFailures = new HashMap<>();
  RuntimeException servicesFailure;
  /** Filters answered with HTTP 400, as an agent without the operator they use does. */
  java.util.function.Predicate<String> refuseFilter = filter -> false;
  RuntimeException checksFailure;
  String nodeAddress = "192.0.2.10";
  RuntimeException nodeAddressFailure;
  /** Thrown by every check update while set. */
  volatile Error passError;

  @Override
  public synchronized String nodeAddress() {
    calls.add("self");
    if (nodeAddressFailure != null) {
      throw nodeAddressFailure;
    }
    return nodeAddress;
  }

  boolean closed;

  static ConsulAgentException answered(int status, String message) {
    return new ConsulAgentException(status, message, null);
  }

  /** What KiwiConsulAgent throws when Consul does not answer. */
  static ControlPlaneUnavailableException unreachable() {
    return (ControlPlaneUnavailableException) new ConsulAgentException(
        ConsulAgentException.NO_RESPONSE,
        "Consul request to [http://127.0.0.1:8500/v1/agent/service/register] failed due to "
            + "IOException", null).surfaced();
  }

  /** What KiwiConsulAgent throws for an HTTP error answer. */
  static RuntimeException failed(int status, String message) {
    return answered(status, message).surfaced();
  }

  /** A service registered by someone else, as Consul would report it. */
  void putForeign(String id, String name, Map<String, String> meta) {
    services.put(id, new AgentService(id, name, "", 80, List.of(), meta));
  }

  /** Like an agent older than 1.4 when false: the filter is ignored. */
  boolean honoursFilter = true;
  final List<String> filters = new ArrayList<>();

  @Override
  public synchronized Map<String, AgentService> services(String filter) {
    calls.add("services");
    filters.add(filter);
    if (servicesFailure != null) {
      throw servicesFailure;
    }
    if (refuseFilter.test(filter)) {
      throw failed(400, "Failed to create boolean expression evaluator");
    }
    Map<String, AgentService> result = new LinkedHashMap<>(services);
    if (honoursFilter) {
      boolean negated = filter.startsWith("not (");
      result.values().removeIf(s -> matches(filter, s) == negated);
    }
    return result;
  }

  /** The two filters the sink sends: owner equals X, optionally "or no owner". */
  private static boolean matches(String filter, AgentService service) {
    java.util.regex.Matcher owner = java.util.regex.Pattern
        .compile("Meta\\[\"registry-bridge-owner\"\\] == \"([^\"]*)\"").matcher(filter);
    if (!owner.find()) {
      throw new AssertionError("unexpected filter: " + filter);
    }
    String have = service.meta().get("registry-bridge-owner");
    boolean orUnowned = filter.contains("\"registry-bridge-owner\" not in Meta");
    // The namespace clause, as Consul reads it: a go-bexpr string holding an RE2 pattern (whose
    // \x{hh} escapes java.util.regex reads alike).
    java.util.regex.Matcher idMatches = java.util.regex.Pattern
        .compile("ID matches \"((?:[^\"\\\\]|\\\\.)*)\"").matcher(filter);
    boolean inNamespace = idMatches.find() && java.util.regex.Pattern
        .compile(idMatches.group(1).replace("\\\\", "\\")).matcher(service.id()).find();
    return owner.group(1).equals(have) || (orUnowned && have == null) || inNamespace;
  }

  @Override
  public synchronized java.util.Optional<AgentService> service(String serviceId) {
    calls.add("service " + serviceId);
    if (servicesFailure != null) {
      throw servicesFailure;
    }
    RuntimeException failure = lookupFailures.get(serviceId);
    if (failure != null) {
      throw failure;
    }
    return java.util.Optional.ofNullable(services.get(serviceId));
  }

  @Override
  public synchronized java.util.Optional<String> watchService(String serviceId, String hash,
      java.time.Duration wait) {
    AgentService service = services.get(serviceId);
    return service == null ? java.util.Optional.empty()
        : java.util.Optional.of(Integer.toHexString(service.hashCode()));
  }

  @Override
  public synchronized void register(Registration r) {
    calls.add("register " + r.getId());
    RuntimeException failure = registerFailures.get(r.getId());
    if (failure != null) {
      throw failure;
    }
    registrations.put(r.getId(), r);
    r.getChecks().forEach(check -> {
      String id = check.getId().orElseThrow();
      // Like Consul: a new check starts with the status it is registered with, an existing
      // one keeps its own.
      if (checks.put(id, r.getId()) == null) {
        check.getStatus().flatMap(io.registrybridge.core.Health.Status::parse)
            .ifPresent(status -> statuses.put(id, status));
      }
    });
    services.put(r.getId(), new AgentService(r.getId(), r.getName(), r.getAddress().orElse(""),
        r.getPort().orElse(0), r.getTags(), r.getMeta()));
  }

  @Override
  public synchronized void deregister(String serviceId) {
    calls.add("deregister " + serviceId);
    RuntimeException failure = deregisterFailures.get(serviceId);
    if (failure != null) {
      throw failure;
    }
    services.remove(serviceId);
    registrations.remove(serviceId);
    checks.values().removeIf(serviceId::equals);
  }

  @Override
  public synchronized java.util.Set<String> checksOf(String serviceId) {
    calls.add("checks " + serviceId);
    java.util.Set<String> ids = new java.util.TreeSet<>();
    checks.forEach((check, service) -> {
      if (service.equals(serviceId)) {
        ids.add(check);
      }
    });
    return ids;
  }

  @Override
  public synchronized void deregisterCheck(String checkId) {
    calls.add("deregister-check " + checkId);
    checks.remove(checkId);
  }

  @Override
  public synchronized void setCheck(String checkId,
      io.registrybridge.core.Health.Status status, String note) {
    calls.add((status == io.registrybridge.core.Health.Status.PASSING ? "pass" : status.spelling())
        + " " + checkId);
    if (passError != null) {
      throw passError;
    }
    RuntimeException failure = passFailures.get(checkId);
    if (failure != null) {
      throw failure;
    }
    statuses.put(checkId, status);
  }

  @Override
  public synchronized Map<String, io.registrybridge.core.Health.Status> checkStatuses(
      String checkName) {
    calls.add("check-statuses " + checkName);
    if (checksFailure != null) {
      throw checksFailure;
    }
    Map<String, io.registrybridge.core.Health.Status> known = new java.util.TreeMap<>();
    statuses.forEach((check, status) -> {
      if (checks.containsKey(check)) {
        known.put(check, status);
      }
    });
    return known;
  }

  @Override
  public synchronized void close() {
    closed = true;
  }

  @Override
  public synchronized Map<String, AgentService> nodeServices(String node, String filter) {
    java.util.regex.Matcher byId = java.util.regex.Pattern.compile("ID == \"([^\"]*)\"")
        .matcher(filter);
    calls.add(byId.matches() ? "catalog-service " + byId.group(1) : "catalog-services");
    if (!byId.matches()) {
      nodeReads.add(node);
    }
    if (servicesFailure != null) {
      throw servicesFailure;
    }
    Map<String, AgentService> result = new LinkedHashMap<>(nodes.getOrDefault(node, Map.of()));
    if (byId.matches()) {
      result.keySet().retainAll(java.util.Set.of(byId.group(1)));
    } else {
      filters.add(filter);
      boolean negated = filter.startsWith("not (");
      result.values().removeIf(s -> matches(filter, s) == negated);
    }
    return result;
  }

  @Override
  public synchronized java.util.Optional<String> watchNodeService(String node, String serviceId,
      String index, java.time.Duration wait) {
    AgentService service = nodes.getOrDefault(node, Map.of()).get(serviceId);
    return service == null ? java.util.Optional.empty()
        : java.util.Optional.of(Integer.toString(nodes.get(node).hashCode() & 0x7fffffff));
  }

  @Override
  public synchronized void catalogRegister(
      org.kiwiproject.consul.model.catalog.CatalogRegistration r) {
    org.kiwiproject.consul.model.health.Service s = r.service().orElseThrow();
    calls.add("catalog-register " + s.getId());
    RuntimeException failure = registerFailures.get(s.getId());
    if (failure != null) {
      throw failure;
    }
    catalogRegistrations.put(s.getId(), r);
    nodes.computeIfAbsent(r.node(), n -> new TreeMap<>()).put(s.getId(), new AgentService(
        s.getId(), s.getService(), s.getAddress(), s.getPort(), s.getTags(), s.getMeta()));
  }

  @Override
  public synchronized void catalogDeregister(String node, String serviceId) {
    calls.add("catalog-deregister " + serviceId);
    RuntimeException failure = deregisterFailures.get(serviceId);
    if (failure != null) {
      throw failure;
    }
    catalogRegistrations.remove(serviceId);
    nodes.getOrDefault(node, new TreeMap<>()).remove(serviceId);
  }

  synchronized List<String> takeCalls() {
    List<String> taken = List.copyOf(calls);
    calls.clear();
    return taken;
  }
}
