package io.registrybridge.sink.zookeeper;

import static java.util.Objects.requireNonNull;

import io.registrybridge.core.ControlPlaneUnavailableException;
import io.registrybridge.core.DesiredState;
import io.registrybridge.core.DesiredView;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.Sink;
import io.registrybridge.core.SinkContext;
import io.registrybridge.core.SinkTiming;
import io.registrybridge.core.SyncResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.CuratorWatcher;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher.Event.EventType;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps ZooKeeper holding Registrator's layout ({@link RegistratorZnode}) for the desired state:
 * a persistent node {@code PATH/<name>} and an ephemeral node {@code PATH/<name>/<ip>:<port>}
 * with Registrator's JSON per instance. Create it with {@link ZooKeeperSinkProvider}.
 *
 * <h2>Ownership</h2>
 *
 * The owner mark is the node's ephemeral owner: the sink updates and deletes only ephemeral nodes
 * of its own session, found in one request ({@code getEphemerals}, ZooKeeper 3.6+). A node at a
 * desired path held by another session (a bridge that crashed, whose session has not timed out
 * yet; a Registrator still running during a migration) is left alone and watched: when it goes,
 * the sink writes its own. The one exception is a session this process held before: its nodes
 * are ours and are replaced at once. A persistent {@code PATH/<name>} is deleted only when the
 * sink removed an instance under it and it is then empty, with empty data, as Registrator did
 * (whoever empties it removes it, so no empty node stays behind when two hosts share a name);
 * the base {@code PATH} is never deleted.
 *
 * <h2>Sessions</h2>
 *
 * Ephemeral nodes die with their session. The sink re-creates them itself rather than through
 * Curator's {@code PersistentNode} recipe: a recipe per instance writes in the background, on
 * Curator's threads, so its failures would never reach the reconciler (no backoff, no retry of
 * one ID, no "ready" that means written), and it would hold a watch per node. Instead a
 * connection-state listener asks for a full sync when Curator reconnects under a new session;
 * the full sync lists what the new session owns (nothing) and creates every desired node again,
 * replacing what the old session left if the server has not expired it yet. A reconnection under
 * the same session costs nothing: its nodes never went away.
 *
 * <h2>Incremental and full</h2>
 *
 * A mirror keeps what the sink wrote under its current session (path, ID, body). {@link #apply}
 * compares each changed instance's body with it and writes only differences, so an unchanged
 * service costs no request; {@link #sync} reads back every ephemeral node of the session and its
 * data, then converges. Two instances with the same name, address and port (TCP and UDP of one
 * port) would share one node: the lowest ID holds it, the other is logged and waits. Nothing a
 * source reported is deleted before that source has listed once.
 *
 * <h2>Errors</h2>
 *
 * No connection within the connect timeout, a lost connection or session, or a server that
 * answers that it is throttling or broken, throws {@link ControlPlaneUnavailableException}: the
 * reconciler backs off and starts over with a full sync. A service ZooKeeper cannot hold (a name
 * with '/', no address) or a node it refuses (no permission, a parent that is ephemeral) is
 * logged once, naming the service, and skipped until it changes or the next full sync.
 *
 * <p>{@link #apply} and {@link #sync} are called from one thread; the connection listener and
 * the watches only ask for a full sync.
 */
public final class ZooKeeperSink implements Sink {
  private static final Logger log = LoggerFactory.getLogger(ZooKeeperSink.class);
  private static final int PAST_SESSIONS_KEPT = 16;
  private static final int CREATE_ATTEMPTS = 3;

  private final String name;
  private final CuratorFramework client;
  private final ZooKeeperUri uri;
  private final SinkTiming timing;
  private final Supplier<Optional<String>> hostAddress;

  // Confined to the reconciler's thread.
  private final Map<String, Held> held = new HashMap<>();
  private final Set<Long> pastSessions = new LinkedHashSet<>();
  private final Map<String, String> pathById = new HashMap<>();
  private final Map<String, SortedSet<String>> claims = new HashMap<>();
  private final Map<String, String> reported = new HashMap<>();
  private final Map<String, String> foreignReported = new HashMap<>();

  // Read by Curator's threads.
  private volatile long session;
  private volatile SinkContext context = SinkContext.NONE;
  private final Set<String> watched = ConcurrentHashMap.newKeySet();
  private final ConnectionStateListener sessionListener = this::connectionChanged;

  /** What the sink wrote at a path under its current session. */
  private record Held(String id, String source, byte[] body) {}

  /** An instance as it should be in ZooKeeper. */
  private record Wanted(String id, ServiceInstance instance, RegistratorZnode znode) {}

  /**
   * @param client a started Curator client whose retry policy never retries (see {@link
   *     ZooKeeperSinkProvider}); the sink closes it
   * @param hostAddress the address of instances that have none (Registrator's resolved host
   *     name), empty when unknown
   */
  ZooKeeperSink(String name, CuratorFramework client, ZooKeeperUri uri, SinkTiming timing,
      Supplier<Optional<String>> hostAddress) {
    this.name = requireNonNull(name, "name");
    this.client = requireNonNull(client, "client");
    this.uri = requireNonNull(uri, "uri");
    this.timing = requireNonNull(timing, "timing");
    this.hostAddress = requireNonNull(hostAddress, "hostAddress");
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public SinkTiming timing() {
    return timing;
  }

  @Override
  public void start(SinkContext context) {
    this.context = requireNonNull(context, "context");
    client.getConnectionStateListenable().addListener(sessionListener);
  }

  // On Curator's event thread. RECONNECTED follows both a short disconnection (same session,
  // nothing lost) and a session that expired (every ephemeral node gone): only the second needs
  // work. A session that was never written under (session 0) is the first sync's business.
  private void connectionChanged(CuratorFramework c, ConnectionState state) {
    if (state != ConnectionState.RECONNECTED && state != ConnectionState.CONNECTED) {
      return;
    }
    long written = session;
    long now = currentSessionOrZero();
    if (written != 0 && now != written) {
      context.requestFullSync("zookeeper session 0x" + Long.toHexString(written)
          + " ended; re-creating its ephemeral nodes under 0x" + Long.toHexString(now));
    }
  }

  private long currentSessionOrZero() {
    try {
      return client.getZookeeperClient().getZooKeeper().getSessionId();
    } catch (Exception e) {
      return 0;
    }
  }

  @Override
  public SyncResult apply(Set<String> ids, DesiredView desired) {
    if (connectedSession() != session) {
      // Everything the mirror says was of another session: read it all again.
      return sync(desired.snapshot());
    }
    Map<String, Wanted> planned = new HashMap<>();
    Set<String> touched = new LinkedHashSet<>();
    for (String id : ids) {
      String old = pathById.remove(id);
      if (old != null) {
        unclaim(old, id);
        touched.add(old);
      }
      desired.get(id).flatMap(this::plan).ifPresent(wanted -> {
        planned.put(id, wanted);
        claim(wanted);
        touched.add(wanted.znode().path());
      });
    }
    SyncResult result = SyncResult.NOTHING;
    for (String path : touched) {
      result = result.plus(converge(path, winner(path, planned, desired), desired::mayDelete));
    }
    return result;
  }

  @Override
  public SyncResult sync(DesiredState desired) {
    long now = connectedSession();
    Map<String, Held> before = new HashMap<>(held);
    if (now != session) {
      if (session != 0) {
        pastSessions.add(session);
        while (pastSessions.size() > PAST_SESSIONS_KEPT) {
          pastSessions.remove(pastSessions.iterator().next());
        }
      }
      session = now;
    }
    held.clear();
    for (String path : ownedNodes()) {
      Optional<byte[]> data = dataOf(path);
      Held was = before.get(path);
      data.ifPresent(body -> held.put(path,
          new Held(was == null ? "" : was.id(), was == null ? "" : was.source(), body)));
    }
    pathById.clear();
    claims.clear();
    Map<String, Wanted> planned = new HashMap<>();
    for (ServiceInstance instance : desired.services().values()) {
      plan(instance).ifPresent(wanted -> {
        planned.put(wanted.id(), wanted);
        claim(wanted);
      });
    }
    reported.keySet().retainAll(desired.services().keySet());
    foreignReported.keySet().retainAll(claims.keySet());
    Set<String> paths = new TreeSet<>(held.keySet());
    paths.addAll(claims.keySet());
    SyncResult result = SyncResult.NOTHING;
    for (String path : paths) {
      result = result.plus(converge(path, winner(path, planned, desired), desired::mayDelete));
    }
    // What an ended session of ours held and nobody wants any more: a server that restarted
    // keeps that session (and its nodes) until it times out, and an expired one leaves the
    // service node empty. Neither may stay behind.
    for (Map.Entry<String, Held> was : before.entrySet()) {
      String path = was.getKey();
      if (!held.containsKey(path) && !claims.containsKey(path)
          && desired.mayDelete(was.getValue().source())) {
        result = result.plus(removeLeftover(path));
      }
    }
    return result;
  }

  private SyncResult removeLeftover(String path) {
    try {
      Stat stat = client.checkExists().forPath(path);
      int deleted = 0;
      if (stat != null && pastSessions.contains(stat.getEphemeralOwner())) {
        deleteIgnoringRace(path, stat.getVersion());
        deleted = 1;
      }
      pruneServiceNode(path.substring(0, path.lastIndexOf('/')));
      return new SyncResult(0, 0, deleted);
    } catch (KeeperException e) {
      if (outage(e)) {
        throw unavailable(e);
      }
      log.warn("{}: cannot remove {}, left by an ended session: {}", name, path, e.code());
      return SyncResult.NOTHING;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ControlPlaneUnavailableException(name + ": interrupted", e);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw unavailable(e);
    }
  }

  /** The node an instance should have, or empty (logged once) when ZooKeeper cannot hold it. */
  private Optional<Wanted> plan(ServiceInstance instance) {
    String address = instance.address();
    if (address.isEmpty()) {
      address = hostAddress.get().orElse("");
    }
    try {
      RegistratorZnode znode = RegistratorZnode.of(uri.path(), instance, address);
      reported.remove(instance.id());
      return Optional.of(new Wanted(instance.id(), instance, znode));
    } catch (IllegalArgumentException e) {
      reportOnce(instance, e.getMessage() + "; not registered");
      return Optional.empty();
    }
  }

  private void claim(Wanted wanted) {
    pathById.put(wanted.id(), wanted.znode().path());
    claims.computeIfAbsent(wanted.znode().path(), p -> new TreeSet<>()).add(wanted.id());
  }

  private void unclaim(String path, String id) {
    SortedSet<String> ids = claims.get(path);
    if (ids != null && ids.remove(id) && ids.isEmpty()) {
      claims.remove(path);
    }
  }

  // The lowest ID among the instances that map to one node holds it; the others wait.
  private Wanted winner(String path, Map<String, Wanted> planned, DesiredView desired) {
    SortedSet<String> ids = claims.get(path);
    if (ids == null) {
      return null;
    }
    Wanted winner = null;
    for (String id : ids) {
      Wanted wanted = planned.get(id);
      if (wanted == null) {
        wanted = desired.get(id).flatMap(this::plan).orElse(null);
      }
      if (wanted == null || !wanted.znode().path().equals(path)) {
        continue; // changed meanwhile: the reconciler hands it over again
      }
      if (winner == null) {
        winner = wanted;
      } else {
        reportOnce(wanted.instance(), "has the same node " + path + " as " + winner.id()
            + " (one node per address and port in Registrator's layout); not registered");
      }
    }
    return winner;
  }

  /** Makes one node right: what {@code wanted} says, or absent when it is null. */
  private SyncResult converge(String path, Wanted wanted, Predicate<String> mayDelete) {
    Held was = held.get(path);
    try {
      if (wanted == null) {
        if (was == null || !mayDelete.test(was.source())) {
          return SyncResult.NOTHING;
        }
        deleteOwn(path);
        return new SyncResult(0, 0, 1);
      }
      if (was != null) {
        held.put(path, new Held(wanted.id(), wanted.instance().source(), was.body()));
        if (Arrays.equals(was.body(), wanted.znode().body())) {
          return SyncResult.NOTHING;
        }
        try {
          client.setData().forPath(path, wanted.znode().body());
          held.put(path, held(wanted));
          return new SyncResult(0, 1, 0);
        } catch (KeeperException.NoNodeException gone) {
          held.remove(path); // deleted by someone else: create it again
        }
      }
      return create(wanted);
    } catch (KeeperException e) {
      if (outage(e)) {
        throw unavailable(e);
      }
      String id = wanted != null ? wanted.id() : was.id();
      log.error("{}: ZooKeeper refused {} {} ({}): {}", name, wanted == null ? "deleting" : "writing",
          path, id.isEmpty() ? "an instance of ours" : id, e.code());
      return SyncResult.NOTHING;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ControlPlaneUnavailableException(name + ": interrupted", e);
    } catch (RuntimeException e) {
      throw e; // an outage already, or a bug: the reconciler isolates that to its ID
    } catch (Exception e) {
      throw unavailable(e);
    }
  }

  private Held held(Wanted wanted) {
    return new Held(wanted.id(), wanted.instance().source(), wanted.znode().body());
  }

  private SyncResult create(Wanted wanted) throws Exception {
    String path = wanted.znode().path();
    for (int attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
      try {
        client.create().withMode(CreateMode.EPHEMERAL).forPath(path, wanted.znode().body());
        held.put(path, held(wanted));
        return new SyncResult(1, 0, 0);
      } catch (KeeperException.NoNodeException e) {
        // Creating the service node only when it is missing costs the common case nothing.
        ensureServiceNode(wanted.znode().serviceNode());
      } catch (KeeperException.NodeExistsException e) {
        Stat stat = new Stat();
        byte[] data;
        try {
          data = client.getData().storingStatIn(stat).forPath(path);
        } catch (KeeperException.NoNodeException gone) {
          continue;
        }
        long owner = stat.getEphemeralOwner();
        if (owner == session) {
          held.put(path, new Held(wanted.id(), wanted.instance().source(), data));
          if (Arrays.equals(data, wanted.znode().body())) {
            return SyncResult.NOTHING;
          }
          client.setData().forPath(path, wanted.znode().body());
          held.put(path, held(wanted));
          return new SyncResult(0, 1, 0);
        }
        if (owner != 0 && pastSessions.contains(owner)) {
          // Ours, from a session that ended: it would vanish when the server expires it.
          deleteIgnoringRace(path, stat.getVersion());
          continue;
        }
        foreign(wanted, owner);
        return SyncResult.NOTHING;
      }
    }
    return new SyncResult(0, 0, 0, Set.of(wanted.id())); // raced three times: try again later
  }

  private void ensureServiceNode(String serviceNode) throws Exception {
    try {
      // Registrator's service node, and the base path's levels if missing, with empty data.
      client.create().creatingParentsIfNeeded().withMode(CreateMode.PERSISTENT)
          .forPath(serviceNode, new byte[0]);
    } catch (KeeperException.NodeExistsException e) {
      // created meanwhile: fine
    }
  }

  // A node at our path that another session holds: never touched. Watched, so that when its
  // session ends (a crashed bridge's after its timeout, a Registrator that stops) ours follows
  // at once instead of at the next verify.
  private void foreign(Wanted wanted, long owner) throws Exception {
    String path = wanted.znode().path();
    String holder = owner == 0 ? "a persistent node" : "session 0x" + Long.toHexString(owner);
    if (!holder.equals(foreignReported.put(path, holder))) {
      log.warn("{}: {} ({}) is held by {}, not this bridge; left alone and written when it goes",
          name, path, wanted.id(), holder);
    }
    if (!watched.add(path)) {
      return;
    }
    CuratorWatcher watcher = event -> {
      if (event.getType() == EventType.None) {
        return;
      }
      watched.remove(path);
      context.requestFullSync("the node " + path + " of another session changed");
    };
    if (client.checkExists().usingWatcher(watcher).forPath(path) == null) {
      watched.remove(path);
      context.requestFullSync("the node " + path + " of another session went away");
    }
  }

  private void deleteOwn(String path) throws Exception {
    try {
      client.delete().forPath(path);
    } catch (KeeperException.NoNodeException e) {
      // gone already
    }
    held.remove(path);
    pruneServiceNode(path.substring(0, path.lastIndexOf('/')));
  }

  // Registrator deleted PATH/<name> whenever its last child went; so does the sink, but only
  // when the data is empty as Registrator wrote it, and only by version, so that a node someone
  // changed or filled meanwhile stays.
  private void pruneServiceNode(String serviceNode) throws Exception {
    Stat stat = new Stat();
    List<String> children;
    try {
      children = client.getChildren().storingStatIn(stat).forPath(serviceNode);
    } catch (KeeperException.NoNodeException e) {
      return;
    }
    if (!children.isEmpty() || stat.getDataLength() != 0 || stat.getEphemeralOwner() != 0
        || serviceNode.equals(uri.path())) {
      return;
    }
    deleteIgnoringRace(serviceNode, stat.getVersion());
  }

  private void deleteIgnoringRace(String path, int version) throws Exception {
    try {
      client.delete().withVersion(version).forPath(path);
    } catch (KeeperException.NoNodeException | KeeperException.NotEmptyException
        | KeeperException.BadVersionException e) {
      // someone else's move meanwhile: leave it
    }
  }

  /** The instance nodes ({@code PATH/<name>/<node>}) that the current session owns. */
  private List<String> ownedNodes() {
    String prefix = "/".equals(uri.path()) ? "/" : uri.path() + "/";
    try {
      List<String> owned = new ArrayList<>();
      // getEphemerals matches a string prefix without a final "/": /services2 is filtered out.
      for (String path : client.getZookeeperClient().getZooKeeper().getEphemerals(uri.path())) {
        if (!path.startsWith(prefix)) {
          continue;
        }
        String rest = path.substring(prefix.length());
        int slash = rest.indexOf('/');
        if (slash > 0 && rest.indexOf('/', slash + 1) < 0) {
          owned.add(path);
        }
      }
      return owned;
    } catch (KeeperException e) {
      throw unavailable(e); // one read for everything: any refusal stops the whole sync
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ControlPlaneUnavailableException(name + ": interrupted", e);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw unavailable(e);
    }
  }

  private Optional<byte[]> dataOf(String path) {
    try {
      return Optional.of(client.getData().forPath(path));
    } catch (KeeperException.NoNodeException e) {
      return Optional.empty();
    } catch (KeeperException e) {
      if (outage(e)) {
        throw unavailable(e);
      }
      log.warn("{}: cannot read {}: {}", name, path, e.code());
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ControlPlaneUnavailableException(name + ": interrupted", e);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw unavailable(e);
    }
  }

  /**
   * The session the next writes go out under, waiting at most the connect timeout for a
   * connection.
   */
  private long connectedSession() {
    try {
      if (!client.getZookeeperClient().blockUntilConnectedOrTimedOut()) {
        throw new ControlPlaneUnavailableException(name + ": no connection to ZooKeeper "
            + uri.connectString() + " within " + uri.connectTimeout().toMillis() + " ms");
      }
      return client.getZookeeperClient().getZooKeeper().getSessionId();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ControlPlaneUnavailableException(name + ": interrupted", e);
    } catch (ControlPlaneUnavailableException e) {
      throw e;
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw unavailable(e);
    }
  }

  // ZooKeeper's answers that concern the connection or the server as a whole, not one node.
  private static boolean outage(KeeperException e) {
    return switch (e.code()) {
      case CONNECTIONLOSS, SESSIONEXPIRED, SESSIONMOVED, OPERATIONTIMEOUT, REQUESTTIMEOUT,
          SYSTEMERROR, RUNTIMEINCONSISTENCY, THROTTLEDOP, NEWCONFIGNOQUORUM,
          RECONFIGINPROGRESS, SESSIONCLOSEDREQUIRESASLAUTH -> true;
      default -> false;
    };
  }

  private ControlPlaneUnavailableException unavailable(Exception e) {
    String what = e instanceof KeeperException k ? k.code().toString() : e.toString();
    return new ControlPlaneUnavailableException(
        name + ": ZooKeeper " + uri.connectString() + " unavailable: " + what, e);
  }

  private void reportOnce(ServiceInstance instance, String problem) {
    if (!problem.equals(reported.put(instance.id(), problem))) {
      log.error("{}: service {} from {}: {}", name, instance.id(), instance.origin(), problem);
    }
  }

  /**
   * Ends the session: ZooKeeper removes its ephemeral nodes at once (Registrator's went when its
   * session timed out after it stopped).
   */
  @Override
  public void close() {
    client.getConnectionStateListenable().removeListener(sessionListener);
    try {
      client.close();
    } catch (RuntimeException e) {
      log.debug("{}: error while closing", name, e);
    }
  }
}
