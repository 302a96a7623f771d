package io.registrybridge.sink.consul;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.kiwiproject.consul.model.agent.Registration;

/** An in-memory agent that records every call and fails on request. */
final class FakeConsulAgent implements ConsulAgent {
  final Map<String, AgentService> services = new TreeMap<>();
  final Map<String, Registration> registrations = new TreeMap<>();
  /** Check ID to service ID; like Consul 1.8, a re-registration adds checks but keeps old ones. */
  final Map<String, String> checks = new TreeMap<>();
  final List<String> calls = new ArrayList<>();
  final Map<String, ConsulAgentException> registerFailures = new HashMap<>();
  final Map<String, ConsulAgentException> deregisterFailures = new HashMap<>();
  final Map<String, ConsulAgentException> passFailures = new HashMap<>();
  ConsulAgentException servicesFailure;
  String nodeAddress = "192.0.2.10";

  @Override
  public String nodeAddress() {
    calls.add("self");
    return nodeAddress;
  }

  boolean closed;

  static ConsulAgentException answered(int status, String message) {
    return new ConsulAgentException(status, message, null);
  }

  static ConsulAgentException unreachable() {
    return new ConsulAgentException(ConsulAgentException.NO_RESPONSE,
        "Consul request to [http://127.0.0.1:8500/v1/agent/service/register] failed due to "
            + "IOException", null);
  }

  /** A service registered by someone else, as Consul would report it. */
  void putForeign(String id, String name, Map<String, String> meta) {
    services.put(id, new AgentService(id, name, "", 80, List.of(), meta));
  }

  @Override
  public Map<String, AgentService> services() {
    calls.add("services");
    if (servicesFailure != null) {
      throw servicesFailure;
    }
    return new LinkedHashMap<>(services);
  }

  @Override
  public void register(Registration r) {
    calls.add("register " + r.getId());
    ConsulAgentException failure = registerFailures.get(r.getId());
    if (failure != null) {
      throw failure;
    }
    registrations.put(r.getId(), r);
    r.getChecks().forEach(check -> checks.put(check.getId().orElseThrow(), r.getId()));
    services.put(r.getId(), new AgentService(r.getId(), r.getName(), r.getAddress().orElse(""),
        r.getPort().orElse(0), r.getTags(), r.getMeta()));
  }

  @Override
  public void deregister(String serviceId) {
    calls.add("deregister " + serviceId);
    ConsulAgentException failure = deregisterFailures.get(serviceId);
    if (failure != null) {
      throw failure;
    }
    services.remove(serviceId);
    registrations.remove(serviceId);
    checks.values().removeIf(serviceId::equals);
  }

  @Override
  public Map<String, String> checkServiceIds() {
    calls.add("checks");
    return new LinkedHashMap<>(checks);
  }

  @Override
  public void deregisterCheck(String checkId) {
    calls.add("deregister-check " + checkId);
    checks.remove(checkId);
  }

  @Override
  public void passCheck(String checkId, String note) {
    calls.add("pass " + checkId);
    ConsulAgentException failure = passFailures.get(checkId);
    if (failure != null) {
      throw failure;
    }
  }

  @Override
  public void close() {
    closed = true;
  }

  List<String> takeCalls() {
    List<String> taken = List.copyOf(calls);
    calls.clear();
    return taken;
  }
}
