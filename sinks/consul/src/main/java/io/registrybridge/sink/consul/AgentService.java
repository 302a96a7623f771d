package io.registrybridge.sink.consul;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Map;

/** One entry of {@code GET /v1/agent/services}: what the sink needs to decide and to log. */
record AgentService(String id, String name, String address, int port, List<String> tags,
    Map<String, String> meta) {

  AgentService {
    requireNonNull(id, "id");
    requireNonNull(name, "name");
    requireNonNull(address, "address");
    tags = List.copyOf(tags);
    meta = Map.copyOf(meta);
  }

  /** {@code web 10.0.0.5:8080}; the address is empty when Consul uses the node's. */
  String describe() {
    return name + " " + address + ":" + port;
  }
}
