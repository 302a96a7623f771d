package io.registrybridge.sink.mesh.xds;

import static java.util.Objects.requireNonNull;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.registrybridge.sink.mesh.MeshSinkUri.XdsListen;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gRPC server (Netty) that istiod dials: plaintext, SIMPLE TLS or mutual TLS, istiod's
 * keepalive; and what it serves (the snapshot cache, the ADS service, their meters). It is bound
 * before the sink exists (the port first: istiod up to 1.23 exits when its {@code xds://}
 * source refuses the connection at its start), so that every type but ServiceEntry is answered
 * from the first moment, and ServiceEntry once the sink published a complete state.
 */
final class XdsServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(XdsServer.class);
  private static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(5);

  /**
   * Which client keepalive pings the server accepts. A client pinging more often than {@code
   * permitTime} (or without a call in flight, unless allowed) gets GOAWAY {@code too_many_pings}
   * after a few pings, and loses the stream.
   */
  record Keepalive(Duration permitTime, boolean permitWithoutCalls) {
    /**
     * istiod's config client pings every 30 s ({@code --keepaliveInterval}), also between
     * calls; grpc-java's default (5 min, not without calls) would turn it away (the bug of
     * alibaba/nacos#14516).
     */
    static final Keepalive ISTIOD = new Keepalive(Duration.ofSeconds(30), true);

    Keepalive {
      requireNonNull(permitTime, "permitTime");
    }
  }

  private final Server server;
  private final XdsListen listen;
  private final SnapshotCache cache;
  private final XdsMetrics metrics;
  private final AdsService ads;

  private XdsServer(Server server, XdsListen listen, SnapshotCache cache, XdsMetrics metrics,
      AdsService ads) {
    this.server = server;
    this.listen = listen;
    this.cache = cache;
    this.metrics = metrics;
    this.ads = ads;
  }

  /**
   * Binds and starts serving: every type but ServiceEntry at once, ServiceEntry once a complete
   * state is published into {@link #cache()}.
   *
   * @throws IOException when the address cannot be bound
   */
  static XdsServer start(XdsListen listen, Keepalive keepalive) throws IOException {
    SnapshotCache cache = new SnapshotCache();
    XdsMetrics metrics = new XdsMetrics();
    AdsService ads = new AdsService(cache, metrics, listen.maxStreams(),
        listen.maxSubscriptions());
    InetSocketAddress address = listen.host()
        .map(host -> new InetSocketAddress(host, listen.port()))
        .orElseGet(() -> new InetSocketAddress(listen.port()));
    NettyServerBuilder builder = NettyServerBuilder.forAddress(address)
        .addService(ads.definition())
        .permitKeepAliveTime(keepalive.permitTime().toNanos(), TimeUnit.NANOSECONDS)
        .permitKeepAliveWithoutCalls(keepalive.permitWithoutCalls());
    Optional<SslContext> tls = tls(listen);
    tls.ifPresent(builder::sslContext);
    Server server = builder.build().start();
    XdsServer started = new XdsServer(server, listen, cache, metrics, ads);
    log.info("serving ServiceEntry over xDS on {} ({}; at most {} streams, {} types each)",
        started.address(), listen.tlsClientCa().isPresent() ? "mutual TLS"
            : tls.isPresent() ? "TLS" : "plaintext", listen.maxStreams(),
        listen.maxSubscriptions());
    exposure(listen, address, started.address()).ifPresent(log::warn);
    return started;
  }

  /**
   * The warning for a plaintext port that others can reach: every address but loopback (a
   * host-less URI listens on every interface).
   *
   * @param shown the address as bound, {@code HOST:PORT} or {@code :PORT}
   */
  static Optional<String> exposure(XdsListen listen, InetSocketAddress address, String shown) {
    if (listen.tlsCert().isPresent() || (address.getAddress() != null
        && address.getAddress().isLoopbackAddress())) {
      return Optional.empty();
    }
    return Optional.of("istio-xds: serving plaintext on " + shown
        + (listen.host().isEmpty() ? " (every interface)" : "") + ": anyone who can reach this"
        + " port reads every ServiceEntry (each service's name, addresses, ports and labels),"
        + " and anyone between this port and istiod can change what istiod receives. Give"
        + " tlsCert and tlsKey (and tlsClientCa for clients with certificates), or listen on"
        + " 127.0.0.1");
  }

  /**
   * The server's TLS context, if the URI asks for TLS: reads and checks the certificate chain and
   * the key (PEM, PKCS#8), and with {@code tlsClientCa} the CA that client certificates must be
   * signed by (required and verified: mutual TLS).
   *
   * @throws IllegalArgumentException naming the files and what is wrong with them
   */
  static Optional<SslContext> tls(XdsListen listen) {
    if (listen.tlsCert().isEmpty()) {
      return Optional.empty();
    }
    Path cert = listen.tlsCert().get();
    Path key = listen.tlsKey().orElseThrow();
    try {
      SslContext simple = GrpcSslContexts.forServer(cert.toFile(), key.toFile()).build();
      if (listen.tlsClientCa().isEmpty()) {
        return Optional.of(simple);
      }
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("tlsCert " + cert + " / tlsKey " + key
          + " cannot be used: " + e.getMessage() + " (expected a PEM certificate chain and its"
          + " PEM private key, PKCS#8: BEGIN PRIVATE KEY)", e);
    }
    Path ca = listen.tlsClientCa().get();
    try {
      return Optional.of(GrpcSslContexts.forServer(cert.toFile(), key.toFile())
          .trustManager(ca.toFile()).clientAuth(ClientAuth.REQUIRE).build());
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("tlsClientCa " + ca + " cannot be used: "
          + e.getMessage() + " (expected one or more PEM CA certificates)", e);
    }
  }

  SnapshotCache cache() {
    return cache;
  }

  XdsMetrics metrics() {
    return metrics;
  }

  AdsService ads() {
    return ads;
  }

  /** The port bound: the URI's, or the one chosen for port 0. */
  int port() {
    return ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
  }

  String address() {
    return listen.host().map(h -> h.contains(":") ? "[" + h + "]" : h).orElse("") + ":" + port();
  }

  @Override
  public void close() {
    server.shutdown();
    try {
      if (!server.awaitTermination(SHUTDOWN_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
