package io.registrybridge.tests;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.registrybridge.bridge.Bridge;
import io.registrybridge.bridge.BridgeConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * {@code deploy/kubernetes-sync.yaml}: two replicas with leader election whose arguments the
 * daemon accepts, and RBAC that reads and never writes, except the one Lease.
 */
class KubernetesSyncManifestTest {
  private static final Path MANIFEST =
      Path.of("").toAbsolutePath().getParent().resolve("deploy/kubernetes-sync.yaml");

  private static List<HasMetadata> objects() throws Exception {
    List<HasMetadata> objects = new ArrayList<>();
    for (String document : Files.readString(MANIFEST).split("(?m)^---$")) {
      objects.add(new KubernetesSerialization().unmarshal(document));
    }
    return objects;
  }

  @Test
  void twoReplicasElectALeaderWithArgumentsTheDaemonAccepts() throws Exception {
    Deployment deployment = objects().stream().filter(Deployment.class::isInstance)
        .map(Deployment.class::cast).findFirst().orElseThrow();
    assertThat(deployment.getSpec().getReplicas()).isEqualTo(2);
    var container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
    BridgeConfig config = BridgeConfig.fromArgs(container.getArgs().toArray(String[]::new));
    assertThat(config.sources()).containsExactly("kubernetes");
    assertThat(config.leaderElect().orElseThrow().toString())
        .isEqualTo("consul/registry-bridge");
    // The Kubernetes source's own flags (-deny-k8s-namespace) are checked when it is planned.
    Bridge.create(config, Map.of(), Clock.systemUTC()).close();
    assertThat(deployment.getSpec().getTemplate().getSpec().getVolumes())
        .noneMatch(v -> v.getHostPath() != null);
  }

  @Test
  @SuppressWarnings("unchecked")
  void rbacReadsTheClusterAndWritesOnlyTheLease() throws Exception {
    Map<String, List<Map<String, Object>>> rulesByKind = objects().stream()
        .filter(o -> o.getKind().equals("ClusterRole") || o.getKind().equals("Role"))
        .collect(Collectors.toMap(HasMetadata::getKind, o -> (List<Map<String, Object>>)
            ((GenericKubernetesResource) o).getAdditionalProperties().get("rules")));
    assertThat(rulesByKind.get("ClusterRole")).allSatisfy(rule ->
        assertThat((List<String>) rule.get("verbs")).containsExactly("get", "list", "watch"));
    assertThat(rulesByKind.get("ClusterRole")).flatExtracting(r -> (List<String>)
        r.get("resources")).containsExactlyInAnyOrder("services", "endpoints", "pods", "nodes",
            "endpointslices");
    assertThat(rulesByKind.get("Role")).allSatisfy(rule ->
        assertThat((List<String>) rule.get("resources")).containsExactly("leases"));
  }
}
