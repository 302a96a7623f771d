package io.registrybridge.sink.consul.kv;

import static java.util.Objects.requireNonNull;

import io.registrybridge.core.SinkTiming;
import io.registrybridge.sink.consul.ConsulOkHttp;
import io.registrybridge.sink.consul.ConsulSinkConfig;
import io.registrybridge.sink.consul.ConsulTls;
import io.registrybridge.sink.consul.ConsulToken;
import io.registrybridge.spi.PreparedSink;
import io.registrybridge.spi.SinkHost;
import io.registrybridge.spi.SinkPlan;
import java.util.Map;
import java.util.Optional;
import okhttp3.OkHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A validated {@code consulkv://} URI: {@link #prepare} reads the files, then it builds. */
final class ConsulKvPlan implements SinkPlan {
  private static final Logger log = LoggerFactory.getLogger(ConsulKvPlan.class);

  /** The token and TLS settings, as for the Consul sink. */
  record Connection(Optional<ConsulToken> token, ConsulTls tls) {}

  private final KvUri uri;

  ConsulKvPlan(KvUri uri) {
    this.uri = requireNonNull(uri, "uri");
  }

  @Override
  public String kind() {
    return "consulkv";
  }

  @Override
  public String instance() {
    return uri.instance();
  }

  Connection connection(Map<String, String> env) {
    return new Connection(ConsulToken.fromEnvironment(env),
        ConsulTls.forEndpoint(uri.endpoint(), env));
  }

  @Override
  public PreparedSink prepare(SinkHost host) {
    Connection connection = connection(host.settings().env());
    if (host.ownerId().isBlank()) {
      throw new IllegalArgumentException(uri.uri() + ": the owner ID (-hostname) is blank");
    }
    KvOwnership ownership = new KvOwnership(host.ownerId(),
        host.settings().cleanup() ? Optional.of(host.ownerId() + ":") : Optional.empty());
    // Loads the certificate files now, so that a bad one ends the daemon with status 2. Only
    // synchronous calls are made, so the client starts no thread of its own.
    OkHttpClient http = ConsulOkHttp.client(uri.endpoint(), connection.token(), connection.tls(),
        ConsulSinkConfig.Timeouts.DEFAULT);
    if (host.settings().ttl().isPresent()) {
      log.info("{}: -ttl does not apply to Consul KV keys (as with Registrator's consulkv)",
          host.sinkName());
    }
    SinkTiming timing = new SinkTiming(host.settings().verifyInterval()
        .orElse(SinkTiming.DEFAULT.verifyInterval()));
    return () -> {
      log.info("{}: writing {}/<name>/<id> with owner mark flags={}", host.sinkName(),
          uri.prefix(), ownership.mark());
      return new PreparedSink.Built(new ConsulKvSink(host.sinkName(),
          new HttpConsulKv(http, ConsulOkHttp.baseUrl(uri.endpoint())),
          new KvLayout(uri.prefix()), ownership, timing, host.clock()));
    };
  }
}
