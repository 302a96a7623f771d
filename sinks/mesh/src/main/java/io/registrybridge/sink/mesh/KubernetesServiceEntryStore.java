package io.registrybridge.sink.mesh;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.registrybridge.core.ControlPlaneUnavailableException;
import io.registrybridge.core.SinkTiming;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ServiceEntry objects through the Kubernetes API ({@code istio-k8s}), read from informers'
 * caches instead of a LIST per call.
 *
 * <p><b>Reads.</b> Once the API version is known ({@link ServiceEntryApi}: discovery, so the
 * bridge may start before Istio), two informers fill a cache each, started lazily by {@link
 * #open} and started again by it when they stopped or the version changed: one on the objects
 * carrying this bridge's owner labels (a label selector), which is what {@link #held} and {@link
 * #readAll} answer from, and one on the other ServiceEntry objects of the namespace ({@code
 * registry-bridge.io/owner!=<ownerId>}), indexed by host, which is what {@link #heldElsewhere}
 * answers from. A foreign name could be checked with a GET, but a foreign host cannot (no field
 * selector reaches {@code spec.hosts}), and a LIST before each create would make a change cost
 * as much as the namespace; the second cache holds only objects that are not ours, which in the
 * namespaces ServiceEntry objects usually live in are few. If the first list fails (Istio not
 * installed, 404, no permission) the informers stop; {@link #open} throws and the next call
 * starts them again.
 *
 * <p><b>Our own writes</b> reach the cache later than the answer to the write. Until the cache has
 * seen a write (an event with that {@code resourceVersion} or a later one), {@link #held} answers
 * with what was written, so a second look right after a write finds nothing to do, and the next
 * update carries the {@code resourceVersion} the server gave, not the cache's older one.
 * Kubernetes resource versions are etcd revisions and compared as numbers; where one is not a
 * number, the cache is trusted.
 *
 * <p><b>Changes made by others</b>: the informer on our objects tells the engine's listener about
 * every event it cannot explain by our own writes (an object of ours deleted or edited by hand,
 * or created by someone else with our labels), which asks for a full sync: read from the cache,
 * it costs no request. The informer on the other objects reports every change, so that a host
 * held by someone else is taken as soon as they let go of it.
 *
 * <p><b>Writes</b> keep their semantics: explicit create (POST) and update (PUT with the
 * {@code resourceVersion}, optimistic locking); 409 reads the object again (a GET) and retries up
 * to three times; 404 on an update creates it again; 422, 400 and an admission webhook's denial
 * are a permanent rejection for the engine to remember. Deletes carry the object's {@code
 * resourceVersion} as a precondition.
 *
 * <p><b>Failures</b> are sorted by what they say about the API server as a whole ({@link
 * #unavailable}): no answer (code 0: refused, timeout, TLS), 5xx, 429, and 401/403 (credentials
 * or RBAC, which fail every object alike) become {@link ControlPlaneUnavailableException}, and
 * so does a 404 on a create (the resource or the namespace is gone), so the reconciler backs the
 * whole sink off and syncs in full; {@link IstioNotReadyException} (checked) does the same. Any
 * other answer for one object (a 409 still after three attempts, a 413) is thrown as it is, and
 * the engine keeps it to that object.
 */
final class KubernetesServiceEntryStore implements ServiceEntryStore {
  private static final Logger log = LoggerFactory.getLogger(KubernetesServiceEntryStore.class);
  static final String NAME = "mesh-k8s";
  /**
   * A full sync every five minutes: the informers already report every change, so it only
   * guards against a missed event, and it costs a pass over the cache, not a request.
   */
  static final SinkTiming TIMING = new SinkTiming(Duration.ofMinutes(5));
  private static final int MAX_ATTEMPTS = 3;
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration WATCH_POLL = Duration.ofMillis(10);
  private static final String BY_HOST = "hosts";

  private final MeshSinkConfig config;
  private final KubernetesClient client;
  private final boolean ownsClient;
  private final ServiceEntryApi api;
  private final ServiceEntryRenderer renderer;
  // What we wrote or deleted and the cache may not have seen yet; read by the informers' thread.
  private final Map<String, Intent> intents = new ConcurrentHashMap<>();
  private volatile Listener listener = new Listener() {
    @Override
    public void changedBehindOurBack(String name, String what) {}

    @Override
    public void foreignChanged(String name, java.util.Collection<String> hosts) {}
  };
  // Set on the sink's thread; null until open(). Volatile for the debug page, which only reads.
  private volatile Informers informers;

  KubernetesServiceEntryStore(MeshSinkConfig config, KubernetesClient client,
      boolean ownsClient) {
    this.config = requireNonNull(config, "config");
    this.client = requireNonNull(client, "client");
    this.ownsClient = ownsClient;
    this.api = new ServiceEntryApi(client, config.apiVersion());
    this.renderer = new ServiceEntryRenderer(config.namespace(), config.ownerLabel());
  }

  /**
   * What this store last did to one object, until the cache has seen it.
   *
   * @param present written (true) or deleted (false)
   * @param resourceVersion what the server answered for a write; for a delete, the version
   *     deleted; null while the request is in flight
   * @param entry what was written, for {@link #held}
   */
  private record Intent(boolean present, String fingerprint, String resourceVersion,
      StoredEntry entry) {
    Intent at(String version) {
      return new Intent(present, fingerprint, version, entry);
    }
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public SinkTiming timing() {
    return TIMING;
  }

  @Override
  public void start(Listener listener) {
    this.listener = requireNonNull(listener, "listener");
  }

  @Override
  public void open() throws Exception {
    try {
      openInformers();
    } catch (KubernetesClientException e) {
      throw unavailable(e, "watching ServiceEntry objects in namespace " + config.namespace());
    }
  }

  private void openInformers() throws Exception {
    ResourceDefinitionContext resolved = api.resolve();
    if (informers != null && (!informers.context.getVersion().equals(resolved.getVersion())
        || !informers.running())) {
      log.info("{}: restarting the ServiceEntry informers ({})", NAME,
          informers.running() ? "now " + resolved.getVersion() : "they stopped");
      informers.stop();
      informers = null;
    }
    if (informers == null) {
      informers = startInformers(resolved);
    }
  }

  private NonNamespaceOperation<GenericKubernetesResource, GenericKubernetesResourceList,
      Resource<GenericKubernetesResource>> objects(ResourceDefinitionContext context) {
    return client.genericKubernetesResources(context).inNamespace(config.namespace());
  }

  private Informers startInformers(ResourceDefinitionContext context) throws Exception {
    var objects = objects(context);
    SharedIndexInformer<GenericKubernetesResource> owned =
        objects.withLabels(renderer.ownerLabels()).runnableInformer(0);
    SharedIndexInformer<GenericKubernetesResource> others =
        objects.withoutLabel(ServiceEntryRenderer.OWNER_LABEL, config.ownerLabel())
            .runnableInformer(0);
    others.addIndexers(Map.of(BY_HOST, ServiceEntryRenderer::hostsOf));
    Informers started = new Informers(context, owned, others);
    owned.addEventHandler(started.ownedHandler());
    others.addEventHandler(started.foreignHandler());
    try {
      // One after the other: when the first list fails, the second informer has not started, so
      // there is no watch being opened that stopping it could leave behind.
      long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
      owned.start().toCompletableFuture().get(START_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS);
      others.start().toCompletableFuture()
          .get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      // start() completes with the list; the watches open after it. Until they do, the caches
      // would not follow changes (and a watch still opening when the informer is stopped may be
      // left open), so wait for them: without a watch (no permission), fail and back off.
      while (!(owned.isWatching() && others.isWatching())) {
        if (System.nanoTime() > deadline) {
          throw new TimeoutException();
        }
        Thread.sleep(WATCH_POLL.toMillis());
      }
    } catch (ExecutionException | CompletionException e) {
      started.stop();
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (cause instanceof KubernetesClientException k && k.getCode() == 404) {
        api.forget();
        throw new IstioNotReadyException("listing ServiceEntry objects in namespace "
            + config.namespace() + " returned 404; the resource is no longer served");
      }
      if (cause instanceof Exception failure) {
        throw failure;
      }
      throw e;
    } catch (TimeoutException e) {
      started.stop();
      throw new KubernetesClientException("the ServiceEntry informers did not list and watch"
          + " within " + START_TIMEOUT.toSeconds() + " s (is watch allowed?)");
    } catch (InterruptedException e) {
      started.stop();
      Thread.currentThread().interrupt();
      throw e;
    }
    started.initialVersion = owned.lastSyncResourceVersion();
    log.info("{}: watching ServiceEntry objects ({}) in namespace {}", NAME, started.apiVersion,
        config.namespace());
    return started;
  }

  private Informers requireOpen() {
    if (informers == null) {
      throw new IllegalStateException("open() was not called");
    }
    return informers;
  }

  @Override
  public Map<String, StoredEntry> readAll() {
    Informers current = requireOpen();
    Set<String> names = new TreeSet<>(intents.keySet());
    for (GenericKubernetesResource object : current.owned.getStore().list()) {
      names.add(object.getMetadata().getName());
    }
    Map<String, StoredEntry> all = new HashMap<>();
    for (String name : names) {
      held(name).ifPresent(entry -> all.put(name, entry));
    }
    return all;
  }

  @Override
  public Optional<StoredEntry> held(String name) {
    return current(name).entry();
  }

  /**
   * What we hold under {@code name}: the cache's object, or what we wrote or deleted when the
   * cache has not seen that yet.
   */
  private Current current(String name) {
    Informers current = requireOpen();
    GenericKubernetesResource cached = current.owned.getStore().getByKey(key(name));
    Intent mine = intents.get(name);
    if (mine == null) {
      return Current.of(cached);
    }
    String cachedVersion = cached == null ? null : cached.getMetadata().getResourceVersion();
    if (mine.present()) {
      if (cached != null && mine.resourceVersion() != null
          && !olderThan(cachedVersion, mine.resourceVersion())) {
        intents.remove(name, mine); // the cache has caught up
        return Current.of(cached);
      }
      return new Current(Optional.of(mine.entry()), mine.resourceVersion());
    }
    if (cached == null) {
      intents.remove(name, mine);
      return Current.of(null);
    }
    if (cachedVersion != null && mine.resourceVersion() != null
        && olderThan(mine.resourceVersion(), cachedVersion)) {
      intents.remove(name, mine); // created again since we deleted it
      return Current.of(cached);
    }
    return Current.of(null); // deleted; the cache has not seen it yet
  }

  /**
   * How many of our writes and deletes the cache has not seen yet. For tests, which should not
   * close the informers while the server is still sending them events (fabric8's mock server
   * stalls on that).
   */
  int unseenWrites() {
    if (informers == null) {
      return 0;
    }
    for (String name : List.copyOf(intents.keySet())) {
      current(name); // forgets what the cache has caught up with
    }
    return intents.size();
  }

  private record Current(Optional<StoredEntry> entry, String resourceVersion) {
    static Current of(GenericKubernetesResource object) {
      return object == null ? new Current(Optional.empty(), null)
          : new Current(Optional.of(StoredEntry.of(object)),
              object.getMetadata().getResourceVersion());
    }
  }

  @Override
  public Optional<String> heldElsewhere(String name, String host) {
    Informers current = requireOpen();
    String where = "in namespace " + config.namespace() + " is already held by ";
    GenericKubernetesResource sameName = current.others.getStore().getByKey(key(name));
    if (sameName != null) {
      return Optional.of(where + "an object of the same name owned by "
          + ServiceEntryRenderer.ownerOf(sameName));
    }
    return current.others.getIndexer().byIndex(BY_HOST, host).stream()
        .min(Comparator.comparing(o -> o.getMetadata().getName()))
        .map(o -> where + "ServiceEntry " + o.getMetadata().getName() + " of "
            + ServiceEntryRenderer.ownerOf(o));
  }

  @Override
  public WriteResult write(RenderedEntry entry) {
    try {
      return tryWrite(entry);
    } catch (KubernetesClientException e) {
      throw unavailable(e, "writing ServiceEntry " + config.namespace() + "/" + entry.name());
    }
  }

  private WriteResult tryWrite(RenderedEntry entry) {
    Informers current = requireOpen();
    String name = entry.name();
    var objects = objects(current.context);
    GenericKubernetesResource want =
        ServiceEntryRenderer.withApiVersion(entry.object(), current.apiVersion);
    Current have = current(name);
    Intent previous = intents.get(name);
    Intent pending = new Intent(true, entry.fingerprint(), null,
        StoredEntry.of(want, entry.fingerprint()));
    // Before the request: the informer may report the change before the answer arrives.
    intents.put(name, pending);
    boolean keep = false;
    try {
      for (int attempt = 1; ; attempt++) {
        try {
          if (have.entry().isEmpty()) {
            GenericKubernetesResource created = objects.resource(want).create();
            intents.put(name, pending.at(versionOf(created)));
            keep = true;
            return new WriteResult.Created();
          }
          GenericKubernetesResource updated =
              objects.resource(withResourceVersion(want, have.resourceVersion())).update();
          intents.put(name, pending.at(versionOf(updated)));
          keep = true;
          return new WriteResult.Updated();
        } catch (KubernetesClientException e) {
          if (isPermanentRejection(e)) {
            return new WriteResult.Rejected("the API server rejected ServiceEntry "
                + config.namespace() + "/" + name + " (" + e.getCode() + "): " + reason(e));
          }
          boolean conflict = e.getCode() == 409;
          boolean vanished = e.getCode() == 404 && have.entry().isPresent();
          if (!(conflict || vanished) || attempt >= MAX_ATTEMPTS) {
            if (e.getCode() == 404) {
              forget(); // a create got 404: the resource or the namespace is gone
              throw new ControlPlaneUnavailableException(NAME + ": creating ServiceEntry "
                  + config.namespace() + "/" + name + " returned 404: the namespace or the"
                  + " resource is gone (" + reason(e) + ")", e);
            }
            throw e;
          }
          log.debug("{}: {} on {}, reading it again", NAME, e.getCode(), name);
          // Not the cache: it may not have seen the write that got in our way.
          GenericKubernetesResource fresh = vanished ? null : objects.withName(name).get();
          if (fresh != null && !renderer.ownedByUs(fresh)) {
            return new WriteResult.HeldElsewhere("in namespace " + config.namespace()
                + " is already held by an object of the same name owned by "
                + ServiceEntryRenderer.ownerOf(fresh));
          }
          if (fresh != null
              && ServiceEntryRenderer.fingerprint(fresh).equals(entry.fingerprint())) {
            intents.put(name, pending.at(versionOf(fresh)));
            keep = true;
            return new WriteResult.Unchanged(); // another replica of us wrote the same
          }
          have = Current.of(fresh);
        }
      }
    } finally {
      if (!keep) {
        restore(name, pending, previous);
      }
    }
  }

  @Override
  public boolean delete(String name) {
    Informers current = requireOpen();
    Current have = current(name);
    if (have.entry().isEmpty()) {
      return false;
    }
    Intent previous = intents.get(name);
    Intent pending = new Intent(false, "", have.resourceVersion(), null);
    intents.put(name, pending);
    try {
      // The precondition makes sure the object deleted is the one we hold as ours.
      boolean deleted = !objects(current.context).withName(name)
          .lockResourceVersion(have.resourceVersion()).delete().isEmpty();
      if (!deleted) {
        restore(name, pending, previous);
      }
      return deleted;
    } catch (KubernetesClientException e) {
      restore(name, pending, previous);
      if (e.getCode() == 404) {
        return false; // gone already
      }
      if (e.getCode() == 409) {
        // Changed since we looked: look again with everything.
        listener.changedBehindOurBack(name, "ServiceEntry " + config.namespace() + "/" + name
            + " changed while it was being deleted");
        return false;
      }
      throw unavailable(e, "deleting ServiceEntry " + config.namespace() + "/" + name);
    }
  }

  private void restore(String name, Intent pending, Intent previous) {
    if (previous == null) {
      intents.remove(name, pending);
    } else {
      intents.replace(name, pending, previous);
    }
  }

  /** The resource is gone: find the version again and start new informers at the next call. */
  private void forget() {
    api.forget();
    if (informers != null) {
      informers.stop();
      informers = null;
    }
  }

  private String key(String name) {
    return config.namespace() + "/" + name;
  }

  private static String versionOf(GenericKubernetesResource object) {
    return object == null || object.getMetadata() == null ? null
        : object.getMetadata().getResourceVersion();
  }

  /**
   * Whether resource version {@code a} is older than {@code b}. Kubernetes documents them as
   * opaque, but every API server hands out etcd revisions; when either is not a number, nothing
   * is known to be older.
   */
  static boolean olderThan(String a, String b) {
    if (a == null || b == null) {
      return false;
    }
    try {
      return Long.parseLong(a) < Long.parseLong(b);
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static GenericKubernetesResource withResourceVersion(GenericKubernetesResource want,
      String resourceVersion) {
    GenericKubernetesResource copy = new GenericKubernetesResource();
    copy.setApiVersion(want.getApiVersion());
    copy.setKind(want.getKind());
    copy.setMetadata(new ObjectMetaBuilder(want.getMetadata())
        .withResourceVersion(resourceVersion).build());
    copy.setAdditionalProperties(new HashMap<>(want.getAdditionalProperties()));
    return copy;
  }

  /**
   * {@code e} as a {@link ControlPlaneUnavailableException} when it says the API server cannot
   * be used at all now (see the class comment); else {@code e} itself, a failure of one object.
   */
  static RuntimeException unavailable(KubernetesClientException e, String what) {
    int code = e.getCode();
    boolean whole = code == 0 || code >= 500 || code == 429 || code == 401
        || (code == 403 && !isPermanentRejection(e));
    if (!whole) {
      return e;
    }
    String answer = code == 0 ? "no answer: " + e.getMessage() : code + ": " + reason(e);
    String hint = code == 401 || code == 403 ? "; check the credentials and RBAC" : "";
    return new ControlPlaneUnavailableException(NAME + ": " + what + " failed (" + answer + ")"
        + hint, e);
  }

  /**
   * 422 (schema validation), 400 (malformed), and an admission webhook's denial (Istio's
   * validation webhook answers without a code, which the API server turns into 400; some
   * webhooks answer 403): resending the same object cannot succeed.
   */
  static boolean isPermanentRejection(KubernetesClientException e) {
    if (e.getCode() == 422 || e.getCode() == 400) {
      return true;
    }
    String message = reason(e);
    return e.getCode() == 403 && message.contains("admission webhook")
        && message.contains("denied");
  }

  private static String reason(KubernetesClientException e) {
    Status status = e.getStatus();
    if (status != null && status.getMessage() != null) {
      return status.getMessage();
    }
    return String.valueOf(e.getMessage());
  }

  /**
   * Our objects as the API server holds them (the informer's cache), in YAML, without the
   * server's {@code managedFields} bookkeeping; before the first {@link #open}, none.
   */
  @Override
  public Map<String, Object> debug(java.util.function.Predicate<String> wanted) {
    Informers current = informers;
    java.util.SortedMap<String, Object> objects = new java.util.TreeMap<>();
    if (current != null) {
      for (GenericKubernetesResource object : current.owned.getStore().list()) {
        String name = object.getMetadata().getName();
        if (wanted.test(name)) {
          GenericKubernetesResource shown = ServiceEntryRenderer.withApiVersion(object,
              object.getApiVersion());
          shown.getMetadata().setManagedFields(null);
          objects.put(name, ServiceEntryRenderer.yaml(shown));
        }
      }
    }
    Map<String, Object> debug = new java.util.LinkedHashMap<>();
    debug.put("namespace", config.namespace());
    debug.put("apiVersion", current == null ? "not known yet" : current.apiVersion);
    debug.put("format", "yaml");
    debug.put("serviceEntries", objects);
    return debug;
  }

  @Override
  public void close() {
    if (informers != null) {
      informers.stop();
      informers = null;
    }
    if (ownsClient) {
      try {
        client.close();
      } catch (RuntimeException e) {
        log.debug("{}: closing the Kubernetes client failed", NAME, e);
      }
    }
  }

  /** The two informers of one API version, and what their events mean. */
  private final class Informers {
    final ResourceDefinitionContext context;
    final String apiVersion;
    final SharedIndexInformer<GenericKubernetesResource> owned;
    final SharedIndexInformer<GenericKubernetesResource> others;
    // The version of the first list: adds up to it are the cache filling, not changes.
    volatile String initialVersion;

    Informers(ResourceDefinitionContext context,
        SharedIndexInformer<GenericKubernetesResource> owned,
        SharedIndexInformer<GenericKubernetesResource> others) {
      this.context = context;
      this.apiVersion = context.getGroup() + "/" + context.getVersion();
      this.owned = owned;
      this.others = others;
    }

    boolean running() {
      return owned.isRunning() && others.isRunning();
    }

    void stop() {
      owned.stop();
      others.stop();
    }

    private String describe(GenericKubernetesResource object) {
      return "ServiceEntry " + config.namespace() + "/" + object.getMetadata().getName();
    }

    ResourceEventHandler<GenericKubernetesResource> ownedHandler() {
      return new ResourceEventHandler<>() {
        @Override
        public void onAdd(GenericKubernetesResource object) {
          String initial = initialVersion;
          if (initial == null
              || !olderThan(initial, object.getMetadata().getResourceVersion())) {
            return; // the cache filling
          }
          changed(object, "was created by someone else");
        }

        @Override
        public void onUpdate(GenericKubernetesResource before, GenericKubernetesResource after) {
          changed(after, "was changed by someone else");
        }

        @Override
        public void onDelete(GenericKubernetesResource object, boolean finalStateUnknown) {
          String name = object.getMetadata().getName();
          Intent mine = intents.get(name);
          if (mine != null && !mine.present()) {
            intents.remove(name, mine);
            return; // our delete
          }
          String version = object.getMetadata().getResourceVersion();
          if (mine != null && mine.resourceVersion() != null
              && olderThan(version, mine.resourceVersion())) {
            return; // an older state than our last write
          }
          if (mine != null && mine.resourceVersion() != null) {
            intents.remove(name, mine);
          }
          listener.changedBehindOurBack(name, describe(object) + " was deleted by someone else");
        }

        private void changed(GenericKubernetesResource object, String what) {
          String name = object.getMetadata().getName();
          String version = object.getMetadata().getResourceVersion();
          Intent mine = intents.get(name);
          boolean ours = mine != null && mine.present()
              && mine.fingerprint().equals(ServiceEntryRenderer.fingerprint(object));
          boolean stale = mine != null && mine.resourceVersion() != null
              && olderThan(version, mine.resourceVersion());
          if (mine != null && mine.resourceVersion() != null && !stale) {
            intents.remove(name, mine); // the cache has caught up with our write
          }
          if (!ours && !stale) {
            listener.changedBehindOurBack(name, describe(object) + " " + what);
          }
        }
      };
    }

    ResourceEventHandler<GenericKubernetesResource> foreignHandler() {
      return new ResourceEventHandler<>() {
        @Override
        public void onAdd(GenericKubernetesResource object) {
          tell(object, null);
        }

        @Override
        public void onUpdate(GenericKubernetesResource before, GenericKubernetesResource after) {
          tell(after, before);
        }

        @Override
        public void onDelete(GenericKubernetesResource object, boolean finalStateUnknown) {
          tell(object, null);
        }

        private void tell(GenericKubernetesResource object, GenericKubernetesResource before) {
          Set<String> hosts = new LinkedHashSet<>(ServiceEntryRenderer.hostsOf(object));
          if (before != null) {
            hosts.addAll(ServiceEntryRenderer.hostsOf(before));
          }
          listener.foreignChanged(object.getMetadata().getName(), List.copyOf(hosts));
        }
      };
    }
  }
}
