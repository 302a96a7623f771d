package io.registrybridge.sink.mesh;

import java.util.List;

/**
 * Two or more hosts declare the same port number with a protocol the proxy cannot route by host
 * (TCP, MONGO, MYSQL, REDIS, or none), and none of them has {@code addresses}: Istio builds a
 * single listener {@code 0.0.0.0_<port>} for all of them and sends every connection to one.
 *
 * @param port the shared port number
 * @param hosts the hosts that declare it, sorted
 */
public record PortCollision(int port, List<String> hosts) {
  public PortCollision {
    hosts = List.copyOf(hosts);
  }
}
