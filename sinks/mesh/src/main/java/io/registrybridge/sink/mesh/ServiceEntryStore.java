package io.registrybridge.sink.mesh;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.registrybridge.core.SinkTiming;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Where ServiceEntry objects live: the Kubernetes API, a directory, an xDS server feeding istiod
 * (module {@code sinks/mesh-xds}, which is why this interface is public: a transport outside this
 * package plugs in through {@link MeshSinks#withStore}). {@link MeshEngine} decides what must be written; a store holds objects, reads them back
 * and writes one at a time. It knows nothing of services or of the desired state.
 *
 * <p>Objects are compared by {@linkplain ServiceEntryRenderer#fingerprint fingerprint}: a store
 * reports for each object of ours the fingerprint of what it really holds (what was last read,
 * or what this store last wrote where its reads may lag behind its writes), and the engine
 * writes when it differs from the fingerprint of the rendered entry. A store that cannot vouch
 * for an object's content (a file changed by hand) reports a fingerprint no rendering has, so
 * the object is written again.
 *
 * <p>Ownership is the store's to check: it reports only objects carrying this bridge's owner
 * labels as ours, says who holds a name or host that is not ours, and never writes or deletes
 * anything that is not ours.
 *
 * <p><b>Failures.</b> A store throws {@link
 * io.registrybridge.core.ControlPlaneUnavailableException} or a checked exception ({@link IstioNotReadyException}, an {@code IOException}) exactly when it
 * cannot be used as a whole (not reachable, overloaded, not allowed, not there yet): the whole
 * sink backs off and syncs in full. Any other {@link RuntimeException} from {@link #write},
 * {@link #delete} or {@link #heldElsewhere} is taken as that object's alone: the engine reports
 * it, keeps what the store holds, and retries the object's IDs later.
 *
 * <p>Every method but {@link Listener}'s is called on the sink's thread. A store that notices
 * changes made by others (an informer) tells its {@link Listener}, from any thread.
 */
public interface ServiceEntryStore extends AutoCloseable {

  /** The sink's name, for logs and metrics: {@code mesh-k8s}, {@code mesh-dir}. */
  String name();

  /** How often the engine reads this store back in full; see {@link MeshEngine#timing()}. */
  SinkTiming timing();

  /** Called once, before anything else; a store that watches its objects reports to it. */
  default void start(Listener listener) {}

  /**
   * Makes the store ready for reads and writes (finds the API version, starts a cache); cheap
   * once it is.
   *
   * @throws Exception when the control plane cannot be used yet ({@link IstioNotReadyException},
   *     unreachable); the reconciler backs off and tries again
   */
  void open() throws Exception;

  /**
   * Reads everything again, in full: our objects, and whatever {@link #heldElsewhere} answers
   * from. For a full sync, and how changes made behind the store's back are found where it
   * cannot watch for them.
   *
   * @return our objects by name
   */
  Map<String, StoredEntry> readAll() throws Exception;

  /** Our object {@code name} as the store holds it now, without a request where possible. */
  Optional<StoredEntry> held(String name);

  /**
   * Who else holds the object name or the host, if anyone: a phrase that follows the host in a
   * report, like {@code is already held by file legacy.yaml in /etc/istio}.
   */
  Optional<String> heldElsewhere(String name, String host) throws Exception;

  /**
   * Creates or replaces our object {@code entry.name()}.
   *
   * @throws Exception when the control plane failed in a way a retry may fix
   */
  WriteResult write(RenderedEntry entry) throws Exception;

  /**
   * Deletes our object {@code name}, only if it is still ours.
   *
   * @return whether it was deleted
   */
  boolean delete(String name) throws Exception;

  /**
   * Called after every sync or incremental call that succeeded, once its writes and deletes are
   * done: a store that publishes a whole set at once (the xDS snapshot) publishes it here.
   *
   * @param complete whether the desired state of that call was complete (every source listed
   *     once); until then the set may lack services that are still running
   */
  default void commit(boolean complete) throws Exception {}

  /**
   * Why the store's consumers do not hold what it holds yet (an istiod that has not acknowledged
   * the newest version); empty when they do, or when the store cannot tell. For readiness.
   */
  default Optional<String> notReady() {
    return Optional.empty();
  }

  /**
   * This store's part of {@code GET /debug/mesh}: the objects of ours it holds, exactly as its
   * transport carries them, under {@code "serviceEntries"} (object name to a YAML text or a
   * JSON-ready structure), their {@code "format"}, what the transport holds back as a whole under
   * {@code "heldBack"} (a list, merged into the engine's), and whatever else only this transport
   * knows (the xDS clients). Values are maps, lists, strings and numbers. Called from any thread
   * (the health server's): it reads only what is safe to read from there.
   *
   * @param wanted which object names to show
   */
  default Map<String, Object> debug(java.util.function.Predicate<String> wanted) {
    return Map.of();
  }

  /** Stops watching and releases connections; never removes what was written. */
  @Override
  void close();

  /** Hears about changes that this bridge did not make. */
  interface Listener {
    /** An object of ours was changed or deleted by someone else. */
    void changedBehindOurBack(String name, String what);

    /** An object that is not ours, holding {@code name} and {@code hosts}, changed or went. */
    void foreignChanged(String name, Collection<String> hosts);
  }

  /**
   * One object of ours as the store holds it.
   *
   * @param name the object name
   * @param fingerprint what it holds ({@link ServiceEntryRenderer#fingerprint})
   * @param addresses its {@code spec.addresses}, so that a host keeps its virtual IP
   * @param sources the sources it was written from ({@link ServiceEntryRenderer#sourcesOf}):
   *     the engine rewrites or deletes it once each has listed; empty when the object does not
   *     say, and then only once every source has
   */
  record StoredEntry(String name, String fingerprint, List<String> addresses,
      SortedSet<String> sources) {
    public StoredEntry {
      requireNonNull(name, "name");
      requireNonNull(fingerprint, "fingerprint");
      addresses = List.copyOf(addresses);
      sources = Collections.unmodifiableSortedSet(new TreeSet<>(sources));
    }

    /** The entry for an object read back. */
    static StoredEntry of(GenericKubernetesResource object) {
      return of(object, ServiceEntryRenderer.fingerprint(object));
    }

    /** The entry for an object read back, with the fingerprint the store vouches for. */
    static StoredEntry of(GenericKubernetesResource object, String fingerprint) {
      return new StoredEntry(object.getMetadata().getName(), fingerprint,
          ServiceEntryRenderer.addressesOf(object), ServiceEntryRenderer.sourcesOf(object));
    }

    /** The entry for {@code entry} as written, for a store that trusts its own writes. */
    public static StoredEntry written(RenderedEntry entry) {
      return of(entry.object(), entry.fingerprint());
    }
  }

  /**
   * An entry ready to write.
   *
   * @param service the service name, for reports
   * @param object the object without {@code apiVersion}, which is the store's to set; stores
   *     must not change it (they write a copy). Its {@code spec} is a map in Istio's field
   *     names, as {@link ServiceEntryRenderer} builds it
   * @param hash its content-hash annotation
   * @param fingerprint {@link ServiceEntryRenderer#fingerprint} of {@code object}
   */
  record RenderedEntry(String name, String service, String host,
      GenericKubernetesResource object, String hash, String fingerprint) {
    public RenderedEntry {
      requireNonNull(name, "name");
      requireNonNull(service, "service");
      requireNonNull(host, "host");
      requireNonNull(object, "object");
      requireNonNull(hash, "hash");
      requireNonNull(fingerprint, "fingerprint");
    }
  }

  /** What a {@link #write} did. */
  sealed interface WriteResult {
    record Created() implements WriteResult {}

    record Updated() implements WriteResult {}

    /** Someone (another replica of this bridge) had already written the same. */
    record Unchanged() implements WriteResult {}

    /** The name or host turned out to be held by someone else; nothing was written. */
    record HeldElsewhere(String phrase) implements WriteResult {}

    /**
     * The control plane refused the object for good (422, an admission webhook): sending it
     * again unchanged cannot succeed.
     *
     * @param description what refused it and why, for a report
     */
    record Rejected(String description) implements WriteResult {}
  }
}
