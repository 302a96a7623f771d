package io.registrybridge.bridge;

import static java.util.Objects.requireNonNull;

import io.registrybridge.source.kubernetes.NodePortSync;
import io.registrybridge.source.kubernetes.SyncOptions;
import java.util.List;
import java.util.Optional;

/**
 * The Kubernetes source's part of the command line, validated.
 *
 * @param context {@code -k8s-context}: the kubeconfig context; empty for the current one
 * @param leaderElect {@code -leader-elect=NAMESPACE/NAME}: the Lease that elects the one replica
 *     whose sinks write
 * @param allowNamespaces {@code -allow-k8s-namespace}, repeatable; empty means every namespace
 * @param denyNamespaces {@code -deny-k8s-namespace}, repeatable
 * @param labelSelector {@code -k8s-label-selector}
 * @param defaultSync {@code -k8s-default-sync}
 * @param nodePortSync {@code -node-port-sync-type}
 * @param k8sTag {@code -consul-k8s-tag}; empty for no tag
 * @param sync {@code -sync-clusterip-services}, {@code -sync-lb-services-endpoints}, {@code
 *     -consul-service-prefix}, {@code -add-k8s-namespace-suffix}
 */
public record KubernetesOptions(Optional<String> context, Optional<LeaseName> leaderElect,
    List<String> allowNamespaces, List<String> denyNamespaces, Optional<String> labelSelector,
    boolean defaultSync, NodePortSync nodePortSync, Optional<String> k8sTag,
    SyncOptions sync) {

  /** A Lease's namespace and name. */
  public record LeaseName(String namespace, String name) {
    public LeaseName {
      requireNonNull(namespace, "namespace");
      requireNonNull(name, "name");
    }

    /** @throws IllegalArgumentException unless {@code value} is NAMESPACE/NAME */
    public static LeaseName parse(String value) {
      String[] parts = value.trim().split("/", -1);
      if (parts.length != 2 || !isDnsLabel(parts[0]) || !isDnsSubdomain(parts[1])) {
        throw new IllegalArgumentException("-leader-elect must be NAMESPACE/NAME (a Lease),"
            + " not '" + value + "'");
      }
      return new LeaseName(parts[0], parts[1]);
    }

    /**
     * The owner ID every replica shares when none is given: {@code <name>.<namespace>}, so a
     * new leader adopts what the previous one registered.
     */
    public String ownerId() {
      return name + "." + namespace;
    }

    @Override
    public String toString() {
      return namespace + "/" + name;
    }

    private static boolean isDnsLabel(String s) {
      return s.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    }

    private static boolean isDnsSubdomain(String s) {
      return s.length() <= 253 && s.matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?");
    }
  }

  public KubernetesOptions {
    requireNonNull(context, "context");
    requireNonNull(leaderElect, "leaderElect");
    allowNamespaces = List.copyOf(allowNamespaces);
    denyNamespaces = List.copyOf(denyNamespaces);
    requireNonNull(labelSelector, "labelSelector");
    requireNonNull(nodePortSync, "nodePortSync");
    requireNonNull(k8sTag, "k8sTag");
    requireNonNull(sync, "sync");
  }
}
