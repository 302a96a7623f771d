package io.registrybridge.source.kubernetes;

import static java.util.Objects.requireNonNull;

import io.registrybridge.core.CatalogNodes;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What decides which Services are synced and how their endpoints become instances. The flag
 * names are consul-k8s catalog sync's.
 *
 * @param hostName the first part of every instance ID ({@code <host>:<namespace>.<service>:...}),
 *     the same on every replica so that a new leader adopts what the previous one registered
 * @param allowNamespaces {@code -allow-k8s-namespace}: only these namespaces; empty or {@code *}
 *     means all
 * @param denyNamespaces {@code -deny-k8s-namespace}: never these, whatever the allow list says
 * @param labelSelector {@code -k8s-label-selector}: only Services whose labels match, applied
 *     by the API server
 * @param defaultSync {@code -k8s-default-sync}: whether a Service without a sync annotation is
 *     synced; false syncs only Services annotated {@code service-sync: "true"}
 * @param nodePortSync {@code -node-port-sync-type}
 * @param k8sTag {@code -consul-k8s-tag}: a tag on every instance ({@code k8s}); empty for none
 * @param forcedTags {@code -tags}, already split: appended to every instance's tags
 * @param sync which Service types sync, LoadBalancer addresses, name prefix and suffix
 * @param consulNode {@code -k8s-consul-node}: the catalog node every instance names ({@link
 *     io.registrybridge.core.ServiceInstance#node()}), consul-k8s's {@code -consul-node-name}
 */
public record KubernetesSourceConfig(
    String hostName,
    Set<String> allowNamespaces,
    Set<String> denyNamespaces,
    Optional<String> labelSelector,
    boolean defaultSync,
    NodePortSync nodePortSync,
    Optional<String> k8sTag,
    List<String> forcedTags,
    SyncOptions sync,
    String consulNode) {

  public KubernetesSourceConfig {
    requireNonNull(hostName, "hostName");
    if (hostName.isBlank()) {
      throw new IllegalArgumentException("hostName must not be blank");
    }
    allowNamespaces = Set.copyOf(allowNamespaces);
    denyNamespaces = Set.copyOf(denyNamespaces);
    labelSelector = labelSelector.map(String::trim).filter(s -> !s.isEmpty());
    requireNonNull(nodePortSync, "nodePortSync");
    k8sTag = k8sTag.map(String::trim).filter(s -> !s.isEmpty());
    forcedTags = List.copyOf(forcedTags);
    requireNonNull(sync, "sync");
    String nodeProblem = CatalogNodes.problemWith(consulNode);
    if (nodeProblem != null) {
      throw new IllegalArgumentException(nodeProblem);
    }
  }

  /**
   * consul-k8s's defaults: every namespace, default sync on, ExternalOnly, the tag k8s, {@link
   * SyncOptions#DEFAULTS}, the node {@value CatalogNodes#DEFAULT}.
   */
  public static KubernetesSourceConfig defaults(String hostName) {
    return new KubernetesSourceConfig(hostName, Set.of(), Set.of(), Optional.empty(), true,
        NodePortSync.EXTERNAL_ONLY, Optional.of("k8s"), List.of(), SyncOptions.DEFAULTS,
        CatalogNodes.DEFAULT);
  }

  /** Whether Services in {@code namespace} may be synced at all. */
  public boolean allows(String namespace) {
    if (denyNamespaces.contains(namespace)) {
      return false;
    }
    return allowNamespaces.isEmpty() || allowNamespaces.contains("*")
        || allowNamespaces.contains(namespace);
  }
}
