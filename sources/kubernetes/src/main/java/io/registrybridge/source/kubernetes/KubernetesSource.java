package io.registrybridge.source.kubernetes;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.ReducedStateItemStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.Source;
import io.registrybridge.core.SourceListener;
import io.registrybridge.core.attributes.Finding;
import io.registrybridge.retry.RetryPolicy;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches a cluster's Services and their EndpointSlices (v1 Endpoints where the API server does
 * not serve EndpointSlices, found by discovery) and reports each Service's ready endpoints as
 * instances, the Service being the origin.
 *
 * <p>Four informers: Services (with {@code -k8s-label-selector}), EndpointSlices joined to their
 * Service by the {@code kubernetes.io/service-name} label, Pods (for their labels) and Nodes (for
 * NodePort addresses); each cache keeps only the fields the source reads (see {@link #trimmed}).
 * Nothing is reported before every informer has listed once; then the whole state goes out with
 * {@link SourceListener#replaceAll}, which is what allows the sinks to delete, and each later
 * event re-normalizes only the Services it touches.
 *
 * <p>Watches that end (410 Gone, a dropped connection, an expired token) are resumed by fabric8's
 * informers, which list again when the resource version is gone and hand over the differences as
 * events. An API server that does not answer at start is retried with {@code retry}'s backoff;
 * after its attempts the {@code gaveUp} callback is told, and the source keeps trying.
 *
 * <p>One Service never stops the others: an unexpected exception while normalizing it or
 * handling an event for it is logged naming the object, counted ({@code
 * registry.bridge.source.item.failures}), and the rest goes on; that Service keeps what it last
 * reported and is tried again on its next event (or {@code -resync}).
 *
 * <p>All state lives on the single-threaded {@code executor}; informer threads only hand over.
 */
public final class KubernetesSource implements Source {
  private static final Logger log = LoggerFactory.getLogger(KubernetesSource.class);
  // The API server's wording of an RBAC denial (k8s.io/apiserver's forbidden()).
  private static final Pattern CANNOT = Pattern.compile(
      "cannot (\\S+) resource \"([^\"]*)\"(?: in API group \"([^\"]*)\")?");

  /** What turns one Service into instances; {@link EndpointNormalizer}, or a test's. */
  interface Normalizer {
    EndpointNormalizer.Result normalize(ServiceView service, Collection<SliceView> slices,
        EndpointNormalizer.Cluster cluster);
  }

  // What KubernetesObjects and the handlers read of each kind; the informers keep only these.
  private static final String[] SERVICE_FIELDS = {"metadata.annotations", "spec.type",
      "spec.ports", "spec.externalIPs", "status.loadBalancer.ingress"};
  private static final String[] SLICE_FIELDS = {"metadata.labels", "ports", "endpoints"};

  private final KubernetesClient client;
  private final KubernetesSourceConfig config;
  private final Normalizer normalizer;
  private final RetryPolicy retry;
  private final ScheduledExecutorService executor;
  private final Runnable gaveUp;
  private final Counter itemFailures;

  // Confined to the executor thread.
  private final ClusterState state = new ClusterState();
  private final Map<String, List<ServiceInstance>> reported = new HashMap<>();
  private final Map<String, List<Finding>> logged = new HashMap<>();
  /** What each Service gave, by key, for {@link #objects} on other threads. */
  private final Map<String, io.registrybridge.core.SourceObject> objects =
      new java.util.concurrent.ConcurrentHashMap<>();
  private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
  private SourceListener listener;
  private boolean useSlices;
  private boolean listed;
  private int failures;
  private long generation;
  private volatile boolean closed;

  /**
   * @param retry how to space attempts while the API server has not answered yet
   * @param gaveUp told once when {@code retry}'s attempts are used up; the source goes on
   *     trying, the daemon decides whether to exit
   * @param meters receives {@code registry.bridge.source.item.failures{source=kubernetes}}: the
   *     unexpected exceptions caught for one Service or one object
   */
  public KubernetesSource(KubernetesClient client, KubernetesSourceConfig config,
      RetryPolicy retry, ScheduledExecutorService executor, Runnable gaveUp,
      MeterRegistry meters) {
    this(client, config, new EndpointNormalizer(config)::normalize, retry, executor, gaveUp,
        meters);
  }

  KubernetesSource(KubernetesClient client, KubernetesSourceConfig config, Normalizer normalizer,
      RetryPolicy retry, ScheduledExecutorService executor, Runnable gaveUp,
      MeterRegistry meters) {
    this.client = requireNonNull(client, "client");
    this.config = requireNonNull(config, "config");
    this.normalizer = requireNonNull(normalizer, "normalizer");
    this.retry = requireNonNull(retry, "retry");
    this.executor = requireNonNull(executor, "executor");
    this.gaveUp = requireNonNull(gaveUp, "gaveUp");
    this.itemFailures = Counter.builder("registry.bridge.source.item.failures")
        .description("Unexpected exceptions caught for one item (a container, a Service); the"
            + " item is skipped and the others go on")
        .tag("source", name()).register(requireNonNull(meters, "meters"));
  }

  @Override
  public String name() {
    return "kubernetes";
  }

  @Override
  public void start(SourceListener listener) {
    requireNonNull(listener, "listener");
    executor.execute(() -> {
      this.listener = listener;
      connect();
    });
  }

  /** Normalizes every Service again from the informers' caches and reports the whole state. */
  @Override
  public void resync() {
    executor.execute(() -> {
      if (listed && !closed) {
        reportAll();
      }
    });
  }

  @Override
  public void close() {
    closed = true;
    executor.execute(this::stopInformers);
  }

  /** Whether endpoints come from EndpointSlices (else from v1 Endpoints); for tests and logs. */
  boolean usesEndpointSlices() {
    return useSlices;
  }

  /** What the informers' caches hold now, as fabric8 hands it back; for tests. */
  List<HasMetadata> cached() {
    return CompletableFuture.supplyAsync(() -> informers.stream()
        .flatMap(informer -> informer.getStore().list().stream())
        .map(HasMetadata.class::cast).toList(), executor).join();
  }

  private void connect() {
    if (closed) {
      return;
    }
    long current = ++generation;
    List<CompletableFuture<Void>> started = new ArrayList<>();
    try {
      useSlices = endpointSlicesServed();
      started.add(start(serviceInformer(), this::onService));
      started.add(useSlices ? start(trimmed(client.discovery().v1().endpointSlices()
          .inAnyNamespace().withLabel(KubernetesObjects.SERVICE_NAME_LABEL)
          .runnableInformer(0), EndpointSlice.class, SLICE_FIELDS), this::onSlice)
          : start(trimmed(client.endpoints().inAnyNamespace().runnableInformer(0),
              Endpoints.class, "subsets"), this::onEndpoints));
      started.add(start(podInformer(), this::onPod));
      started.add(start(trimmed(client.nodes().runnableInformer(0), Node.class,
          "status.addresses"), this::onNode));
    } catch (RuntimeException e) {
      failed(current, e);
      return;
    }
    CompletableFuture.allOf(started.toArray(CompletableFuture[]::new)).whenComplete(
        (done, error) -> executor.execute(() -> {
          if (error != null) {
            failed(current, error);
          } else {
            synced(current);
          }
        }));
  }

  /**
   * Discovery, not configuration: EndpointSlices are GA since 1.21; older API servers, or ones
   * with the group switched off, only serve v1 Endpoints. The resource list is read rather than
   * {@code client.supports(EndpointSlice.class)}, which answers true for a group version that
   * lists no resources.
   */
  private boolean endpointSlicesServed() {
    APIResourceList served = client.getApiResources("discovery.k8s.io/v1");
    return served != null && served.getResources() != null && served.getResources().stream()
        .anyMatch(resource -> "endpointslices".equals(resource.getName()));
  }

  private SharedIndexInformer<Service> serviceInformer() {
    var services = client.services().inAnyNamespace();
    return trimmed(config.labelSelector().map(services::withLabelSelector).orElse(services)
        .runnableInformer(0), Service.class, SERVICE_FIELDS);
  }

  /**
   * Pods, keeping only the labels the normalizer reads ({@link EndpointNormalizer#POD_LABELS},
   * plain keys, so each is a path of its own): fabric8 7.8 can list metadata only ({@code
   * listAsPartialObjectMetadata}) but has no metadata-only informer, so the watch carries whole
   * Pods and the store drops everything else as each one arrives.
   */
  private SharedIndexInformer<Pod> podInformer() {
    return trimmed(client.pods().inAnyNamespace().runnableInformer(0), Pod.class,
        EndpointNormalizer.POD_LABELS.stream().map(label -> "metadata.labels." + label)
            .toArray(String[]::new));
  }

  /**
   * An informer whose cache keeps only these fields (and the name, namespace and resource
   * version fabric8 needs), as plain maps: the objects are read whole only once, into {@link
   * ClusterState}'s views, so a cache of whole objects (a Node's image list, every object's
   * managedFields) would only hold memory. What the cache hands back ({@link #synced}, the
   * object of a delete) has just these fields, which are all the handlers read.
   */
  private <T extends HasMetadata> SharedIndexInformer<T> trimmed(SharedIndexInformer<T> informer,
      Class<T> type, String... fields) {
    return informer.itemStore(new ReducedStateItemStore<>(ReducedStateItemStore.NAME_KEY_STATE,
        type, client.getKubernetesSerialization(), fields));
  }

  private <T extends HasMetadata> CompletableFuture<Void> start(SharedIndexInformer<T> informer,
      Consumer<Change<T>> onChange) {
    informers.add(informer);
    long current = generation;
    informer.addEventHandler(new ResourceEventHandler<T>() {
      @Override
      public void onAdd(T obj) {
        hand(new Change<>(obj, false));
      }

      @Override
      public void onUpdate(T before, T after) {
        hand(new Change<>(after, false));
      }

      @Override
      public void onDelete(T obj, boolean finalStateUnknown) {
        hand(new Change<>(obj, true));
      }

      private void hand(Change<T> change) {
        if (!closed) {
          executor.execute(() -> {
            // Before the first listing the caches are read whole in synced().
            if (listed && current == generation) {
              isolated(change.object(), () -> onChange.accept(change));
            }
          });
        }
      }
    });
    // fabric8 resumes watches and lists again on 410 by itself; an informer that stops anyway
    // (its first watch failed, or its exception handler gave up) is started again with the rest.
    informer.stopped().whenComplete((done, error) -> executor.execute(() -> {
      if (listed && !closed && current == generation) {
        failed(current, error != null ? error : new IllegalStateException(
            "the " + informer.getApiTypeClass().getSimpleName() + " informer stopped"));
      }
    }));
    return informer.start().toCompletableFuture();
  }

  /** An informer event: the object as it is now, or as it was last seen when deleted. */
  private record Change<T>(T object, boolean deleted) {}

  private void failed(long attempt, Throwable error) {
    if (closed || attempt != generation) {
      return;
    }
    generation++; // the informers stopped below must not report this failure again
    stopInformers();
    failures++;
    String why = forbidden(error).orElseGet(() -> "API server not reachable ("
        + describe(error) + ")");
    // -retry-attempts bounds only the wait for an API server that has never answered.
    if (!listed && failures == retry.maxAttempts() + 1) {
      log.error("kubernetes: no complete listing after {} attempt(s): {}", failures, why);
      gaveUp.run();
    }
    long delay = retry.delayAfter(failures).toMillis();
    log.warn("kubernetes: {}; retrying in {} ms", why, delay);
    executor.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
  }

  @SuppressWarnings("unchecked")
  private void synced(long attempt) {
    if (closed || attempt != generation) {
      return;
    }
    if (failures > 0) {
      log.info("kubernetes: API server answered after {} failed attempt(s)", failures);
    }
    failures = 0;
    state.clear();
    for (SharedIndexInformer<?> informer : informers) {
      for (Object object : informer.getStore().list()) {
        isolated(object, () -> {
          switch (object) {
            case Service s -> onService(new Change<>(s, false));
            case EndpointSlice s -> onSlice(new Change<>(s, false));
            case Endpoints e -> onEndpoints(new Change<>(e, false));
            case Pod p -> onPod(new Change<>(p, false));
            case Node n -> onNode(new Change<>(n, false));
            default -> log.debug("kubernetes: unexpected object {}", object);
          }
        });
      }
    }
    listed = true;
    reportAll();
    log.info("kubernetes: listed {} Services from {}, {} instances", state.serviceKeys().size(),
        useSlices ? "EndpointSlices" : "v1 Endpoints (EndpointSlices are not served)",
        reported.values().stream().mapToInt(List::size).sum());
  }

  private void reportAll() {
    Map<String, List<ServiceInstance>> all = new LinkedHashMap<>();
    for (String key : state.serviceKeys()) {
      List<ServiceInstance> instances = instancesOf(key);
      if (instances == null) { // failed: keeps what it last reported
        instances = reported.getOrDefault(key, List.of());
      }
      if (!instances.isEmpty()) {
        all.put(key, instances);
      }
    }
    reported.clear();
    reported.putAll(all);
    logged.keySet().retainAll(all.keySet());
    listener.replaceAll(Map.copyOf(all));
  }

  private void onService(Change<Service> change) {
    Service service = change.object();
    String key = ClusterState.key(service.getMetadata().getNamespace(),
        service.getMetadata().getName());
    refresh(change.deleted() ? state.removeService(key)
        : state.putService(KubernetesObjects.service(service)));
  }

  private void onSlice(Change<EndpointSlice> change) {
    EndpointSlice slice = change.object();
    String serviceName = slice.getMetadata().getLabels() == null ? null
        : slice.getMetadata().getLabels().get(KubernetesObjects.SERVICE_NAME_LABEL);
    if (serviceName == null) {
      return;
    }
    String key = ClusterState.key(slice.getMetadata().getNamespace(), serviceName);
    refresh(state.putSlice(key, slice.getMetadata().getName(),
        change.deleted() ? null : KubernetesObjects.slice(slice)));
  }

  private void onEndpoints(Change<Endpoints> change) {
    Endpoints endpoints = change.object();
    String key = ClusterState.key(endpoints.getMetadata().getNamespace(),
        endpoints.getMetadata().getName());
    refresh(state.putSlices(key, change.deleted() ? List.of()
        : KubernetesObjects.slices(endpoints)));
  }

  private void onPod(Change<Pod> change) {
    Pod pod = change.object();
    refresh(state.putPod(pod.getMetadata().getNamespace(), pod.getMetadata().getName(),
        change.deleted() ? null
            : pod.getMetadata().getLabels() == null ? Map.of() : pod.getMetadata().getLabels()));
  }

  private void onNode(Change<Node> change) {
    Node node = change.object();
    Map<String, String> addresses = new HashMap<>();
    if (!change.deleted() && node.getStatus() != null
        && node.getStatus().getAddresses() != null) {
      for (NodeAddress address : node.getStatus().getAddresses()) {
        addresses.putIfAbsent(address.getType(), address.getAddress());
      }
    }
    refresh(state.putNode(node.getMetadata().getName(), change.deleted() ? null : addresses));
  }

  /** Normalizes these Services again and reports those whose instances changed. */
  private void refresh(Set<String> keys) {
    if (!listed) {
      return;
    }
    for (String key : keys) {
      List<ServiceInstance> instances = instancesOf(key);
      if (instances == null) {
        continue; // failed: keeps what it last reported until its next event
      }
      List<ServiceInstance> before = instances.isEmpty() ? reported.remove(key)
          : reported.put(key, instances);
      if (!instances.equals(before == null ? List.of() : before)) {
        listener.update(key, instances);
      }
    }
  }

  /**
   * One Service's instances; its problems are logged when they first appear or change. Null when
   * normalizing it threw (a bug): logged and counted here, so the other Services go on.
   */
  private List<ServiceInstance> instancesOf(String key) {
    ServiceView service = state.service(key);
    if (service == null) {
      logged.remove(key);
      objects.remove(key);
      return List.of();
    }
    EndpointNormalizer.Result result;
    try {
      result = normalizer.normalize(service, state.slicesOf(key), state);
      objects.put(key, record(service, state.slicesOf(key), result));
    } catch (RuntimeException e) {
      itemFailures.increment();
      log.error("kubernetes: Service {} could not be normalized ({}); it keeps what it last"
          + " reported and is tried again on its next change", key, describe(e), e);
      return null;
    }
    List<Finding> before = logged.put(key, result.problems());
    if (!result.problems().equals(before == null ? List.of() : before)) {
      result.problems().forEach(p -> log.warn("kubernetes: {}", p));
    }
    if (log.isDebugEnabled()) {
      result.notes().forEach(n -> log.debug("kubernetes: {}", n));
    }
    return result.instances();
  }

  /**
   * Each Service read: what it gave, or why nothing, for {@code /debug/services}; any thread.
   */
  @Override
  public List<io.registrybridge.core.SourceObject> objects() {
    return List.copyOf(objects.values());
  }

  /** A Service as an operator knows it, with the annotations the bridge reads. */
  private static io.registrybridge.core.SourceObject record(ServiceView service,
      java.util.Collection<SliceView> slices, EndpointNormalizer.Result result) {
    java.util.SortedMap<String, String> attributes = new java.util.TreeMap<>();
    service.annotations().forEach((key, value) -> {
      if (key.startsWith("consul.hashicorp.com/") || key.startsWith("registry-bridge.io/")) {
        attributes.put(key, value);
      }
    });
    String sliceNames = slices.stream().map(SliceView::name).sorted()
        .collect(java.util.stream.Collectors.joining(", "));
    return io.registrybridge.core.SourceObject.of("kubernetes:" + service.key(),
        "Service " + service.key() + (sliceNames.isEmpty() ? "" : " (slices " + sliceNames
            + ")"), attributes, result.problems(), result.notes(),
        !result.instances().isEmpty(), "no ready endpoint to register");
  }

  private void stopInformers() {
    for (SharedIndexInformer<?> informer : informers) {
      try {
        informer.stop();
      } catch (RuntimeException e) {
        log.debug("kubernetes: stopping an informer", e);
      }
    }
    informers.clear();
  }

  /** Runs one object's handling; an unexpected exception is logged naming it and counted. */
  private void isolated(Object object, Runnable handling) {
    try {
      handling.run();
    } catch (RuntimeException e) {
      itemFailures.increment();
      String name = object instanceof HasMetadata o && o.getMetadata() != null
          ? o.getKind() + " " + ClusterState.key(o.getMetadata().getNamespace(),
              o.getMetadata().getName())
          : String.valueOf(object);
      log.error("kubernetes: {} could not be handled ({}); skipped until its next change", name,
          describe(e), e);
    }
  }

  /**
   * The API server's 403 as what is forbidden and what fixes it; empty for other failures. The
   * verb and resource come from its message (k8s.io/apiserver's wording), else from the
   * request.
   */
  static java.util.Optional<String> forbidden(Throwable error) {
    for (Throwable e = error; e != null; e = e.getCause()) {
      if (e instanceof KubernetesClientException k && k.getCode() == 403) {
        String said = k.getStatus() != null && k.getStatus().getMessage() != null
            ? k.getStatus().getMessage() : String.valueOf(k.getMessage());
        Matcher cannot = CANNOT.matcher(said);
        boolean worded = cannot.find();
        String verb = worded ? cannot.group(1) : "list and watch";
        String resource = worded ? cannot.group(2)
            + (cannot.group(3) == null || cannot.group(3).isEmpty() ? "" : "." + cannot.group(3))
            : k.getFullResourceName() != null ? k.getFullResourceName() : "a resource";
        return java.util.Optional.of("forbidden to " + verb + " " + resource + " (HTTP 403):"
            + " the ServiceAccount needs RBAC for it, a ClusterRole granting get, list and watch"
            + " on " + resource + " (see deploy/kubernetes-sync.yaml); the API server said: "
            + said);
      }
    }
    return java.util.Optional.empty();
  }

  private static String describe(Throwable e) {
    Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null
        ? e.getCause() : e;
    String message = cause.getMessage();
    return cause.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }
}
