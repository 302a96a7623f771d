package io.registrybridge.source.kubernetes;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** Finds the cluster as kubectl does. */
public final class KubernetesClients {
  private KubernetesClients() {}

  /**
   * A client for the cluster of {@code KUBECONFIG} (its first file, read from {@code env}), else
   * of {@code ~/.kube/config}, else of the in-cluster service account; {@code context} picks a
   * kubeconfig context. Nothing is sent before the first request.
   *
   * @throws IllegalArgumentException when {@code KUBECONFIG} names a file that cannot be read
   */
  public static KubernetesClient connect(Map<String, String> env, Optional<String> context) {
    String kubeconfig = env.get("KUBECONFIG");
    Config config;
    if (kubeconfig != null && !kubeconfig.isBlank()) {
      Path file = Path.of(kubeconfig.split(File.pathSeparator)[0].trim());
      try {
        config = Config.fromKubeconfig(context.orElse(null), Files.readString(file),
            file.toString());
      } catch (IOException | UncheckedIOException e) {
        throw new IllegalArgumentException("KUBECONFIG=" + kubeconfig + ": cannot read "
            + file + " (" + e.getMessage() + ")", e);
      }
    } else {
      config = Config.autoConfigure(context.orElse(null));
    }
    return new KubernetesClientBuilder().withConfig(config).build();
  }
}
