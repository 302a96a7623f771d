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
import io.registrybridge.core.DesiredState;
import io.registrybridge.core.Diff;
import io.registrybridge.core.SyncResult;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes ServiceEntry objects through the Kubernetes API.
 *
 * <p>Each sync lists the objects carrying this bridge's owner labels (a label selector, so other
 * objects are never even read for the diff), converts the desired state, and writes only objects
 * whose content hash differs. Errors are sorted by what a retry can do about them:
 *
 * <ul>
 *   <li>ServiceEntry not served, 429, 5xx, timeouts: thrown; the reconciler backs off and the
 *       next sync starts over with the newest desired state.
 *   <li>409: someone wrote the object since it was read; it is read again and the write retried
 *       a few times within the sync.
 *   <li>422, 400, an admission webhook's denial: this object will not be accepted as it is. It is
 *       reported with its service, remembered with its hash and not sent again until the service
 *       changes, and the other objects still converge.
 * </ul>
 *
 * <p>Called by one {@code SinkReconciler} thread; fields are confined to it except the status.
 */
final class KubernetesMeshSink implements MeshSink {
  private static final Logger log = LoggerFactory.getLogger(KubernetesMeshSink.class);
  static final String NAME = "mesh-k8s";
  private static final int MAX_ATTEMPTS = 3;

  private final MeshSinkConfig config;
  private final KubernetesClient client;
  private final boolean ownsClient;
  private final ServiceEntryApi api;
  private final ServiceEntryConverter converter;
  private final ServiceEntryRenderer renderer;
  private final ReportLog reportLog;
  // Object name -> the rejected object's hash and the report to repeat while it stands.
  private final Map<String, Rejection> rejected = new HashMap<>();
  private volatile MeshSinkStatus status = MeshSinkStatus.EMPTY;

  private record Rejection(String hash, MeshReport report) {}

  KubernetesMeshSink(MeshSinkConfig config, KubernetesClient client, boolean ownsClient,
      MeshSinkListener listener) {
    this.config = requireNonNull(config, "config");
    this.client = requireNonNull(client, "client");
    this.ownsClient = ownsClient;
    this.api = new ServiceEntryApi(client, config.apiVersion());
    this.converter = new ServiceEntryConverter(config);
    this.renderer = new ServiceEntryRenderer(config.namespace(), config.ownerId());
    this.reportLog = new ReportLog(NAME, requireNonNull(listener, "listener"));
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public MeshSinkStatus status() {
    return status;
  }

  @Override
  public SyncResult sync(DesiredState desired) throws Exception {
    ResourceDefinitionContext context = api.resolve();
    String apiVersion = context.getGroup() + "/" + context.getVersion();
    NonNamespaceOperation<GenericKubernetesResource, GenericKubernetesResourceList,
        Resource<GenericKubernetesResource>> objects =
        client.genericKubernetesResources(context).inNamespace(config.namespace());

    SortedMap<String, GenericKubernetesResource> actual = new TreeMap<>();
    for (GenericKubernetesResource object : listOrForget(objects, true)) {
      if (renderer.ownedByUs(object)) {
        actual.put(object.getMetadata().getName(), object);
      }
    }
    Map<String, String> currentAddresses = new HashMap<>();
    actual.values().forEach(o -> ServiceEntryRenderer.firstHost(o).ifPresent(host ->
        ServiceEntryRenderer.addressesOf(o).stream().findFirst()
            .ifPresent(a -> currentAddresses.put(host, a))));

    Conversion conversion = converter.convert(desired, currentAddresses);
    List<MeshReport> reports = new ArrayList<>(conversion.reports());
    SortedMap<String, GenericKubernetesResource> wanted = new TreeMap<>();
    Map<String, ServiceEntryModel> models = conversion.entries();
    models.forEach((name, entry) -> wanted.put(name, renderer.render(entry, apiVersion)));

    // Objects the API server refused stay untouched until their content changes.
    rejected.entrySet().removeIf(e -> !wanted.containsKey(e.getKey())
        || !e.getValue().hash().equals(ServiceEntryRenderer.hashOf(wanted.get(e.getKey()))));
    Set<String> keep = new HashSet<>(conversion.held());
    rejected.forEach((name, rejection) -> {
      reports.add(rejection.report());
      wanted.remove(name);
      keep.add(name);
    });

    Diff<GenericKubernetesResource> diff = Diff.between(wanted, actual,
        (want, have) -> ServiceEntryRenderer.hashOf(want).equals(ServiceEntryRenderer.hashOf(have)),
        desired.complete());

    int created = 0;
    int updated = 0;
    int deleted = 0;
    try {
      Foreign foreign = diff.create().isEmpty() ? Foreign.NONE : scanForeign(objects);
      for (GenericKubernetesResource want : diff.create().values()) {
        Optional<String> owner = foreign.ownerOf(want);
        if (owner.isPresent()) {
          reports.add(foreignReport(want, owner.get()));
          continue;
        }
        switch (write(objects, want, null, reports)) {
          case CREATED -> created++;
          case UPDATED -> updated++;
          case NONE -> { }
        }
      }
      for (GenericKubernetesResource want : diff.update().values()) {
        switch (write(objects, want, actual.get(want.getMetadata().getName()), reports)) {
          case CREATED -> created++;
          case UPDATED -> updated++;
          case NONE -> { }
        }
      }
      for (String name : diff.delete()) {
        if (!keep.contains(name) && delete(objects, actual.get(name))) {
          deleted++;
        }
      }
    } finally {
      reportLog.update(reports);
      status = new MeshSinkStatus(conversion.collisions().size(), reportLog.collisionsDetected(),
          conversion.held().size(), rejected.size(), reportLog.current());
    }
    return new SyncResult(created, updated, deleted);
  }

  private List<GenericKubernetesResource> listOrForget(NonNamespaceOperation<
      GenericKubernetesResource, GenericKubernetesResourceList,
      Resource<GenericKubernetesResource>> objects, boolean ownedOnly)
      throws IstioNotReadyException {
    try {
      GenericKubernetesResourceList list = ownedOnly
          ? objects.withLabels(renderer.ownerLabels()).list()
          : objects.list();
      return list.getItems();
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        api.forget();
        throw new IstioNotReadyException("listing ServiceEntry objects in namespace "
            + config.namespace() + " returned 404; the resource is no longer served");
      }
      throw e;
    }
  }

  private enum Outcome { CREATED, UPDATED, NONE }

  /**
   * Creates ({@code have == null}) or replaces an object, re-reading it on 409 and creating it
   * when it disappeared in between.
   */
  private Outcome write(NonNamespaceOperation<GenericKubernetesResource,
      GenericKubernetesResourceList, Resource<GenericKubernetesResource>> objects,
      GenericKubernetesResource want, GenericKubernetesResource have, List<MeshReport> reports) {
    String name = want.getMetadata().getName();
    GenericKubernetesResource current = have;
    for (int attempt = 1; ; attempt++) {
      try {
        if (current == null) {
          objects.resource(want).create();
          return Outcome.CREATED;
        }
        objects.resource(withResourceVersion(want, current)).update();
        return Outcome.UPDATED;
      } catch (KubernetesClientException e) {
        if (isPermanentRejection(e)) {
          MeshReport report = new MeshReport(MeshReport.Kind.REJECTED, serviceOf(want),
              "service '" + serviceOf(want) + "': the API server rejected ServiceEntry "
                  + config.namespace() + "/" + name + " (" + e.getCode() + "): " + reason(e)
                  + "; it is not sent again until the service changes");
          rejected.put(name, new Rejection(ServiceEntryRenderer.hashOf(want), report));
          reports.add(report);
          return Outcome.NONE;
        }
        boolean conflict = e.getCode() == 409;
        boolean vanished = e.getCode() == 404 && current != null;
        if (!(conflict || vanished) || attempt >= MAX_ATTEMPTS) {
          if (e.getCode() == 404) {
            api.forget(); // a create got 404: the resource or the namespace is gone
          }
          throw e;
        }
        log.debug("{}: {} on {}, reading it again", NAME, e.getCode(), name);
        current = vanished ? null : objects.withName(name).get();
        if (current != null && !renderer.ownedByUs(current)) {
          reports.add(foreignReport(want, ServiceEntryRenderer.ownerOf(current)));
          return Outcome.NONE;
        }
        if (current != null && ServiceEntryRenderer.hashOf(current)
            .equals(ServiceEntryRenderer.hashOf(want))) {
          return Outcome.NONE; // someone (another replica of us) already wrote the same
        }
      }
    }
  }

  private boolean delete(NonNamespaceOperation<GenericKubernetesResource,
      GenericKubernetesResourceList, Resource<GenericKubernetesResource>> objects,
      GenericKubernetesResource have) {
    String name = have.getMetadata().getName();
    try {
      // The precondition makes sure the object deleted is the one listed as ours.
      objects.withName(name).lockResourceVersion(have.getMetadata().getResourceVersion())
          .delete();
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404 || e.getCode() == 409) {
        return false; // gone already, or changed since the list: the next sync decides again
      }
      throw e;
    }
  }

  /** Objects in the namespace that are not ours, by name and by host. */
  private Foreign scanForeign(NonNamespaceOperation<GenericKubernetesResource,
      GenericKubernetesResourceList, Resource<GenericKubernetesResource>> objects)
      throws IstioNotReadyException {
    Foreign foreign = new Foreign(new HashMap<>(), new HashMap<>());
    for (GenericKubernetesResource object : listOrForget(objects, false)) {
      if (renderer.ownedByUs(object)) {
        continue;
      }
      String owner = ServiceEntryRenderer.ownerOf(object);
      String name = object.getMetadata().getName();
      foreign.byName().put(name, owner);
      for (String host : ServiceEntryRenderer.hostsOf(object)) {
        foreign.byHost().putIfAbsent(host, "ServiceEntry " + name + " of " + owner);
      }
    }
    return foreign;
  }

  private record Foreign(Map<String, String> byName, Map<String, String> byHost) {
    static final Foreign NONE = new Foreign(Map.of(), Map.of());

    Optional<String> ownerOf(GenericKubernetesResource want) {
      String byNameOwner = byName.get(want.getMetadata().getName());
      if (byNameOwner != null) {
        return Optional.of("an object of the same name owned by " + byNameOwner);
      }
      return ServiceEntryRenderer.firstHost(want).map(byHost::get);
    }
  }

  private MeshReport foreignReport(GenericKubernetesResource want, String owner) {
    String host = ServiceEntryRenderer.firstHost(want).orElse("?");
    return new MeshReport(MeshReport.Kind.FOREIGN_OWNER, serviceOf(want), "service '"
        + serviceOf(want) + "': host " + host + " in namespace " + config.namespace()
        + " is already held by " + owner + "; it is left alone and nothing is written for it");
  }

  private static GenericKubernetesResource withResourceVersion(GenericKubernetesResource want,
      GenericKubernetesResource have) {
    GenericKubernetesResource copy = new GenericKubernetesResource();
    copy.setApiVersion(want.getApiVersion());
    copy.setKind(want.getKind());
    copy.setMetadata(new ObjectMetaBuilder(want.getMetadata())
        .withResourceVersion(have.getMetadata().getResourceVersion()).build());
    copy.setAdditionalProperties(new HashMap<>(want.getAdditionalProperties()));
    return copy;
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

  private static String serviceOf(GenericKubernetesResource object) {
    Map<String, String> annotations = object.getMetadata().getAnnotations();
    return annotations == null ? object.getMetadata().getName()
        : annotations.getOrDefault(ServiceEntryRenderer.SERVICE_ANNOTATION,
            object.getMetadata().getName());
  }

  @Override
  public void close() {
    if (ownsClient) {
      try {
        client.close();
      } catch (RuntimeException e) {
        log.debug("{}: closing the Kubernetes client failed", NAME, e);
      }
    }
  }
}
