package io.registrybridge.sink.mesh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class MeshSinkConfigTest {

  @Test
  void defaults() {
    assertThat(MeshSinkConfig.builder("bridge-1").build()).isEqualTo(new MeshSinkConfig(
        "bridge-1", "istio-system", "service.consul", List.of(), CollisionMode.REPORT,
        "240.241.0.0/16", IstioApiVersion.AUTO));
  }

  @Test
  void rejectsValuesKubernetesOrIstioWouldRefuse() {
    MeshSinkConfig.Builder base = MeshSinkConfig.builder("bridge-1");
    assertThatThrownBy(() -> MeshSinkConfig.builder("").build())
        .hasMessage("ownerId must not be empty");
    assertThatThrownBy(() -> MeshSinkConfig.builder("bridge 1").build())
        .hasMessage("ownerId 'bridge 1' is invalid: must consist of letters, digits, '-', '_'"
            + " and '.', and start and end with a letter or digit");
    assertThatThrownBy(() -> base.domain("consul.123").build())
        .hasMessage("domain 'consul.123' is invalid: top-level domain '123' is all digits");
    assertThatThrownBy(() -> MeshSinkConfig.builder("b").domain("Service.Consul").build())
        .hasMessage("domain 'Service.Consul' is invalid: label 'Service' must consist of"
            + " lower-case letters, digits and '-', and start and end with a letter or digit");
    assertThatThrownBy(() -> MeshSinkConfig.builder("b").exportTo(List.of("~", ".")).build())
        .hasMessage("exportTo [~, .] is invalid: '~' (export to no one) cannot be combined with"
            + " other entries");
    assertThatThrownBy(() -> MeshSinkConfig.builder("b").exportTo(List.of("a", "a")).build())
        .hasMessage("exportTo [a, a] is invalid: duplicate entry 'a'");
    assertThatThrownBy(() -> MeshSinkConfig.builder("b").virtualIpRange("10.0.0.0").build())
        .hasMessage("virtual IP range '10.0.0.0' is invalid: expected <address>/<prefix length>");
  }

  @Test
  void anOwnerIdThatFitsALabelIsTheLabel() {
    String id = "b".repeat(63);
    assertThat(MeshSinkConfig.builder(id).build().ownerLabel()).isEqualTo(id);
  }

  @Test
  void aLongOwnerIdBecomesAStableValidLabelWithAHashOfTheWholeId() {
    // A Lease's NAME.NAMESPACE, as every replica of a -leader-elect bridge derives it.
    String lease = "registry-bridge-leader-for-the-payments-cluster.platform-mesh-integration";
    String label = MeshSinkConfig.builder(lease).build().ownerLabel();

    assertThat(label).hasSize(63)
        .isEqualTo("registry-bridge-leader-for-the-payments-cluster.plat-"
            + ContentDigest.of(lease).substring(0, 10));
    assertThat(KubernetesNames.labelValueProblem(label)).isEmpty();
    // The same on every replica and every run; another ID with the same prefix differs.
    assertThat(MeshSinkConfig.builder(lease).build().ownerLabel()).isEqualTo(label);
    assertThat(MeshSinkConfig.builder(lease + "x").build().ownerLabel()).isNotEqualTo(label)
        .startsWith(label.substring(0, 52));
  }

  @Test
  void aLongOwnerIdWhosePrefixEndsInAPunctuationMarkLosesIt() {
    String id = "a".repeat(50) + "._" + "z".repeat(20);
    String label = MeshSinkConfig.builder(id).build().ownerLabel();

    assertThat(label).isEqualTo("a".repeat(50) + "-" + ContentDigest.of(id).substring(0, 10));
    assertThat(KubernetesNames.labelValueProblem(label)).isEmpty();
  }

  @Test
  void aLongOwnerIdWithACharacterNoLabelAllowsIsStillRejected() {
    String id = "bridge 1" + "x".repeat(70);
    assertThatThrownBy(() -> MeshSinkConfig.builder(id).build())
        .hasMessage("ownerId '" + id + "' is invalid: must consist of letters, digits, '-', '_'"
            + " and '.', and start and end with a letter or digit");
  }
}
