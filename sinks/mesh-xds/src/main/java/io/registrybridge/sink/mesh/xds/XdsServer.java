package io.registrybridge.sink.mesh.xds;

import static java.util.Objects.requireNonNull;

import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.registrybridge.sink.mesh.MeshSinkUri.XdsListen;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The gRPC server (Netty) that istiod dials: plaintext or SIMPLE TLS, istiod's keepalive. */
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

  private XdsServer(Server server, XdsListen listen) {
    this.server = server;
    this.listen = listen;
  }

  /**
   * Binds and starts serving.
   *
   * @throws IOException when the address cannot be bound
   */
  static XdsServer start(XdsListen listen, ServerServiceDefinition service, Keepalive keepalive)
      throws IOException {
    InetSocketAddress address = listen.host()
        .map(host -> new InetSocketAddress(host, listen.port()))
        .orElseGet(() -> new InetSocketAddress(listen.port()));
    NettyServerBuilder builder = NettyServerBuilder.forAddress(address).addService(service)
        .permitKeepAliveTime(keepalive.permitTime().toNanos(), TimeUnit.NANOSECONDS)
        .permitKeepAliveWithoutCalls(keepalive.permitWithoutCalls());
    Optional<SslContext> tls = tls(listen);
    tls.ifPresent(builder::sslContext);
    Server server = builder.build().start();
    XdsServer started = new XdsServer(server, listen);
    log.info("serving ServiceEntry over xDS on {} ({})", started.address(),
        tls.isPresent() ? "TLS" : "plaintext");
    return started;
  }

  /**
   * The server's TLS context, if the URI asks for TLS: reads and checks the certificate chain and
   * the key (PEM, PKCS#8).
   *
   * @throws IllegalArgumentException naming the files and what is wrong with them
   */
  static Optional<SslContext> tls(XdsListen listen) {
    if (listen.tlsCert().isEmpty()) {
      return Optional.empty();
    }
    var cert = listen.tlsCert().get();
    var key = listen.tlsKey().orElseThrow();
    try {
      return Optional.of(GrpcSslContexts.forServer(cert.toFile(), key.toFile()).build());
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("tlsCert " + cert + " / tlsKey " + key
          + " cannot be used: " + e.getMessage() + " (expected a PEM certificate chain and its"
          + " PEM private key, PKCS#8: BEGIN PRIVATE KEY)", e);
    }
  }

  /** The port bound: the URI's. */
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
