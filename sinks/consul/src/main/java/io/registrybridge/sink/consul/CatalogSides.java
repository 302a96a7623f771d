package io.registrybridge.sink.consul;

import static java.util.Objects.requireNonNull;

import io.registrybridge.core.SinkContext;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Function;

/**
 * The catalog nodes of {@link ConsulSink}, each a {@link TargetSync} with its {@link
 * SentinelWatch}, made when a node is first named (by a desired instance, or as the default node
 * at start) and kept for the sink's life: a node nothing desired uses any more keeps its mirror,
 * so that what we registered there is still removed once it is no longer desired.
 *
 * <p>{@link #of} runs on the sink's thread; {@link #all} may be called from any thread ({@code
 * explain}).
 */
final class CatalogSides implements AutoCloseable {

  /** One node's half of the sink. */
  record Side(CatalogNode node, TargetSync sync, SentinelWatch watch) {}

  private final Function<CatalogNode, TargetSync> newSync;
  // Sorted by node name, so that a full sync reads and writes the nodes in a stable order.
  private final Map<String, Side> byName = new ConcurrentSkipListMap<>();
  private SinkContext context; // set by start; guarded by this
  private boolean closed; // guarded by this

  /** @param newSync the sync of one node, with the sink's owner, clock and writers */
  CatalogSides(Function<CatalogNode, TargetSync> newSync) {
    this.newSync = requireNonNull(newSync, "newSync");
  }

  /** The node's side, made (and its watch started, once the sink is) on first use. */
  synchronized Side of(CatalogNode node) {
    Side side = byName.get(node.name());
    if (side == null) {
      TargetSync sync = newSync.apply(node);
      side = new Side(node, sync, SentinelWatch.on("consul-catalog-watch-" + node.name(), sync));
      byName.put(node.name(), side);
      if (context != null && !closed) {
        side.watch().start(context);
      }
    }
    return side;
  }

  /** Every node made so far, by name. */
  List<Side> all() {
    return List.copyOf(byName.values());
  }

  /** Starts the watches of the nodes made so far, and of every node made later. */
  synchronized void start(SinkContext context) {
    this.context = requireNonNull(context, "context");
    if (!closed) {
      byName.values().forEach(side -> side.watch().start(context));
    }
  }

  @Override
  public synchronized void close() {
    closed = true;
    byName.values().forEach(side -> side.watch().close());
  }
}
