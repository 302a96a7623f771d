package io.registrybridge.sink.mesh.xds;

import static java.util.Objects.requireNonNull;

import io.registrybridge.core.SinkTiming;
import io.registrybridge.sink.mesh.ServiceEntryStore;
import io.registrybridge.sink.mesh.xds.proto.mcp.Resource;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ServiceEntry objects served to istiod over xDS ({@code istio-xds}): the store is the set the
 * bridge serves, in memory, and every {@link #commit} publishes it as one snapshot.
 *
 * <p>Nothing is published before a commit of a complete desired state: the first answer to
 * istiod's ServiceEntry request must be the whole set, or istiod deletes what it had. After that
 * every commit that changed something publishes (deletes wait in the engine until the state is
 * complete anyway).
 *
 * <p>The store is its own truth: nobody else writes into this feed, so nothing is held elsewhere
 * and nothing changes behind the bridge's back; istiod merges this source with its others.
 *
 * <p>Called by the sink's thread; the {@link SnapshotCache} hands the snapshots to gRPC threads.
 */
final class XdsServiceEntryStore implements ServiceEntryStore {
  private static final Logger log = LoggerFactory.getLogger(XdsServiceEntryStore.class);
  static final String NAME = "mesh-xds";

  private final SnapshotCache cache;
  private final XdsMetrics metrics;
  private final AutoCloseable server;
  private final Clock clock;
  private final SortedMap<String, Served> served = new TreeMap<>();
  private boolean changed;
  private boolean toldWaiting;

  /** One object as served; {@code createTime} stays while the object exists. */
  private record Served(StoredEntry stored, Resource resource, Instant createTime) {}

  XdsServiceEntryStore(SnapshotCache cache, XdsMetrics metrics, AutoCloseable server,
      Clock clock) {
    this.cache = requireNonNull(cache, "cache");
    this.metrics = requireNonNull(metrics, "metrics");
    this.server = requireNonNull(server, "server");
    this.clock = requireNonNull(clock, "clock");
  }

  @Override
  public String name() {
    return NAME;
  }

  /** A full sync reads memory only; every five minutes, like the Kubernetes transport. */
  @Override
  public SinkTiming timing() {
    return SinkTiming.DEFAULT;
  }

  @Override
  public void open() {
    // The server was started when the sink was built.
  }

  @Override
  public Map<String, StoredEntry> readAll() {
    Map<String, StoredEntry> all = new HashMap<>();
    served.forEach((name, entry) -> all.put(name, entry.stored()));
    return all;
  }

  @Override
  public Optional<StoredEntry> held(String name) {
    return Optional.ofNullable(served.get(name)).map(Served::stored);
  }

  @Override
  public Optional<String> heldElsewhere(String name, String host) {
    return Optional.empty();
  }

  @Override
  public WriteResult write(RenderedEntry entry) {
    Served before = served.get(entry.name());
    Instant created = before == null ? clock.instant() : before.createTime();
    served.put(entry.name(), new Served(StoredEntry.written(entry),
        ServiceEntryResources.resource(entry, created), created));
    changed = true;
    return before == null ? new WriteResult.Created() : new WriteResult.Updated();
  }

  @Override
  public boolean delete(String name) {
    boolean deleted = served.remove(name) != null;
    changed |= deleted;
    return deleted;
  }

  @Override
  public void commit(boolean complete) {
    boolean first = cache.current().isEmpty();
    if (first && !complete) {
      if (!toldWaiting) {
        log.info("{}: {} ServiceEntries ready; not served before every source has listed once",
            NAME, served.size());
        toldWaiting = true;
      }
      return;
    }
    if (!first && !changed) {
      return;
    }
    SortedMap<String, Resource> resources = new TreeMap<>();
    served.forEach((name, entry) -> resources.put(name, entry.resource()));
    ServiceEntrySnapshot snapshot = ServiceEntrySnapshot.of(resources);
    changed = false;
    if (cache.publish(snapshot)) {
      metrics.serving(resources.size());
      if (first) {
        log.info("{}: serving {} ServiceEntries, version {}", NAME, resources.size(),
            snapshot.version());
      } else {
        log.debug("{}: serving {} ServiceEntries, version {}, {} bytes", NAME, resources.size(),
            snapshot.version(), snapshot.bytes());
      }
    }
  }

  @Override
  public Optional<String> notReady() {
    return cache.notReady();
  }

  @Override
  public void close() {
    try {
      server.close();
    } catch (Exception e) {
      log.debug("{}: closing the xDS server", NAME, e);
    }
  }
}
