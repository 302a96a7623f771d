package io.registrybridge.sink.mesh.xds;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.registrybridge.core.SinkTiming;
import io.registrybridge.sink.mesh.ServiceEntryStore;
import io.registrybridge.sink.mesh.xds.proto.mcp.Resource;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Predicate;
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

  /** The apiVersion the debug page shows the objects in: the type istiod 1.24 on asks for. */
  private static final String SHOWN_API_VERSION = XdsTypes.GROUP + "/v1";

  private final String name;
  private final XdsServer server;
  private final SnapshotCache cache;
  private final XdsMetrics metrics;
  private final Clock clock;
  private final SortedMap<String, Served> served = new TreeMap<>();
  private boolean changed;
  private boolean toldWaiting;
  // The objects held back before the first complete state, for the debug page.
  private volatile int waiting;

  /** One object as served; {@code createTime} stays while the object exists. */
  private record Served(StoredEntry stored, Resource resource, Instant createTime) {}

  /**
   * @param name the sink's name, for logs
   * @param server the bound server, which this store publishes into and closes
   */
  XdsServiceEntryStore(String name, XdsServer server, Clock clock) {
    this.name = requireNonNull(name, "name");
    this.server = requireNonNull(server, "server");
    this.cache = server.cache();
    this.metrics = server.metrics();
    this.clock = requireNonNull(clock, "clock");
  }

  /** The transport's name, {@code mesh-xds}; the sink's own name may be longer. */
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
      waiting = served.size();
      if (!toldWaiting) {
        log.info("{}: {} ServiceEntries ready; not served before every source has listed once",
            name, served.size());
        toldWaiting = true;
      }
      return;
    }
    waiting = 0;
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
        log.info("{}: serving {} ServiceEntries, version {}", name, resources.size(),
            snapshot.version());
      } else {
        log.debug("{}: serving {} ServiceEntries, version {}, {} bytes", name, resources.size(),
            snapshot.version(), snapshot.bytes());
      }
    }
  }

  @Override
  public Optional<String> notReady() {
    return cache.notReady();
  }

  /**
   * The snapshot being served, each object as istiod turns it into config (the body in Istio's
   * JSON names), the version, and every connected client; before the first complete state, what
   * is held back for it.
   */
  @Override
  public Map<String, Object> debug(Predicate<String> wanted) {
    Map<String, Object> debug = new LinkedHashMap<>();
    debug.put("listen", server.address());
    debug.put("format", "json");
    Optional<ServiceEntrySnapshot> snapshot = cache.current();
    debug.put("version", snapshot.map(ServiceEntrySnapshot::version).orElse(""));
    SortedMap<String, Object> entries = new TreeMap<>();
    for (Any any : snapshot.map(ServiceEntrySnapshot::resources).orElse(List.of())) {
      try {
        Resource resource = any.unpack(Resource.class);
        String objectName = resource.getMetadata().getName();
        objectName = objectName.substring(objectName.indexOf('/') + 1);
        if (wanted.test(objectName)) {
          entries.put(objectName, ServiceEntryViews.config(resource, SHOWN_API_VERSION));
        }
      } catch (InvalidProtocolBufferException e) {
        entries.put(any.getTypeUrl(), "cannot be decoded: " + e.getMessage());
      }
    }
    debug.put("serviceEntries", entries);
    if (snapshot.isEmpty()) {
      int held = waiting;
      debug.put("heldBack", List.of(Map.of("reason", "incomplete state", "kind", "waiting",
          "service", "*", "message", held + " ServiceEntries are ready and not served before"
              + " every source has listed once: a first answer without them would make istiod"
              + " delete what it holds from this source")));
    }
    debug.put("clients", server.ads().streams().stream().map(AdsStream::debug).toList());
    return debug;
  }

  @Override
  public void close() {
    try {
      server.close();
    } catch (RuntimeException e) {
      log.debug("{}: closing the xDS server", name, e);
    }
  }
}
