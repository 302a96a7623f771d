package io.registrybridge.tests;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A kubeconfig that points at fabric8's mock API server, so the bridge finds the cluster the way
 * it finds a real one ({@code KUBECONFIG}), with no test-only path into the source.
 */
final class MockKubeconfig {
  private MockKubeconfig() {}

  /** Writes {@code dir/kubeconfig} for the server behind {@code client}; returns its path. */
  static Path write(Path dir, KubernetesClient client) {
    return write(dir, client.getConfiguration().getMasterUrl());
  }

  /** Writes {@code dir/kubeconfig} for the API server at {@code server}; returns its path. */
  static Path write(Path dir, String server) {
    Path kubeconfig = dir.resolve("kubeconfig");
    try {
      Files.writeString(kubeconfig, """
          apiVersion: v1
          kind: Config
          clusters: [{name: mock, cluster: {server: "%s", insecure-skip-tls-verify: true}}]
          users: [{name: test, user: {token: test}}]
          contexts: [{name: mock, context: {cluster: mock, user: test}}]
          current-context: mock
          """.formatted(server));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return kubeconfig;
  }
}
