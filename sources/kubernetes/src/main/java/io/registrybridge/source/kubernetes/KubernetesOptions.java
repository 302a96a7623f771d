package io.registrybridge.source.kubernetes;

import io.registrybridge.core.CatalogNodes;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The Kubernetes source's flags, consul-k8s catalog sync's names and meanings. Filled by
 * picocli; {@link KubernetesSourceProvider#plan} validates them.
 */
public final class KubernetesOptions {

  @Option(names = {"-allow-k8s-namespace", "--allow-k8s-namespace"}, paramLabel = "NS",
      description = "Sync only Services in this namespace; repeatable; * means all. Default:"
          + " all.")
  List<String> allowNamespaces = new ArrayList<>();

  @Option(names = {"-deny-k8s-namespace", "--deny-k8s-namespace"}, paramLabel = "NS",
      description = "Never sync Services in this namespace; repeatable; wins over"
          + " -allow-k8s-namespace. Default: none.")
  List<String> denyNamespaces = new ArrayList<>();

  @Option(names = {"-k8s-label-selector", "--k8s-label-selector"}, paramLabel = "SELECTOR",
      description = "Sync only Services whose labels match this selector (app=web,tier!=db)."
          + " Default: all.")
  String labelSelector;

  @Option(names = {"-k8s-default-sync", "--k8s-default-sync"}, arity = "0..1",
      fallbackValue = "true", defaultValue = "true",
      description = "Sync Services without a sync annotation; false syncs only those annotated"
          + " consul.hashicorp.com/service-sync or registry-bridge.io/sync: \"true\"."
          + " Default: true.")
  boolean defaultSync = true;

  @Option(names = {"-node-port-sync-type", "--node-port-sync-type"}, paramLabel = "TYPE",
      defaultValue = "ExternalOnly",
      description = "The node address of NodePort Services: ExternalOnly, ExternalFirst or"
          + " InternalOnly. Default: ${DEFAULT-VALUE}.")
  String nodePortSync;

  @Option(names = {"-consul-k8s-tag", "--consul-k8s-tag"}, paramLabel = "TAG",
      defaultValue = "k8s",
      description = "A tag on every Kubernetes instance; empty for none. Default:"
          + " ${DEFAULT-VALUE}.")
  String k8sTag;

  @Option(names = {"-sync-clusterip-services", "--sync-clusterip-services"}, arity = "0..1",
      fallbackValue = "true", defaultValue = "true", paramLabel = "BOOL",
      description = "Sync ClusterIP Services (headless ones included); false leaves them out"
          + " whatever their annotations say. Default: true.")
  boolean syncClusterIp = true;

  @Option(names = {"-sync-lb-services-endpoints", "--sync-lb-services-endpoints"},
      arity = "0..1", fallbackValue = "true", paramLabel = "BOOL",
      description = "Register a LoadBalancer Service's ready endpoints instead of its ingress"
          + " addresses. Default: false.")
  boolean syncLbEndpoints;

  @Option(names = {"-consul-service-prefix", "--consul-service-prefix"}, paramLabel = "PREFIX",
      description = "Put this before the name of every Kubernetes instance whose name no"
          + " annotation sets. Default: none.")
  String servicePrefix;

  @Option(names = {"-add-k8s-namespace-suffix", "--add-k8s-namespace-suffix"}, arity = "0..1",
      fallbackValue = "true", paramLabel = "BOOL",
      description = "Append -<namespace> to the name of every Kubernetes instance whose name no"
          + " annotation sets. Default: false.")
  boolean namespaceSuffix;

  @Option(names = {"-k8s-consul-node", "--k8s-consul-node"}, paramLabel = "NAME",
      defaultValue = CatalogNodes.DEFAULT,
      description = "The Consul node that holds every Kubernetes instance, registered through"
          + " the catalog API, without checks, as consul-k8s's -consul-node-name. Created with"
          + " address 127.0.0.1 and node meta external-source=kubernetes. Default:"
          + " ${DEFAULT-VALUE}, consul-k8s's.")
  String consulNode = CatalogNodes.DEFAULT;
}
