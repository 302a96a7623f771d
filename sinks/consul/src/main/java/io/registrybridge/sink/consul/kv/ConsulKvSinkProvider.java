package io.registrybridge.sink.consul.kv;

import io.registrybridge.spi.DaemonSettings;
import io.registrybridge.spi.SinkPlan;
import io.registrybridge.spi.SinkProvider;
import java.util.List;
import java.util.Set;

/**
 * {@code consulkv://}, {@code consulkv-tls://} and {@code consulkv-unix://}: Registrator's Consul
 * KV back end. Listed in {@code META-INF/services/io.registrybridge.spi.SinkProvider}.
 */
public final class ConsulKvSinkProvider implements SinkProvider {

  @Override
  public Set<String> schemes() {
    return Set.of("consulkv", "consulkv-tls", "consulkv-unix");
  }

  @Override
  public String title() {
    return "Consul KV, Registrator's layout (consulkv://, consulkv-tls://, consulkv-unix://):";
  }

  @Override
  public List<String> help() {
    return List.of(
        "  consulkv://HOST:PORT/PREFIX          key PREFIX/<name>/<id>, value ip:port",
        "  consulkv-tls://HOST:PORT/PREFIX      the same over HTTPS",
        "  consulkv-unix:///PATH.sock:/PREFIX   the same over a Unix socket",
        "  Keys carry this bridge's owner mark in their flags; others' keys are never touched.",
        "  CONSUL_HTTP_TOKEN, CONSUL_HTTP_TOKEN_FILE   ACL token (key:write on PREFIX/)",
        "  CONSUL_CACERT, CONSUL_CLIENT_CERT, CONSUL_CLIENT_KEY, CONSUL_HTTP_SSL_VERIFY   TLS");
  }

  /**
   * Parses the URI and checks the token and TLS variables.
   *
   * @throws IllegalArgumentException naming the URI, or the variable, and what is wrong
   */
  @Override
  public SinkPlan plan(String uri, DaemonSettings settings) {
    KvUri parsed = KvUri.parse(uri);
    ConsulKvPlan plan = new ConsulKvPlan(parsed);
    plan.connection(settings.env()); // the token and TLS variables, so that errors come now
    return plan;
  }
}
