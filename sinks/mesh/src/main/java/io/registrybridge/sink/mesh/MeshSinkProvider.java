package io.registrybridge.sink.mesh;

import static java.util.Objects.requireNonNull;

import io.registrybridge.spi.DaemonSettings;
import io.registrybridge.spi.PreparedSink;
import io.registrybridge.spi.SinkHost;
import io.registrybridge.spi.SinkPlan;
import io.registrybridge.spi.SinkProvider;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * {@code istio-k8s://} and {@code istio-dir://}: Istio ServiceEntry objects through the
 * Kubernetes API or as YAML files. ({@code istio-xds://} is {@code sinks/mesh-xds}'s.)
 */
public final class MeshSinkProvider implements SinkProvider {

  @Override
  public Set<String> schemes() {
    return Set.of(MeshSinkUri.KUBERNETES_SCHEME, MeshSinkUri.DIRECTORY_SCHEME);
  }

  @Override
  public String title() {
    return "Istio ServiceEntry (istio-k8s://, istio-dir://):";
  }

  @Override
  public List<String> help() {
    return List.of(
        "  istio-k8s://[?namespace=NS] Istio ServiceEntry objects through the Kubernetes API"
            + " (KUBECONFIG or in-cluster; ?context= or -k8s-context picks the context)",
        "  istio-dir:///PATH           Istio ServiceEntry YAML files in a directory (istiod"
            + " configSources fs://, --configDir, GitOps, kubectl apply -f); apiVersion"
            + " networking.istio.io/v1alpha3, which every istiod reads from files",
        "Both take namespace, domain, exportTo, collision=report|allocate, vipRange and"
            + " apiVersion=auto|v1|v1beta1|v1alpha3 (docs/mesh.md).");
  }

  @Override
  public SinkPlan plan(String uri, DaemonSettings settings) {
    MeshSinkUri parsed = MeshSinkUri.parse(uri);
    if (parsed.transport() == MeshSinkUri.Transport.XDS) {
      throw new IllegalArgumentException("invalid mesh sink URI '" + uri + "': istio-xds is"
          + " served by registry-bridge-sink-mesh-xds");
    }
    return new Plan(parsed, settings);
  }

  /** One validated {@code istio-k8s} or {@code istio-dir} URI. */
  private record Plan(MeshSinkUri uri, DaemonSettings settings) implements SinkPlan {
    Plan {
      requireNonNull(uri, "uri");
      requireNonNull(settings, "settings");
    }

    @Override
    public String kind() {
      return uri.transport() == MeshSinkUri.Transport.DIRECTORY
          ? DirectoryServiceEntryStore.NAME : KubernetesServiceEntryStore.NAME;
    }

    /** The directory; for the Kubernetes API, the namespace (after the context, if any). */
    @Override
    public String instance() {
      if (uri.transport() == MeshSinkUri.Transport.DIRECTORY) {
        return uri.directory().orElseThrow().toString();
      }
      String namespace = uri.applyTo(MeshSinkConfig.builder("plan").build()).namespace();
      return context().map(c -> c + "/" + namespace).orElse(namespace);
    }

    /** The URI's {@code context=}, else the daemon's {@code -k8s-context}. */
    private Optional<String> context() {
      return uri.context().or(settings::kubeContext);
    }

    @Override
    public PreparedSink prepare(SinkHost host) {
      MeshSinkConfig config;
      try {
        config = uri.applyTo(MeshSinkConfig.builder(host.ownerId()).build());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("invalid mesh sink URI '" + uri.uri() + "': "
            + e.getMessage(), e);
      }
      MeshMetrics metrics = new MeshMetrics(host.meters(), host.sinkName());
      if (uri.transport() == MeshSinkUri.Transport.DIRECTORY) {
        Path directory = uri.directory().orElseThrow();
        try {
          DirectoryServiceEntryStore.checkUsable(directory);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("sink " + uri.uri() + ": " + e.getMessage(), e);
        }
        return () -> built(metrics, MeshSinks.directory(host.sinkName(), config, directory,
            metrics));
      }
      return () -> built(metrics, MeshSinks.kubernetes(host.sinkName(), config, context(),
          metrics));
    }

    private static PreparedSink.Built built(MeshMetrics metrics, MeshSink sink) {
      metrics.watch(sink);
      return new PreparedSink.Built(sink);
    }
  }
}
