package io.registrybridge.source.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.registrybridge.retry.RetryPolicy;
import io.registrybridge.spi.DaemonSettings;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The Kubernetes source's own flags (consul-k8s catalog sync's names and defaults), as its
 * provider parses and plans them. {@code -k8s-context} and {@code -leader-elect} are the
 * daemon's (bridge's BridgeConfigTest).
 */
class KubernetesSourceProviderTest {

  @Test
  void defaultsAreConsulK8ss() {
    KubernetesSourceConfig checked = plan().checked();

    assertThat(checked.allowNamespaces()).isEmpty();
    assertThat(checked.denyNamespaces()).isEmpty();
    assertThat(checked.labelSelector()).isEmpty();
    assertThat(checked.defaultSync()).isTrue();
    assertThat(checked.nodePortSync()).isEqualTo(NodePortSync.EXTERNAL_ONLY);
    assertThat(checked.k8sTag()).contains("k8s");
    assertThat(checked.sync()).isEqualTo(SyncOptions.DEFAULTS);
    assertThat(checked.forcedTags()).containsExactly("forced");
    assertThat(checked.consulNode()).isEqualTo("k8s-sync");
  }

  @Test
  void theCatalogNodeIsNamedByFlagInEitherForm() {
    assertThat(plan("-k8s-consul-node=k8s-east").checked().consulNode()).isEqualTo("k8s-east");
    assertThat(plan("--k8s-consul-node", " k8s-east ").checked().consulNode())
        .isEqualTo("k8s-east");
  }

  @Test
  void aWrongCatalogNodeIsRejectedWhenPlannedNamingTheFlag() {
    assertThatThrownBy(() -> plan("-k8s-consul-node=a/b"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("-k8s-consul-node: invalid Consul node name 'a/b': use letters, digits,"
            + " '-', '_' and '.', at most 128 characters, starting with a letter or digit");
    assertThatThrownBy(() -> plan("-k8s-consul-node=")).isInstanceOf(
        IllegalArgumentException.class).hasMessageStartingWith("-k8s-consul-node: invalid");
  }

  @Test
  void everyFlagReachesThePlan() {
    KubernetesSourceConfig checked = plan("-allow-k8s-namespace=shop",
        "-allow-k8s-namespace", "web", "--deny-k8s-namespace=kube-system",
        "-k8s-label-selector=team=blue", "-k8s-default-sync=false",
        "-node-port-sync-type=InternalOnly", "-consul-k8s-tag=", "-sync-clusterip-services=false",
        "-sync-lb-services-endpoints", "-consul-service-prefix=k8s-",
        "-add-k8s-namespace-suffix=true").checked();

    assertThat(checked.allowNamespaces()).containsExactlyInAnyOrder("shop", "web");
    assertThat(checked.denyNamespaces()).containsExactly("kube-system");
    assertThat(checked.labelSelector()).contains("team=blue");
    assertThat(checked.defaultSync()).isFalse();
    assertThat(checked.nodePortSync()).isEqualTo(NodePortSync.INTERNAL_ONLY);
    assertThat(checked.k8sTag()).as("an empty -consul-k8s-tag means none").isEmpty();
    assertThat(checked.sync()).isEqualTo(new SyncOptions(false, true, "k8s-", true));
  }

  @Test
  void nodePortSyncTypeIgnoresCaseAndNamesItsValuesWhenWrong() {
    assertThat(plan("-node-port-sync-type=externalfirst").checked().nodePortSync())
        .isEqualTo(NodePortSync.EXTERNAL_FIRST);
    assertThatThrownBy(() -> plan("-node-port-sync-type=Nodes"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("-node-port-sync-type must be one of ExternalOnly, ExternalFirst,"
            + " InternalOnly, not 'Nodes'");
  }

  @Test
  void blankNamespacesAreIgnored() {
    assertThat(plan("-allow-k8s-namespace= ", "-deny-k8s-namespace=").checked())
        .satisfies(c -> {
          assertThat(c.allowNamespaces()).isEmpty();
          assertThat(c.denyNamespaces()).isEmpty();
        });
  }

  @Test
  void isNamedKubernetesAndNotTheDefault() {
    KubernetesSourceProvider provider = new KubernetesSourceProvider();
    assertThat(provider.name()).isEqualTo("kubernetes");
    assertThat(provider.isDefault()).isFalse();
  }

  /** Parses {@code args} as the daemon does (the provider's flags as a mixin), then plans. */
  private static KubernetesSourcePlan plan(String... args) {
    KubernetesSourceProvider provider = new KubernetesSourceProvider();
    CommandLine commandLine = new CommandLine(CommandSpec.create())
        .setAbbreviatedOptionsAllowed(false);
    commandLine.addMixin("kubernetes", provider.options());
    commandLine.parseArgs(args);
    return (KubernetesSourcePlan) provider.plan(new DaemonSettings(Map.of(),
        List.of("forced"), Optional.empty(), Optional.empty(), false, Optional.empty(),
        RetryPolicy.forever(Duration.ofMillis(10), Duration.ofMillis(20)), Optional.empty()));
  }
}
