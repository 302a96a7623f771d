package io.registrybridge.sink.mesh;

import static java.util.Objects.requireNonNull;

import io.registrybridge.core.Protocol;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One ServiceEntry as the bridge means it, before it is rendered for a transport: one host,
 * {@code MESH_INTERNAL}, {@code STATIC} resolution, inline endpoints.
 *
 * @param name the object name ({@code metadata.name}), derived from the host
 * @param service the service name the entry was built from, for log lines and reports
 * @param host the single entry of {@code spec.hosts}
 * @param addresses {@code spec.addresses}: empty, or the virtual IP the collision guard gave it
 * @param ports sorted by number
 * @param endpoints in a stable order
 * @param exportTo {@code spec.exportTo}; empty leaves it to the mesh default
 * @param sources the sources of every instance of the host ({@code ServiceInstance#source()}),
 *     sorted; empty when one of them has no known source. The engine may rewrite or delete the
 *     object once each of them has listed, and it is written into the object for the next time
 */
record ServiceEntryModel(String name, String service, String host, List<String> addresses,
    List<Port> ports, List<Endpoint> endpoints, List<String> exportTo, SortedSet<String> sources) {

  ServiceEntryModel {
    requireNonNull(name, "name");
    requireNonNull(service, "service");
    requireNonNull(host, "host");
    addresses = List.copyOf(addresses);
    ports = List.copyOf(ports);
    endpoints = List.copyOf(endpoints);
    exportTo = List.copyOf(exportTo);
    sources = Collections.unmodifiableSortedSet(new TreeSet<>(sources));
  }

  ServiceEntryModel withAddresses(List<String> newAddresses) {
    return new ServiceEntryModel(name, service, host, newAddresses, ports, endpoints, exportTo,
        sources);
  }

  ServiceEntryModel withSources(SortedSet<String> newSources) {
    return new ServiceEntryModel(name, service, host, addresses, ports, endpoints, exportTo,
        newSources);
  }

  /** Whether a port of this entry is one the proxy cannot route by host (see {@link
   * Protocol#opaqueTcp()}). */
  boolean hasOpaqueTcpPort() {
    return ports.stream().anyMatch(p -> p.protocol().opaqueTcp());
  }

  /**
   * A service port: what clients dial.
   *
   * @param number the port number
   * @param name {@code <protocol>-<number>}, lower case
   * @param protocol Istio's protocol
   */
  record Port(int number, String name, Protocol protocol) {
    Port {
      requireNonNull(name, "name");
      requireNonNull(protocol, "protocol");
    }

    static Port of(int number, Protocol protocol) {
      return new Port(number, protocol.spelling() + "-" + number, protocol);
    }
  }

  /**
   * One workload behind the host.
   *
   * @param address an IP address (STATIC resolution)
   * @param ports port name to the endpoint's own port, only where it differs from the service
   *     port
   * @param labels endpoint labels, for DestinationRule subsets
   *     (both maps iterate in key order)
   */
  record Endpoint(String address, Map<String, Integer> ports, Map<String, String> labels) {
    Endpoint {
      requireNonNull(address, "address");
      ports = Collections.unmodifiableSortedMap(new TreeMap<>(ports));
      labels = Collections.unmodifiableSortedMap(new TreeMap<>(labels));
    }
  }
}
