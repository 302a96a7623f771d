package io.registrybridge.sink.mesh;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Creates mesh sinks: one {@link MeshEngine} over the store of a transport. Each sink is a {@link
 * io.registrybridge.core.Sink} of its own, to be driven by its own {@code SinkReconciler}, so one
 * transport failing never delays the other.
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
    return new MeshEngine(config, new KubernetesServiceEntryStore(config, client, false),
        listener);
  }

  /** A sink writing one YAML file per ServiceEntry into {@code directory}. */
  public static MeshSink directory(MeshSinkConfig config, Path directory) {
    return directory(config, directory, MeshSinkListener.NONE);
  }

  /** Like {@link #directory(MeshSinkConfig, Path)}, telling {@code listener}. */
  public static MeshSink directory(MeshSinkConfig config, Path directory,
      MeshSinkListener listener) {
    return new MeshEngine(config, new DirectoryServiceEntryStore(config, directory), listener);
  }

  /**
   * A sink keeping {@code store} equal to the desired state, for a transport that lives outside
   * this module (the xDS server of {@code sinks/mesh-xds}). The sink owns the store: closing the
   * sink closes it.
   */
  public static MeshSink withStore(MeshSinkConfig config, ServiceEntryStore store,
      MeshSinkListener listener) {
    return new MeshEngine(config, store, listener);
  }

  /**
   * Like {@link #withStore(MeshSinkConfig, ServiceEntryStore, MeshSinkListener)}, named {@code
   * name} in logs, metrics and {@code /readyz} (the daemon's name for it, unique among its
   * sinks). The sink is also the {@link io.registrybridge.spi.DebugView} of {@code /debug/mesh}.
   */
  public static MeshSink withStore(String name, MeshSinkConfig config, ServiceEntryStore store,
      MeshSinkListener listener) {
    return new MeshEngine(name, config, store, listener);
  }

  /** A directory sink named {@code name}; see {@link #directory(MeshSinkConfig, Path)}. */
  static MeshSink directory(String name, MeshSinkConfig config, Path directory,
      MeshSinkListener listener) {
    return new MeshEngine(name, config, new DirectoryServiceEntryStore(config, directory),
        listener);
  }

  /**
   * An {@code istio-k8s} sink named {@code name}, with a Kubernetes client of its own (kubeconfig
   * {@code context} or the current one, else in-cluster), closed with the sink.
   */
  static MeshSink kubernetes(String name, MeshSinkConfig config, Optional<String> context,
      MeshSinkListener listener) {
    return new MeshEngine(name, config,
        new KubernetesServiceEntryStore(config, kubernetesClient(context), true), listener);
  }

  /**
   * The sink a {@link MeshSinkUri} names ({@code istio-k8s}, {@code istio-dir}; {@code istio-xds}
   * is built by {@code XdsMeshSinks}), with its settings applied over {@code base}. For
   * {@code istio-k8s} it builds its own Kubernetes client (kubeconfig or in-cluster, like kubectl)
   * and closes it when the sink is closed.
   */
  public static MeshSink create(MeshSinkUri uri, MeshSinkConfig base, MeshSinkListener listener) {
    requireNonNull(uri, "uri");
    MeshSinkConfig config = uri.applyTo(requireNonNull(base, "base"));
    return switch (uri.transport()) {
      case DIRECTORY -> directory(config, uri.directory().orElseThrow(), listener);
      case KUBERNETES -> new MeshEngine(config,
          new KubernetesServiceEntryStore(config, kubernetesClient(uri.context()), true),
          listener);
      case XDS -> throw new IllegalArgumentException(uri.uri() + ": the xDS transport lives in"
          + " registry-bridge-sink-mesh-xds; create it with XdsMeshSinks");
    };
  }

  /**
   * A client configured like kubectl's, for {@code context} or the current one. The client's own
   * retries on 429 and 5xx are turned off: the sink's reconciler retries whole syncs with its
   * backoff, and two layers of retries would hold a sync for minutes.
   */
  static KubernetesClient kubernetesClient(Optional<String> context) {
    Config config = Config.autoConfigure(context.orElse(null));
    config.setRequestRetryBackoffLimit(0);
    return new KubernetesClientBuilder().withConfig(config).build();
  }
}
