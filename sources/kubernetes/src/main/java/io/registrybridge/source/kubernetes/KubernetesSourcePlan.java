package io.registrybridge.source.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.registrybridge.core.Source;
import io.registrybridge.spi.DaemonSettings;
import io.registrybridge.spi.SourceHost;
import io.registrybridge.spi.SourcePlan;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The Kubernetes source's checked settings; opens the cluster's client. */
final class KubernetesSourcePlan implements SourcePlan {
  private static final Logger log = LoggerFactory.getLogger(KubernetesSourcePlan.class);

  private final DaemonSettings settings;
  private final KubernetesSourceConfig checked;
  private KubernetesClient client;

  KubernetesSourcePlan(DaemonSettings settings, KubernetesSourceConfig checked) {
    this.settings = settings;
    this.checked = checked;
  }

  /** The checked settings with a placeholder owner; for tests of the flags. */
  KubernetesSourceConfig checked() {
    return checked;
  }

  @Override
  public void open() {
    client = KubernetesClients.connect(settings.env(), settings.kubeContext());
  }

  @Override
  public String waitingFor() {
    return "starting: the Kubernetes API is not watched yet";
  }

  @Override
  public Source create(SourceHost host) {
    KubernetesSourceConfig config = new KubernetesSourceConfig(host.ownerId(),
        checked.allowNamespaces(), checked.denyNamespaces(), checked.labelSelector(),
        checked.defaultSync(), checked.nodePortSync(), checked.k8sTag(), checked.forcedTags(),
        checked.sync(), checked.consulNode());
    return new KubernetesSource(client, config, settings.retry(), host.executor(), () -> {
      log.error("kubernetes: no complete listing after {} retries; exiting",
          settings.retry().maxAttempts());
      host.gaveUp().run();
    }, host.meters());
  }

  @Override
  public void close() {
    if (client != null) {
      client.close();
    }
  }
}
