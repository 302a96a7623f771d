package io.registrybridge.source.kubernetes;

import io.registrybridge.core.CatalogNodes;
import io.registrybridge.spi.DaemonSettings;
import io.registrybridge.spi.SourcePlan;
import io.registrybridge.spi.SourceProvider;
import java.util.List;
import java.util.Optional;

/** {@code -source=kubernetes}: a cluster's Services and EndpointSlices, as consul-k8s. */
public final class KubernetesSourceProvider implements SourceProvider {
  private final KubernetesOptions options = new KubernetesOptions();

  @Override
  public String name() {
    return "kubernetes";
  }

  @Override
  public String title() {
    return "Kubernetes source (-source=kubernetes; as consul-k8s catalog sync):";
  }

  @Override
  public List<String> help() {
    return List.of(
        "  KUBECONFIG             the cluster for -source=kubernetes and istio-k8s:// (else",
        "                         ~/.kube/config, else the in-cluster service account)");
  }

  @Override
  public Object options() {
    return options;
  }

  @Override
  public SourcePlan plan(DaemonSettings settings) {
    return new KubernetesSourcePlan(settings, config(settings));
  }

  /** The source's settings with a placeholder owner, to validate them now. */
  private KubernetesSourceConfig config(DaemonSettings settings) {
    String consulNode = options.consulNode == null ? "" : options.consulNode.trim();
    String nodeProblem = CatalogNodes.problemWith(consulNode);
    if (nodeProblem != null) {
      throw new IllegalArgumentException("-k8s-consul-node: " + nodeProblem);
    }
    return new KubernetesSourceConfig("validation",
        java.util.Set.copyOf(trimmed(options.allowNamespaces)),
        java.util.Set.copyOf(trimmed(options.denyNamespaces)),
        Optional.ofNullable(blankToNull(options.labelSelector)), options.defaultSync,
        NodePortSync.parse(options.nodePortSync),
        Optional.ofNullable(blankToNull(options.k8sTag)), settings.forcedTags(),
        new SyncOptions(options.syncClusterIp, options.syncLbEndpoints,
            options.servicePrefix == null ? "" : options.servicePrefix,
            options.namespaceSuffix), consulNode);
  }

  private static List<String> trimmed(List<String> values) {
    return values.stream().map(String::trim).filter(n -> !n.isEmpty()).toList();
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value.trim();
  }
}
