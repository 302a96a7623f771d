package io.registrybridge.core;

/**
 * Where an instance runs relative to the bridge, which decides how a sink may register it.
 *
 * <p>Consul ties agent registrations to the agent's node and removes them with it, so only
 * instances on the bridge's own host belong in the agent API. Instances from elsewhere (a
 * Kubernetes endpoint) go through the catalog API on a node of their own, which their source
 * names ({@link ServiceInstance#node()}). Sources say where an instance runs; they never know
 * which sink does what with it.
 */
public enum Placement {
  /** Runs on the host the bridge watches (a container on the local Docker engine). */
  THIS_HOST,
  /** Runs somewhere else (a Kubernetes endpoint, a remote engine). */
  ELSEWHERE
}
