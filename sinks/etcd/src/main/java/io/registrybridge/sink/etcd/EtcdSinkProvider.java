package io.registrybridge.sink.etcd;

import io.registrybridge.spi.DaemonSettings;
import io.registrybridge.spi.SinkPlan;
import io.registrybridge.spi.SinkProvider;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * Registrator's etcd back ends: {@code etcd://} (v2 keys API), {@code skydns2://} (SkyDNS 2
 * records, v2 keys API) and {@code etcd3://} (the v3 API through etcd's JSON gateway).
 */
public final class EtcdSinkProvider implements SinkProvider {

  @Override
  public Set<String> schemes() {
    return Set.of("etcd", "etcd3", "skydns2");
  }

  @Override
  public String title() {
    return "etcd (etcd://, etcd3://, skydns2://):";
  }

  @Override
  public List<String> help() {
    return List.of(
        "  etcd://HOST:PORT[,HOST:PORT...]/PREFIX[?tls]",
        "                        PREFIX/<name>/<id> = ip:port, etcd's v2 keys API"
            + " (etcd --enable-v2)",
        "  etcd3://HOST:PORT[,HOST:PORT...]/PREFIX[?tls]",
        "                        the same keys through the v3 API; -ttl puts them on a lease",
        "  skydns2://HOST:PORT[,HOST:PORT...]/DOMAIN[?tls]",
        "                        /skydns/<domain reversed>/<name>/<id> ="
            + " {\"host\":ip,\"port\":port}",
        "  No host means 127.0.0.1:2379. -ttl and -ttl-refresh give every key a TTL.",
        "  Environment (etcdctl's names; files are read at start):",
        "    " + EtcdAccess.CA_CERT_ENV + ", " + EtcdAccess.CERT_ENV + ", " + EtcdAccess.KEY_ENV
            + "   PEM files for ?tls (the server is always verified)",
        "    " + EtcdAccess.USER_ENV + "=name[:password], " + EtcdAccess.PASSWORD_ENV + ", "
            + EtcdAccess.PASSWORD_FILE_ENV);
  }

  @Override
  public SinkPlan plan(String uri, DaemonSettings settings) {
    EtcdUri parsed = EtcdUri.parse(uri);
    EtcdAccess access = EtcdAccess.fromEnvironment(uri, settings.env(), parsed.tls());
    settings.ttl().ifPresent(ttl -> {
      if (ttl.compareTo(Duration.ofSeconds(1)) < 0) {
        throw new IllegalArgumentException("sink URI " + uri + ": -ttl must be at least 1s for"
            + " etcd, which counts TTLs in seconds");
      }
    });
    return new EtcdSinkPlan(uri, parsed, access, settings);
  }
}
