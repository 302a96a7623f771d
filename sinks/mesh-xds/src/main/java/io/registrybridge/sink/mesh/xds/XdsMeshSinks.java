package io.registrybridge.sink.mesh.xds;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.MeterRegistry;
import io.registrybridge.sink.mesh.MeshSink;
import io.registrybridge.sink.mesh.MeshSinkConfig;
import io.registrybridge.sink.mesh.MeshSinkListener;
import io.registrybridge.sink.mesh.MeshSinkUri;
import io.registrybridge.sink.mesh.MeshSinkUri.XdsListen;
import io.registrybridge.sink.mesh.MeshSinks;
import java.io.IOException;
import java.time.Clock;

/**
 * Creates {@code istio-xds} sinks: the mesh engine over a store whose objects an ADS server hands
 * to istiod ({@code meshConfig.configSources: [{address: xds://HOST:PORT}]}). The server is bound
 * first ({@link #bind}), the sink built on it later ({@link #start}): see {@link XdsServer}.
 */
public final class XdsMeshSinks {
  private XdsMeshSinks() {}

  /**
   * Checks what can be checked before anything starts: the TLS files of the URI.
   *
   * @throws IllegalArgumentException naming the URI and what is wrong
   */
  public static void validate(MeshSinkUri uri) {
    try {
      XdsServer.tls(listen(uri));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid mesh sink URI '" + uri.uri() + "': "
          + e.getMessage(), e);
    }
  }

  /**
   * The sink an {@code istio-xds} URI names, with its settings applied over {@code base}; its
   * server is listening when this returns, and closing the sink stops it.
   *
   * @param meters where the server's meters go ({@link XdsMetrics})
   * @throws IllegalArgumentException when the address cannot be bound or the TLS files are bad
   */
  public static MeshSink create(MeshSinkUri uri, MeshSinkConfig base, MeshSinkListener listener,
      MeterRegistry meters, Clock clock) {
    requireNonNull(base, "base");
    return start(XdsServiceEntryStore.NAME, uri.applyTo(base),
        bind(listen(uri), XdsServer.Keepalive.ISTIOD), listener, meters, clock).sink();
  }

  /** A started sink and its server, for tests that need the port. */
  record Started(MeshSink sink, XdsServer server) {}

  /**
   * Binds the port and serves at once: every type but ServiceEntry is answered from now on,
   * ServiceEntry once a sink started on it has published a complete state.
   *
   * @throws IllegalArgumentException when the address cannot be bound or the TLS files are bad
   */
  static XdsServer bind(XdsListen listen, XdsServer.Keepalive keepalive) {
    try {
      return XdsServer.start(listen, keepalive);
    } catch (IOException e) {
      throw new IllegalArgumentException("istio-xds: cannot listen on " + listen + ": "
          + (e.getCause() == null ? e.getMessage() : e.getCause().getMessage()), e);
    }
  }

  /**
   * The sink on a bound {@code server}, named {@code name}; its meters go to {@code meters},
   * tagged with that name. Closing the sink closes the server.
   */
  static Started start(String name, MeshSinkConfig config, XdsServer server,
      MeshSinkListener listener, MeterRegistry meters, Clock clock) {
    server.metrics().register(meters, name, server.cache());
    MeshSink sink = MeshSinks.withStore(name, config,
        new XdsServiceEntryStore(name, server, clock), listener);
    return new Started(sink, server);
  }

  /** Binds and starts in one go, for tests. */
  static Started start(MeshSinkConfig config, XdsListen listen, XdsServer.Keepalive keepalive,
      MeshSinkListener listener, MeterRegistry meters, Clock clock) {
    return start(XdsServiceEntryStore.NAME, config, bind(listen, keepalive), listener, meters,
        clock);
  }

  static XdsListen listen(MeshSinkUri uri) {
    requireNonNull(uri, "uri");
    if (uri.transport() != MeshSinkUri.Transport.XDS) {
      throw new IllegalArgumentException(uri.uri() + " is not an istio-xds URI");
    }
    return uri.xds().orElseThrow();
  }
}
