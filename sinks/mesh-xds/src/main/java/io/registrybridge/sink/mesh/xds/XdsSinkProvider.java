package io.registrybridge.sink.mesh.xds;

import static java.util.Objects.requireNonNull;

import io.registrybridge.sink.mesh.MeshMetrics;
import io.registrybridge.sink.mesh.MeshSink;
import io.registrybridge.sink.mesh.MeshSinkConfig;
import io.registrybridge.sink.mesh.MeshSinkUri;
import io.registrybridge.sink.mesh.MeshSinkUri.XdsListen;
import io.registrybridge.spi.DaemonSettings;
import io.registrybridge.spi.PreparedSink;
import io.registrybridge.spi.SinkHost;
import io.registrybridge.spi.SinkPlan;
import io.registrybridge.spi.SinkProvider;
import java.util.List;
import java.util.Set;

/** {@code istio-xds://}: ServiceEntry objects served to istiod over xDS. */
public final class XdsSinkProvider implements SinkProvider {

  @Override
  public Set<String> schemes() {
    return Set.of(MeshSinkUri.XDS_SCHEME);
  }

  @Override
  public String title() {
    return "Istio ServiceEntry over xDS (istio-xds://):";
  }

  @Override
  public List<String> help() {
    return List.of(
        "  istio-xds://[HOST]:PORT     Istio ServiceEntry served to istiod over xDS (istiod"
            + " configSources xds://HOST:PORT); bound at start, before any source connects",
        "  ?tlsCert=PEM&tlsKey=PEM     TLS; with &tlsClientCa=PEM mutual TLS (client"
            + " certificates required); plaintext otherwise, with a warning unless on loopback",
        "  ?maxStreams=N               streams at once (default "
            + XdsListen.DEFAULT_MAX_STREAMS + "); ?maxSubscriptions=N type URLs per stream"
            + " (default " + XdsListen.DEFAULT_MAX_SUBSCRIPTIONS + ")",
        "Also namespace, domain, exportTo, collision and vipRange as for istio-dir://;"
            + " `registry-bridge mesh-dump istio-xds://HOST:PORT` prints what it serves.");
  }

  @Override
  public SinkPlan plan(String uri, DaemonSettings settings) {
    MeshSinkUri parsed = MeshSinkUri.parse(uri);
    XdsMeshSinks.validate(parsed); // the TLS files, now rather than at start
    return new Plan(parsed);
  }

  /** One validated {@code istio-xds} URI; holds its server once bound. */
  private static final class Plan implements SinkPlan {
    private final MeshSinkUri uri;
    private final XdsListen listen;
    private XdsServer bound; // set by bindEarly, taken by create

    Plan(MeshSinkUri uri) {
      this.uri = requireNonNull(uri, "uri");
      this.listen = XdsMeshSinks.listen(uri);
    }

    @Override
    public String kind() {
      return XdsServiceEntryStore.NAME;
    }

    /** The port, with the host when the URI names one. */
    @Override
    public String instance() {
      return listen.host().isEmpty() ? Integer.toString(listen.port()) : listen.authority();
    }

    /**
     * Binds the port now: istiod up to 1.23 exits when its {@code xds://} source refuses the
     * connection at its start, and it may start beside the bridge. From now on every type but
     * ServiceEntry is answered; ServiceEntry once the sink has a complete state.
     */
    @Override
    public synchronized void bindEarly() {
      if (bound == null) {
        bound = XdsMeshSinks.bind(listen, XdsServer.Keepalive.ISTIOD);
      }
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
      XdsMeshSinks.validate(uri); // the TLS files again, as they are now
      return () -> {
        MeshMetrics metrics = new MeshMetrics(host.meters(), host.sinkName());
        MeshSink sink = XdsMeshSinks.start(host.sinkName(), config, server(), metrics,
            host.meters(), host.clock()).sink();
        metrics.watch(sink);
        return new PreparedSink.Built(sink);
      };
    }

    /** The server bound early, or one bound now (with {@code -leader-elect}, on the leader). */
    private synchronized XdsServer server() {
      XdsServer server = bound == null
          ? XdsMeshSinks.bind(listen, XdsServer.Keepalive.ISTIOD) : bound;
      bound = null; // a second create (after a close) binds again
      return server;
    }
  }
}
