package io.registrybridge.sink.zookeeper;

import io.registrybridge.spi.DaemonSettings;
import io.registrybridge.spi.SinkPlan;
import io.registrybridge.spi.SinkProvider;
import java.util.List;
import java.util.Set;

/**
 * {@code zookeeper://HOST:PORT/PATH}: Registrator's ZooKeeper back end. {@code -ttl} and {@code
 * -ttl-refresh} do not apply (ephemeral nodes live as long as the session, which Curator keeps
 * alive), as in Registrator, whose refresh re-created a node that already existed.
 */
public final class ZooKeeperSinkProvider implements SinkProvider {

  @Override
  public Set<String> schemes() {
    return Set.of(ZooKeeperUri.SCHEME);
  }

  @Override
  public String title() {
    return "ZooKeeper (zookeeper://), Registrator's layout:";
  }

  @Override
  public List<String> help() {
    return List.of(
        "  zookeeper://HOST:PORT/PATH   an ephemeral node PATH/<name>/<ip>:<port> per service,",
        "                               holding Registrator's JSON, under a persistent",
        "                               PATH/<name>; several servers: HOST:PORT,HOST:PORT/PATH",
        "    ?session-timeout=10s       how long the nodes outlive a bridge that stopped",
        "                               answering (ZooKeeper bounds it by its tickTime)",
        "    ?connect-timeout=5s        how long a write waits for a connection before the",
        "                               sink backs off (-retry-*)",
        "  No environment variables.");
  }

  @Override
  public SinkPlan plan(String uri, DaemonSettings settings) {
    return new ZooKeeperSinkPlan(ZooKeeperUri.parse(uri), settings);
  }
}
