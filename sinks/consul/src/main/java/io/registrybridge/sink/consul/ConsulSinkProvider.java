package io.registrybridge.sink.consul;

import io.registrybridge.spi.DaemonSettings;
import io.registrybridge.spi.PreparedSink;
import io.registrybridge.spi.SinkHost;
import io.registrybridge.spi.SinkPlan;
import io.registrybridge.spi.SinkProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** {@code consul://}, {@code consul-tls://}, {@code consul-unix://}: a Consul agent. */
public final class ConsulSinkProvider implements SinkProvider {
  @Override
  public Set<String> schemes() {
    return Set.of("consul", "consul-tls", "consul-unix");
  }

  @Override
  public String title() {
    return "Consul (consul://, consul-tls://, consul-unix://):";
  }

  @Override
  public List<String> help() {
    return List.of(
        "  consul://HOST[:PORT]        Consul agent over HTTP (port 8500)",
        "  consul-tls://HOST[:PORT]    Consul agent over HTTPS (port 8500 unless given); the server",
        "                              certificate is verified",
        "  consul-unix:///PATH         Consul agent on a Unix domain socket",
        "  CONSUL_HTTP_TOKEN, CONSUL_HTTP_TOKEN_FILE   the ACL token (never a flag)",
        "  CONSUL_CACERT, CONSUL_CLIENT_CERT, CONSUL_CLIENT_KEY   certificates for consul-tls://",
        "  CONSUL_HTTP_SSL_VERIFY=false   skip server certificate checks (tests only)");
  }

  @Override
  public SinkPlan plan(String uri, DaemonSettings settings) {
    // Validates the URI, the token file and the TLS files now; the owner is set at start.
    ConsulEndpoint endpoint = ConsulSinkConfig.fromUri(uri, settings.env(), "validation")
        .endpoint();
    return new SinkPlan() {
      @Override
      public String kind() {
        return "consul";
      }

      @Override
      public String instance() {
        return switch (endpoint) {
          case ConsulEndpoint.Tcp tcp -> tcp.host() + ":" + tcp.port();
          case ConsulEndpoint.UnixSocket socket -> socket.path().toString();
        };
      }

      @Override
      public PreparedSink prepare(SinkHost host) {
        ConsulSinkConfig config = config(uri, host);
        return () -> create(config, host);
      }
    };
  }

  /** Reads the token and TLS files again, and sets the owner. */
  private static ConsulSinkConfig config(String uri, SinkHost host) {
    DaemonSettings settings = host.settings();
    ConsulSinkConfig.Builder builder = ConsulSinkConfig.builder(uri, settings.env(),
        host.ownerId());
    if (settings.cleanup()) {
      builder.legacyCleanup(host.ownerId() + ":");
    }
    if (settings.ttl().isPresent()) {
      builder.ttl(settings.ttl().get(), settings.ttlRefresh().orElseThrow());
    }
    settings.verifyInterval().ifPresent(builder::verifyInterval);
    return builder.sinkName(host.sinkName()).build();
  }

  private static PreparedSink.Built create(ConsulSinkConfig config, SinkHost host) {
    ConsulSink sink = ConsulSinkFactory.create(config, host.clock());
    ConsulMetrics.watch(host.meters(), host.sinkName(), sink);
    List<AutoCloseable> companions = new ArrayList<>();
    if (config.ttl().isPresent()) {
      TtlHeartbeat heartbeat = new TtlHeartbeat(sink, host.sideExecutor().get());
      heartbeat.start();
      companions.add(heartbeat);
    }
    return new PreparedSink.Built(sink, companions);
  }
}
