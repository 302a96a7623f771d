package io.registrybridge.sink.mesh;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.registrybridge.core.ControlPlaneUnavailableException;
import io.registrybridge.core.DesiredState;
import io.registrybridge.core.DesiredView;
import io.registrybridge.core.SinkContext;
import io.registrybridge.core.SinkTiming;
import io.registrybridge.core.SyncResult;
import io.registrybridge.sink.mesh.ServiceEntryStore.RenderedEntry;
import io.registrybridge.sink.mesh.ServiceEntryStore.StoredEntry;
import io.registrybridge.sink.mesh.ServiceEntryStore.WriteResult;
import io.registrybridge.spi.DebugView;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mesh sink: turns the desired state into ServiceEntry objects and keeps a {@link
 * ServiceEntryStore} (the Kubernetes API, a directory, an xDS snapshot) holding exactly those. Every transport
 * runs this one pipeline: conversion, collision guard, virtual IPs, validation ({@link
 * MeshModel}), then the comparison with what the store holds and the writes.
 *
 * <p><b>Incremental path</b> ({@link #apply}): the changed IDs name the services to look at, by
 * their current name in the view and by the names they were last converted under (an ID that
 * went away or was renamed is no longer in the view under its old name). Only the hosts of those
 * names are converted again, from {@link DesiredView#idsNamed}; the model updates the collision
 * guard and the virtual IPs for what they touched. Each touched object is rendered and compared
 * with what the store holds ({@link ServiceEntryStore#held}, no request), and written only when
 * the fingerprints differ. Nothing is read in full and no snapshot is taken, so a change costs
 * the conversion of its service, the hosts sharing one of its opaque ports, and its writes.
 *
 * <p><b>Full path</b> ({@link #sync}): the store is read back in full, the model rebuilt from the
 * whole desired state and every object compared, which also repairs objects changed or deleted
 * behind the bridge's back. It runs at start, after failures, when the store notices a change
 * made by someone else, and every {@link #timing()} interval.
 *
 * <p>Errors are sorted by what a retry can do: a control plane that cannot be reached throws
 * ({@link ControlPlaneUnavailableException} or a checked exception such as {@link
 * IstioNotReadyException} or an {@code IOException}: the reconciler backs off, then syncs in
 * full); an object the control plane refuses for good (422, an admission webhook) is reported,
 * remembered by its hash and not sent again until it changes; a service that cannot be written
 * (held) keeps its last good object; a name or host held by someone else is reported and left
 * alone. Any other {@link RuntimeException} while converting, rendering or writing one host is
 * that host's alone: logged with the host and its IDs, reported ({@link
 * MeshReport.Kind#UNEXPECTED_ERROR}), the host keeps what the store holds, its IDs are handed
 * back for a retry ({@link SyncResult#retry()}), and every other host is still written.
 *
 * <p>Called by one {@code SinkReconciler} thread; fields are confined to it except the status,
 * the context and the names blocked by foreign objects, which the store's listener reads.
 */
final class MeshEngine implements MeshSink, DebugView {
  private static final Logger log = LoggerFactory.getLogger(MeshEngine.class);
  private static final String FOREIGN_KEY = " foreign";
  private static final String REJECTED_KEY = " rejected";
  private static final String FAILED_KEY = " failed";

  private final String name;
  private final ServiceEntryStore store;
  private final ServiceEntryRenderer renderer;
  private final MeshModel model;
  private final ReportLog reportLog;
  // Object name -> the rejected object's hash and the report to repeat while it stands.
  private final Map<String, Rejection> rejected = new HashMap<>();
  // Object name -> its host and the report about who else holds that name or host.
  private final Map<String, Blocked> foreign = new HashMap<>();
  // Object name -> the report of an unexpected failure rendering or writing it, until it works.
  private final Map<String, MeshReport> failed = new HashMap<>();
  // Objects and hosts whose failure was logged with its stack trace: a failure that repeats
  // (each retry, each full sync) is logged once at ERROR, then at DEBUG until it passes.
  private final Set<String> writeFailuresLogged = new HashSet<>();
  private final Set<String> conversionFailuresLogged = new HashSet<>();
  // Objects of ours to delete or rewrite, held back because a source they depend on has not
  // listed yet. A ServiceEntry gathers every instance of a service, and until every source has
  // listed, the desired one may hold only some: rewriting it then would take endpoints out of
  // the mesh on every bridge restart (a partial first listing). So an object that exists is
  // rewritten or deleted only once each source it depends on has listed: the sources of its
  // desired instances and those it says it was written from (ServiceEntryRenderer
  // SOURCES_ANNOTATION); an object that does not say, or an instance without a known source,
  // waits for every source. Objects that do not exist yet are written early.
  private final Set<String> pendingDeletes = new HashSet<>();
  // The names and hosts of those, for the store's listener thread.
  private final Set<String> blockedNamesAndHosts = ConcurrentHashMap.newKeySet();
  // pendingDeletes as of the last call, for the debug page (read from another thread).
  private volatile SortedSet<String> waiting = Collections.emptySortedSet();
  private volatile SinkContext context = SinkContext.NONE;
  private volatile MeshSinkStatus status = MeshSinkStatus.EMPTY;
  // Whether the model and the store's view were filled by a full sync that nothing undid since.
  private boolean primed;

  private record Rejection(String hash, MeshReport report) {}

  private record Blocked(String host, MeshReport report) {}

  MeshEngine(MeshSinkConfig config, ServiceEntryStore store, MeshSinkListener listener) {
    this(store.name(), config, store, listener, null);
  }

  /** @param name the sink's name in logs, metrics and {@code /readyz} */
  MeshEngine(String name, MeshSinkConfig config, ServiceEntryStore store,
      MeshSinkListener listener) {
    this(name, config, store, listener, null);
  }

  /** With {@code hostConverter} in place of the converter's own (null: that one), for tests. */
  MeshEngine(MeshSinkConfig config, ServiceEntryStore store, MeshSinkListener listener,
      MeshModel.HostConverter hostConverter) {
    this(store.name(), config, store, listener, hostConverter);
  }

  private MeshEngine(String name, MeshSinkConfig config, ServiceEntryStore store,
      MeshSinkListener listener, MeshModel.HostConverter hostConverter) {
    this.name = requireNonNull(name, "name");
    requireNonNull(config, "config");
    this.store = requireNonNull(store, "store");
    this.renderer = new ServiceEntryRenderer(config.namespace(), config.ownerLabel());
    ServiceEntryConverter converter = new ServiceEntryConverter(config);
    this.model = hostConverter == null ? new MeshModel(converter)
        : new MeshModel(converter, hostConverter);
    this.reportLog = new ReportLog(name, requireNonNull(listener, "listener"));
    if (!config.ownerLabel().equals(config.ownerId())) {
      log.info("{}: owner ID '{}' is longer than a label value; objects are labelled {}={}",
          name, config.ownerId(), ServiceEntryRenderer.OWNER_LABEL, config.ownerLabel());
    }
  }

  @Override
  public String name() {
    return name;
  }

  /** The store's: frequent for a directory (a scan is cheap), rarer where a cache watches. */
  @Override
  public SinkTiming timing() {
    return store.timing();
  }

  @Override
  public MeshSinkStatus status() {
    return status;
  }

  @Override
  public String path() {
    return MeshDebugPage.PATH;
  }

  /** {@code GET /debug/mesh}: see {@link MeshDebugPage}. */
  @Override
  public String json(Map<String, List<String>> query) {
    return MeshDebugPage.render(store, status, waiting, query);
  }

  /**
   * Why the mesh keeps an instance out, from the last sync's reports: its service's own problem
   * (invalid, held by another owner, refused), or one about this instance alone (skipped,
   * unhealthy, outvoted on a port's protocol; its message names the instance's ID). What is
   * written all the same (a collision in report mode) is on {@code /debug/mesh}.
   */
  @Override
  public Optional<io.registrybridge.core.IdState> explain(
      io.registrybridge.core.ServiceInstance instance) {
    for (MeshReport report : status.reports()) {
      boolean aboutIt = switch (report.kind()) {
        case INVALID_SERVICE, FOREIGN_OWNER, REJECTED, UNEXPECTED_ERROR ->
            report.service().equals(instance.name());
        case SKIPPED_INSTANCE, SKIPPED_UDP, UNHEALTHY -> report.service().equals(instance.name())
            && report.message().contains(instance.id() + " (");
        // An instance without a protocol is served with the others' (written); one that
        // declares another protocol is left out.
        case PROTOCOL_CONFLICT -> report.service().equals(instance.name())
            && report.message().contains(instance.id() + " (")
            && !report.message().contains("it is served as");
        // Written all the same: a collision in report mode, a dropped label, merged names.
        case PORT_COLLISION, NO_VIRTUAL_IP, DROPPED_LABEL, MERGED_NAMES, PARTIAL_ENDPOINT ->
            false;
      };
      if (aboutIt) {
        return Optional.of(io.registrybridge.core.IdState.of(
            report.kind() == MeshReport.Kind.REJECTED ? io.registrybridge.core.IdState.REJECTED
                : io.registrybridge.core.IdState.HELD,
            MeshDebugPage.reason(report.kind()) + ": " + report.message()));
      }
    }
    return Optional.empty();
  }

  @Override
  public Optional<String> notReady() {
    return store.notReady();
  }

  /** For tests: the model, to count conversions. */
  MeshModel model() {
    return model;
  }

  /** For tests: the store. */
  ServiceEntryStore store() {
    return store;
  }

  @Override
  public void start(SinkContext context) {
    this.context = requireNonNull(context, "context");
    store.start(new ServiceEntryStore.Listener() {
      @Override
      public void changedBehindOurBack(String name, String what) {
        MeshEngine.this.context.requestFullSync(what);
      }

      @Override
      public void foreignChanged(String name, Collection<String> hosts) {
        boolean blocking = blockedNamesAndHosts.contains(name)
            || hosts.stream().anyMatch(blockedNamesAndHosts::contains);
        if (blocking) {
          MeshEngine.this.context.requestFullSync("ServiceEntry " + name
              + ", which held a name or host of ours, changed");
        }
      }
    });
  }

  @Override
  public SyncResult apply(Set<String> ids, DesiredView desired) throws Exception {
    if (!primed) {
      // Nothing to build on yet (or a failure left it unsure): start from a full read.
      return sync(desired.snapshot());
    }
    boolean done = false;
    try {
      store.open();
      Set<String> names = new HashSet<>();
      for (String id : ids) {
        names.addAll(model.namesOf(id));
        desired.get(id).ifPresent(instance -> names.add(instance.name()));
      }
      long convertedBefore = model.hostsConverted();
      MeshModel.Delta delta = model.update(names, desired, this::currentAddress);
      logFailedConversions(delta.objects());
      boolean complete = desired.complete();
      SortedSet<String> objects = new TreeSet<>(delta.objects());
      if (complete) {
        objects.addAll(pendingDeletes); // held back until every source had listed
      }
      Counts counts = new Counts();
      for (String name : objects) {
        reconcileAlone(name, desired, counts);
      }
      store.commit(complete);
      for (String key : delta.reportKeys()) {
        reportLog.replace(key, model.reports(key));
      }
      for (String name : objects) {
        publishEngineReports(name);
      }
      updateStatus();
      if (log.isDebugEnabled()) {
        log.debug("{}: {} IDs, {} services, {} hosts converted, {} objects compared, {} writes",
            name(), ids.size(), names.size(), model.hostsConverted() - convertedBefore,
            objects.size(), counts.result().writes());
      }
      done = true;
      return counts.result();
    } finally {
      if (!done) {
        primed = false; // the next call reads everything again
      }
    }
  }

  @Override
  public SyncResult sync(DesiredState desired) throws Exception {
    primed = false;
    store.open();
    Map<String, StoredEntry> held = store.readAll();
    model.rebuild(desired, this::currentAddress);
    logFailedConversions(null);
    for (String name : List.copyOf(foreign.keySet())) {
      unblock(name);
    }
    rejected.keySet().retainAll(model.objectNames());
    pendingDeletes.clear();
    failed.clear();
    SortedSet<String> names = new TreeSet<>(model.objectNames());
    names.addAll(held.keySet());
    writeFailuresLogged.retainAll(names);
    Counts counts = new Counts();
    try {
      for (String name : names) {
        reconcileAlone(name, desired, counts);
      }
      store.commit(desired.complete());
    } finally {
      SortedMap<String, List<MeshReport>> reports = new TreeMap<>(model.allReports());
      foreign.forEach((name, blocked) -> reports.put(name + FOREIGN_KEY,
          List.of(blocked.report())));
      rejected.forEach((name, rejection) -> reports.put(name + REJECTED_KEY,
          List.of(rejection.report())));
      failed.forEach((name, report) -> reports.put(name + FAILED_KEY, List.of(report)));
      reportLog.replaceAll(reports);
      updateStatus();
    }
    primed = true;
    return counts.result();
  }

  private Optional<String> currentAddress(String host) {
    return store.held(ServiceEntryConverter.objectName(host))
        .flatMap(stored -> stored.addresses().stream().findFirst());
  }

  /**
   * Logs the model's conversions that threw (a bug to fix), with the stack trace the first time.
   *
   * @param converted the objects this call converted again; null for all of them
   */
  private void logFailedConversions(Set<String> converted) {
    Set<String> failing = new HashSet<>();
    for (MeshModel.Failure failure : model.takeFailures()) {
      failing.add(failure.host());
      String message = "{}: converting host {} (IDs {}) failed unexpectedly; it keeps its last"
          + " good object, the other hosts go on";
      if (conversionFailuresLogged.add(failure.host())) {
        log.error(message, name(), failure.host(), failure.ids(), failure.error());
      } else {
        log.debug(message, name(), failure.host(), failure.ids(), failure.error());
      }
    }
    conversionFailuresLogged.removeIf(host -> !failing.contains(host)
        && (converted == null || converted.contains(ServiceEntryConverter.objectName(host))));
  }

  /**
   * {@link #reconcile}, with an unexpected exception kept to this one object: a control plane
   * that cannot be reached (or a checked exception) still fails the call, anything else is
   * logged, reported, and the object's IDs are handed back for a retry.
   */
  private void reconcileAlone(String name, DesiredView desired, Counts counts)
      throws Exception {
    failed.remove(name);
    try {
      reconcile(name, desired, counts);
      writeFailuresLogged.remove(name);
    } catch (ControlPlaneUnavailableException e) {
      throw e;
    } catch (RuntimeException e) {
      SortedSet<String> ids = model.idsOf(name);
      String service = model.entry(name).map(ServiceEntryModel::service).orElse(name);
      String message = "{}: writing ServiceEntry {} (IDs {}) failed unexpectedly; it keeps what"
          + " the store holds and is tried again, the other hosts go on";
      if (writeFailuresLogged.add(name)) {
        log.error(message, name(), name, ids, e);
      } else {
        log.debug(message, name(), name, ids, e);
      }
      failed.put(name, new MeshReport(MeshReport.Kind.UNEXPECTED_ERROR, service, "service '"
          + service + "': writing ServiceEntry " + name + " (IDs " + String.join(", ", ids)
          + ") failed unexpectedly (" + e.getClass().getName() + "); what the store holds is"
          + " kept and it is tried again"));
      counts.retry.addAll(ids);
    }
  }

  /** Makes the object {@code name} right: written, deleted or left alone. */
  private void reconcile(String name, DesiredView desired, Counts counts) throws Exception {
    Optional<ServiceEntryModel> entry = model.entry(name);
    pendingDeletes.remove(name);
    if (entry.isEmpty()) {
      unblock(name);
      rejected.remove(name);
      // A held service keeps its last good object; deletes wait for its sources to list.
      Optional<StoredEntry> have = store.held(name);
      if (model.held(name) || have.isEmpty()) {
        return;
      }
      if (!mayReplace(desired, have.get(), entry)) {
        pendingDeletes.add(name);
      } else if (store.delete(name)) {
        counts.deleted(name);
      }
      return;
    }
    RenderedEntry want = render(entry.get());
    Rejection rejection = rejected.get(name);
    if (rejection != null) {
      if (rejection.hash().equals(want.hash())) {
        return; // refused as it is; wait for it to change
      }
      rejected.remove(name);
    }
    Optional<StoredEntry> have = store.held(name);
    if (have.isPresent() && have.get().fingerprint().equals(want.fingerprint())) {
      unblock(name);
      return;
    }
    if (have.isPresent() && !mayReplace(desired, have.get(), entry)) {
      pendingDeletes.add(name); // a rewrite from a partial state: see pendingDeletes
      return;
    }
    if (have.isEmpty()) {
      Optional<String> elsewhere = store.heldElsewhere(name, want.host());
      if (elsewhere.isPresent()) {
        block(want, elsewhere.get());
        return;
      }
    }
    WriteResult result = store.write(want);
    unblock(name);
    switch (result) {
      case WriteResult.Created created -> counts.created(name, want.service());
      case WriteResult.Updated updated -> counts.updated(name, want.service());
      case WriteResult.Unchanged unchanged -> { }
      case WriteResult.HeldElsewhere elsewhere -> block(want, elsewhere.phrase());
      case WriteResult.Rejected refused -> rejected.put(name, new Rejection(want.hash(),
          new MeshReport(MeshReport.Kind.REJECTED, want.service(), "service '" + want.service()
              + "': " + refused.description()
              + "; it is not sent again until the service changes")));
    }
  }

  /**
   * Whether the object {@code have} may be rewritten (as {@code want}) or deleted ({@code want}
   * empty) now: once every source it was written from and every source of the desired entry has
   * listed. An object that does not say its sources, or a desired entry with an instance of no
   * known source, waits for every source.
   */
  private static boolean mayReplace(DesiredView desired, StoredEntry have,
      Optional<ServiceEntryModel> want) {
    if (desired.complete()) {
      return true;
    }
    SortedSet<String> sources = new TreeSet<>(have.sources());
    if (want.isPresent()) {
      if (want.get().sources().isEmpty()) {
        return false;
      }
      sources.addAll(want.get().sources());
    }
    return !have.sources().isEmpty() && sources.stream().allMatch(desired::mayDelete);
  }

  private RenderedEntry render(ServiceEntryModel entry) {
    GenericKubernetesResource object = renderer.render(entry);
    return new RenderedEntry(entry.name(), entry.service(), entry.host(), object,
        ServiceEntryRenderer.hashOf(object), ServiceEntryRenderer.fingerprint(object));
  }

  /** Someone else holds the name or host of {@code want}: reported, watched for, left alone. */
  private void block(RenderedEntry want, String phrase) {
    foreign.put(want.name(), new Blocked(want.host(), new MeshReport(
        MeshReport.Kind.FOREIGN_OWNER, want.service(), "service '" + want.service() + "': host "
            + want.host() + " " + phrase + "; it is left alone and nothing is written for it")));
    blockedNamesAndHosts.add(want.name());
    blockedNamesAndHosts.add(want.host());
  }

  private void unblock(String name) {
    Blocked blocked = foreign.remove(name);
    if (blocked != null) {
      blockedNamesAndHosts.remove(name);
      blockedNamesAndHosts.remove(blocked.host());
    }
  }

  /** Puts the engine's own reports of {@code name} into the log, after an incremental call. */
  private void publishEngineReports(String name) {
    Blocked blocked = foreign.get(name);
    reportLog.replace(name + FOREIGN_KEY,
        blocked == null ? List.of() : List.of(blocked.report()));
    Rejection rejection = rejected.get(name);
    reportLog.replace(name + REJECTED_KEY,
        rejection == null ? List.of() : List.of(rejection.report()));
    MeshReport failure = failed.get(name);
    reportLog.replace(name + FAILED_KEY, failure == null ? List.of() : List.of(failure));
  }

  private void updateStatus() {
    if (!waiting.equals(pendingDeletes)) {
      waiting = Collections.unmodifiableSortedSet(new TreeSet<>(pendingDeletes));
    }
    boolean reportsChanged = reportLog.takeChanged();
    MeshSinkStatus before = status;
    if (reportsChanged || before.activeCollisions() != model.collisionCount()
        || before.heldServices() != model.heldCount()
        || before.rejectedObjects() != rejected.size()) {
      status = new MeshSinkStatus(model.collisionCount(), reportLog.collisionsDetected(),
          model.heldCount(), rejected.size(), reportLog.current());
    }
  }

  /**
   * Writes made by one call, each logged as it is counted: the summary of a sync is the sum of
   * its lines, nothing more or less (a write the store found already made by someone else is
   * neither).
   */
  private final class Counts {
    int created;
    int updated;
    int deleted;
    final Set<String> retry = new HashSet<>();

    void created(String object, String service) {
      created++;
      log.info("{}: created ServiceEntry {} (service {})", name, object, service);
    }

    void updated(String object, String service) {
      updated++;
      log.info("{}: updated ServiceEntry {} (service {})", name, object, service);
    }

    void deleted(String object) {
      deleted++;
      log.info("{}: deleted ServiceEntry {}", name, object);
    }

    SyncResult result() {
      return new SyncResult(created, updated, deleted, retry);
    }
  }

  @Override
  public void close() {
    store.close();
  }
}
