package io.registrybridge.bridge;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.MeterRegistry;
import io.registrybridge.core.Sink;
import io.registrybridge.sink.consul.ConsulSink;
import io.registrybridge.sink.consul.ConsulSinkConfig;
import io.registrybridge.sink.consul.ConsulSinkFactory;
import io.registrybridge.sink.consul.TtlHeartbeat;
import io.registrybridge.sink.mesh.MeshSink;
import io.registrybridge.sink.mesh.MeshSinkConfig;
import io.registrybridge.sink.mesh.MeshSinkListener;
import io.registrybridge.sink.mesh.MeshSinkUri;
import io.registrybridge.sink.mesh.MeshSinks;
import io.registrybridge.sink.mesh.xds.XdsMeshSinks;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;

/**
 * Knows every sink URI scheme, in three steps. Parsing happens before anything starts, so a
 * wrong URI or a missing token file ends the daemon with status 2 instead of a retry loop.
 * Preparing happens once the bridge's host name is known (sinks mark what they own with it) and
 * checks everything else that can fail without a network: the settings with the owner ID, the
 * token and TLS files read again. Creating builds the clients and binds the xDS server's port;
 * with {@code -leader-elect} it happens only on the leader, so a replica that cannot write
 * finds out before it competes for the Lease, and followers hold no port.
 */
final class SinkFactory {
  private SinkFactory() {}

  /**
   * What a sink needs from the daemon to be built.
   *
   * @param sideExecutor makes a thread for work beside a sink's loop (the TTL heartbeat), so that
   *     it never waits behind the sink's writes
   * @param meters the daemon's registry, for sinks with meters of their own (the xDS server)
   * @param meshListener hears the mesh sinks' reports, for metrics
   */
  record Context(BridgeConfig config, Map<String, String> env, String hostname, Clock clock,
      Supplier<ScheduledExecutorService> sideExecutor, MeterRegistry meters,
      MeshSinkListener meshListener) {}

  /**
   * A sink and what runs beside it on its executor (the TTL heartbeat).
   *
   * @param mesh the sink again when it is a mesh sink, for its status metrics and readiness
   */
  record Built(Sink sink, List<AutoCloseable> companions, Optional<MeshSink> mesh) {
    Built(Sink sink, List<AutoCloseable> companions) {
      this(sink, companions, Optional.empty());
    }

    static Built mesh(MeshSink sink) {
      return new Built(sink, List.of(), Optional.of(sink));
    }
  }

  /** A validated sink URI. */
  interface Spec {
    /** @throws IllegalArgumentException naming what is wrong with the sink's settings */
    Prepared prepare(Context context);
  }

  /** A sink whose settings are checked, ready to build. */
  interface Prepared {
    /**
     * Builds the sink (and starts what runs beside it); does not contact its control plane.
     *
     * @throws IllegalArgumentException when a port cannot be bound or a file became unusable
     */
    Built create();
  }

  /** @throws IllegalArgumentException naming the URI and what is wrong with it */
  static Spec parse(String uri, Map<String, String> env) {
    requireNonNull(uri, "uri");
    String scheme = uri.contains("://")
        ? uri.substring(0, uri.indexOf("://")).toLowerCase(Locale.ROOT) : "";
    return switch (scheme) {
      case "consul", "consul-tls", "consul-unix" -> consul(uri, env);
      case MeshSinkUri.KUBERNETES_SCHEME, MeshSinkUri.DIRECTORY_SCHEME,
          MeshSinkUri.XDS_SCHEME -> mesh(uri);
      default -> throw new IllegalArgumentException("unsupported sink URI '" + uri
          + "': expected consul://, consul-tls://, consul-unix://, istio-k8s://, istio-dir://"
          + " or istio-xds://");
    };
  }

  private static Spec mesh(String uri) {
    MeshSinkUri parsed = MeshSinkUri.parse(uri);
    if (parsed.transport() == MeshSinkUri.Transport.XDS) {
      XdsMeshSinks.validate(parsed); // the TLS files, now rather than at start
      return context -> {
        MeshSinkConfig base = checked(parsed, context);
        XdsMeshSinks.validate(parsed);
        return () -> Built.mesh(XdsMeshSinks.create(parsed, base, context.meshListener(),
            context.meters(), context.clock()));
      };
    }
    return context -> {
      MeshSinkConfig base = checked(parsed, context);
      return () -> Built.mesh(MeshSinks.create(parsed, base, context.meshListener()));
    };
  }

  /** The daemon-wide settings, checked with the URI's applied (the owner ID as a label). */
  private static MeshSinkConfig checked(MeshSinkUri parsed, Context context) {
    MeshSinkConfig base = base(context);
    parsed.applyTo(base);
    return base;
  }

  /** The daemon-wide mesh settings: the owner mark is the bridge's host name. */
  private static MeshSinkConfig base(Context context) {
    return MeshSinkConfig.builder(context.hostname()).build();
  }

  private static Spec consul(String uri, Map<String, String> env) {
    // Validates the URI, the token file and the TLS files now; the owner is set at start.
    ConsulSinkConfig.fromUri(uri, env, "validation");
    return context -> {
      ConsulSinkConfig sinkConfig = consulConfig(uri, context);
      return () -> {
        ConsulSink sink = ConsulSinkFactory.create(sinkConfig, context.clock());
        List<AutoCloseable> companions = new ArrayList<>();
        if (sinkConfig.ttl().isPresent()) {
          TtlHeartbeat heartbeat = new TtlHeartbeat(sink, context.sideExecutor().get());
          heartbeat.start();
          companions.add(heartbeat);
        }
        return new Built(sink, companions);
      };
    };
  }

  /** Reads the token and TLS files again, and sets the owner. */
  private static ConsulSinkConfig consulConfig(String uri, Context context) {
    BridgeConfig config = context.config();
    ConsulSinkConfig.Builder builder = ConsulSinkConfig.builder(uri, context.env(),
        context.hostname());
    if (config.cleanup()) {
      builder.legacyCleanup(context.hostname() + ":");
    }
    if (config.ttl().isPresent() && config.ttlRefresh().isPresent()) {
      builder.ttl(config.ttl().get(), config.ttlRefresh().get());
    }
    config.verifyInterval().ifPresent(builder::verifyInterval);
    return builder.catalogNode(config.k8sConsulNode()).build();
  }
}
