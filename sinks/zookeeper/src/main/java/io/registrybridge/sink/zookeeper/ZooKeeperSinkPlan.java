package io.registrybridge.sink.zookeeper;

import static java.util.Objects.requireNonNull;

import io.registrybridge.core.SinkTiming;
import io.registrybridge.spi.DaemonSettings;
import io.registrybridge.spi.PreparedSink;
import io.registrybridge.spi.SinkHost;
import io.registrybridge.spi.SinkPlan;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryNTimes;

/** A validated {@code zookeeper://} URI. */
public record ZooKeeperSinkPlan(ZooKeeperUri uri, DaemonSettings settings) implements SinkPlan {

  public ZooKeeperSinkPlan {
    requireNonNull(uri, "uri");
    requireNonNull(settings, "settings");
  }

  @Override
  public String kind() {
    return ZooKeeperUri.SCHEME;
  }

  @Override
  public String instance() {
    return uri.instance();
  }

  @Override
  public PreparedSink prepare(SinkHost host) {
    requireNonNull(host, "host");
    SinkTiming timing = settings.verifyInterval().map(SinkTiming::new).orElse(SinkTiming.DEFAULT);
    return () -> new PreparedSink.Built(new ZooKeeperSink(host.sinkName(), client(uri), uri,
        timing, new HostAddress(host.ownerId(), host.clock())));
  }

  /**
   * A started client; it connects in the background. Curator retries nothing: the reconciler is
   * the one retry loop, with the daemon's backoff ({@code -retry-*}) and a full sync after it.
   * Curator's own retries would hold the sink's thread for their whole backoff on every call
   * and hide the outage from {@code /readyz}. Each call waits at most {@code connect-timeout}
   * for a connection, then fails with a connection loss, which the sink reports as its control
   * plane being unavailable. The ZooKeeper client itself keeps reconnecting underneath (it always
   * does), so the first call after the server is back finds a connection.
   */
  static CuratorFramework client(ZooKeeperUri uri) {
    CuratorFramework client = CuratorFrameworkFactory.builder()
        .connectString(uri.connectString())
        .sessionTimeoutMs(Math.toIntExact(uri.sessionTimeout().toMillis()))
        .connectionTimeoutMs(Math.toIntExact(uri.connectTimeout().toMillis()))
        .retryPolicy(new RetryNTimes(0, 0))
        // The user's connect string is the ensemble; following /zookeeper/config would
        // replace it with addresses the servers know themselves by.
        .ensembleTracker(false)
        // Curator's default node data is this host's IP address; Registrator's is empty.
        .defaultData(new byte[0])
        .build();
    client.start();
    return client;
  }
}
