package io.registrybridge.sink.mesh;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;

/**
 * Creates mesh sinks. Each sink is a {@link io.registrybridge.core.Sink} of its own, to be driven
 * by its own {@code SinkReconciler}, so one transport failing never delays the other.
 */
public final class MeshSinks {
  private MeshSinks() {}

  /**
   * A sink writing ServiceEntry objects through {@code client}. The client stays the caller's:
   * closing the sink does not close it.
   */
  public static MeshSink kubernetes(MeshSinkConfig config, KubernetesClient client) {
    return kubernetes(config, client, MeshSinkListener.NONE);
  }

  /** Like {@link #kubernetes(MeshSinkConfig, KubernetesClient)}, telling {@code listener}. */
  public static MeshSink kubernetes(MeshSinkConfig config, KubernetesClient client,
      MeshSinkListener listener) {
    return new KubernetesMeshSink(config, client, false, listener);
  }

  /** A sink writing one YAML file per ServiceEntry into {@code directory}. */
  public static MeshSink directory(MeshSinkConfig config, Path directory) {
    return directory(config, directory, MeshSinkListener.NONE);
  }

  /** Like {@link #directory(MeshSinkConfig, Path)}, telling {@code listener}. */
  public static MeshSink directory(MeshSinkConfig config, Path directory,
      MeshSinkListener listener) {
    return new DirectoryMeshSink(config, directory, listener);
  }
}
