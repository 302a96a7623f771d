package io.registrybridge.source.kubernetes;

import static java.util.Objects.requireNonNull;

import io.registrybridge.core.Transport;
import java.util.List;
import java.util.Optional;

/**
 * What the normalizer reads of one EndpointSlice (or of a v1 Endpoints object where
 * EndpointSlices are not served): its ports and endpoints.
 */
record SliceView(String name, List<SlicePort> ports, List<EndpointView> endpoints) {

  /** A port of the slice: the Service port's name and the number the endpoints listen on. */
  record SlicePort(String name, int port, Transport transport) {
    SlicePort {
      name = name == null ? "" : name;
      requireNonNull(transport, "transport");
    }
  }

  /** The object behind an endpoint, usually a Pod. */
  record TargetRef(String kind, String namespace, String name) {}

  /**
   * One endpoint.
   *
   * @param ready whether it takes new traffic: ready and not terminating; a hand-made slice
   *     without conditions counts as ready, as the API documents for an unknown state
   */
  record EndpointView(List<String> addresses, boolean ready, Optional<String> nodeName,
      Optional<String> zone, Optional<TargetRef> targetRef) {
    EndpointView {
      addresses = List.copyOf(addresses);
      requireNonNull(nodeName, "nodeName");
      requireNonNull(zone, "zone");
      requireNonNull(targetRef, "targetRef");
    }
  }

  SliceView {
    requireNonNull(name, "name");
    ports = List.copyOf(ports);
    endpoints = List.copyOf(endpoints);
  }
}
