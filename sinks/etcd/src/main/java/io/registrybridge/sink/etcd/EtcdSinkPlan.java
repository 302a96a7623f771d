package io.registrybridge.sink.etcd;

import static java.util.Objects.requireNonNull;

import io.registrybridge.core.SinkTiming;
import io.registrybridge.spi.DaemonSettings;
import io.registrybridge.spi.PreparedSink;
import io.registrybridge.spi.SinkHost;
import io.registrybridge.spi.SinkPlan;
import java.net.URI;
import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;

/** A checked etcd sink URI; {@link #prepare} reads the files again and builds nothing yet. */
final class EtcdSinkPlan implements SinkPlan {
  private final String uri;
  private final EtcdUri parsed;
  private final EtcdAccess access;
  private final DaemonSettings settings;

  EtcdSinkPlan(String uri, EtcdUri parsed, EtcdAccess access, DaemonSettings settings) {
    this.uri = requireNonNull(uri, "uri");
    this.parsed = requireNonNull(parsed, "parsed");
    this.access = requireNonNull(access, "access");
    this.settings = requireNonNull(settings, "settings");
  }

  EtcdUri parsed() {
    return parsed;
  }

  @Override
  public String kind() {
    return parsed.kind().scheme;
  }

  @Override
  public String instance() {
    return parsed.instance();
  }

  @Override
  public PreparedSink prepare(SinkHost host) {
    requireNonNull(host, "host");
    if (host.ownerId().isBlank() || host.ownerId().contains("/")) {
      throw new IllegalArgumentException("sink URI " + uri + ": the host name '"
          + host.ownerId() + "' cannot start service IDs (empty, or holds '/')");
    }
    // Read every file again now: a certificate or password that vanished is exit 2, not a
    // sink that fails forever.
    EtcdAccess current = EtcdAccess.fromEnvironment(uri, settings.env(), parsed.tls());
    Optional<SSLContext> tls = parsed.tls() ? Optional.of(context(current)) : Optional.empty();
    return () -> create(host, current, tls);
  }

  private SSLContext context(EtcdAccess current) {
    try {
      return EtcdTls.context(current);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("sink URI " + uri + ": " + e.getMessage(), e);
    }
  }

  private PreparedSink.Built create(SinkHost host, EtcdAccess current, Optional<SSLContext> tls) {
    HttpClient.Builder client = HttpClient.newBuilder()
        .connectTimeout(EtcdHttp.CONNECT_TIMEOUT)
        // etcd's gateway and v2 API speak HTTP/1.1; h2c upgrades only cost a round trip.
        .version(HttpClient.Version.HTTP_1_1);
    tls.ifPresent(client::sslContext);
    List<URI> bases = new ArrayList<>();
    for (String endpoint : parsed.endpoints()) {
      bases.add(URI.create((parsed.tls() ? "https://" : "http://") + endpoint));
    }
    boolean v3 = parsed.kind() == EtcdUri.Kind.ETCD3;
    EtcdHttp.Auth auth = current.user()
        .<EtcdHttp.Auth>map(user -> v3 ? new V3KeyStore.TokenAuth(user) : basic(user))
        .orElse(EtcdHttp.NO_AUTH);
    EtcdHttp http = new EtcdHttp(bases, client.build(), auth);
    String root = parsed.root();
    KeyStore store = v3 ? new V3KeyStore(http, root, host.ownerId(), settings.ttl())
        : new V2KeyStore(http, root, settings.ttl());
    Layout layout = new Layout(parsed.kind() == EtcdUri.Kind.SKYDNS2, root, !v3);
    SinkTiming timing = settings.verifyInterval().map(SinkTiming::new).orElse(SinkTiming.DEFAULT);
    EtcdSink sink = new EtcdSink(host.sinkName(), layout, store, host.ownerId(), timing,
        host.clock(), writers(host.sinkName()));
    if (settings.ttlRefresh().isEmpty()) {
      return new PreparedSink.Built(sink);
    }
    TtlRefresher refresher =
        new TtlRefresher(sink, host.sideExecutor().get(), settings.ttlRefresh().get());
    refresher.start();
    return new PreparedSink.Built(sink, List.of(refresher));
  }

  private static EtcdHttp.Auth basic(EtcdAccess.Credentials user) {
    String header = "Basic " + java.util.Base64.getEncoder().encodeToString(
        (user.name() + ":" + user.password()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    return http -> Optional.of(header);
  }

  private static ExecutorService writers(String sinkName) {
    AtomicInteger n = new AtomicInteger();
    ThreadFactory threads = r -> {
      Thread thread = new Thread(r, sinkName + "-write-" + n.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
    return Executors.newFixedThreadPool(EtcdSink.WRITERS, threads);
  }
}
