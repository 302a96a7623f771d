package io.registrybridge.sink.mesh;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds which version of {@code networking.istio.io} serves ServiceEntry, by API discovery, and
 * remembers it until the API server says it is gone. {@code v1} is served from Istio 1.22 on,
 * {@code v1beta1} from 1.5 (or so) on, and the oldest control planes (Istio 1.1 to 1.4) serve only
 * {@code v1alpha3}. All of them hold the same objects with the same spec, so switching versions
 * does not rewrite anything.
 */
final class ServiceEntryApi {
  private static final Logger log = LoggerFactory.getLogger(ServiceEntryApi.class);
  static final String PLURAL = "serviceentries";

  private final KubernetesClient client;
  private final IstioApiVersion preference;
  private ResourceDefinitionContext current;

  ServiceEntryApi(KubernetesClient client, IstioApiVersion preference) {
    this.client = requireNonNull(client, "client");
    this.preference = requireNonNull(preference, "preference");
  }

  /**
   * The ServiceEntry resource to use.
   *
   * @throws IstioNotReadyException when no wanted version is served, typically because Istio is
   *     not installed yet
   */
  ResourceDefinitionContext resolve() throws IstioNotReadyException {
    if (current != null) {
      return current;
    }
    List<String> candidates = preference.version().map(List::of)
        .orElse(IstioApiVersion.DISCOVERY_ORDER);
    List<String> tried = new ArrayList<>();
    for (String version : candidates) {
      String groupVersion = IstioApiVersion.GROUP + "/" + version;
      tried.add(groupVersion);
      APIResourceList resources = client.getApiResources(groupVersion);
      boolean served = resources != null && resources.getResources() != null
          && resources.getResources().stream().anyMatch(r -> PLURAL.equals(r.getName()));
      if (served) {
        current = new ResourceDefinitionContext.Builder().withGroup(IstioApiVersion.GROUP)
            .withVersion(version).withPlural(PLURAL).withKind(ServiceEntryRenderer.KIND)
            .withNamespaced(true).build();
        log.info("writing ServiceEntry as {}", groupVersion);
        return current;
      }
    }
    throw new IstioNotReadyException("the API server does not serve ServiceEntry ("
        + String.join(", ", tried) + "); is Istio installed?");
  }

  /** Forgets the version, so the next {@link #resolve} asks the API server again. */
  void forget() {
    current = null;
  }
}
