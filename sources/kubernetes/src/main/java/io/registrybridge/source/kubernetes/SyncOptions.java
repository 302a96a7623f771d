package io.registrybridge.source.kubernetes;

import static java.util.Objects.requireNonNull;

/**
 * consul-k8s catalog sync's options for which Service types are synced, how a LoadBalancer is
 * addressed, and how a Service's name becomes an instance name. The flag names are consul-k8s's
 * and so are the defaults.
 *
 * @param clusterIpServices {@code -sync-clusterip-services}: false leaves every ClusterIP
 *     Service (headless ones included) out, whatever its annotations say
 * @param loadBalancerEndpoints {@code -sync-lb-services-endpoints}: a LoadBalancer Service's
 *     ready endpoints, as for ClusterIP, instead of its ingress addresses
 * @param servicePrefix {@code -consul-service-prefix}: put before every name a Service's name
 *     gives; empty for none
 * @param namespaceSuffix {@code -add-k8s-namespace-suffix}: append {@code -<namespace>} to those
 *     names
 */
public record SyncOptions(boolean clusterIpServices, boolean loadBalancerEndpoints,
    String servicePrefix, boolean namespaceSuffix) {

  /** consul-k8s's defaults: ClusterIP Services synced, ingress addresses, names unchanged. */
  public static final SyncOptions DEFAULTS = new SyncOptions(true, false, "", false);

  public SyncOptions {
    servicePrefix = requireNonNull(servicePrefix, "servicePrefix").trim();
  }

  /**
   * The name of a Service's instances when no name annotation sets one: as consul-k8s, an
   * annotated name gets neither the prefix nor the suffix.
   */
  public String defaultName(String service, String namespace) {
    return servicePrefix + service + (namespaceSuffix ? "-" + namespace : "");
  }
}
