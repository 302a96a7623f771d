package io.registrybridge.source.kubernetes;

import io.fabric8.kubernetes.api.model.APIResourceBuilder;
import io.fabric8.kubernetes.api.model.APIResourceListBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.util.List;
import java.util.Map;

/**
 * Kubernetes objects as a person creates them by hand on an API server without controllers:
 * every object complete, nothing left for a controller to fill in. Writes use create-or-update,
 * which a real API server and the CRUD mock server both accept.
 */
public final class KubernetesFixtures {
  public static final String NS = "shop";

  private KubernetesFixtures() {}

  /**
   * Makes the mock server's discovery list {@code endpointslices} in {@code discovery.k8s.io/v1}
   * as a real API server does; without it the CRUD mock answers with an empty list, which is
   * what an API server without EndpointSlices looks like to the source.
   */
  public static void serveEndpointSlices(KubernetesMockServer server) {
    server.expect().get().withPath("/apis/discovery.k8s.io/v1")
        .andReturn(200, new APIResourceListBuilder().withGroupVersion("discovery.k8s.io/v1")
            .withResources(new APIResourceBuilder().withName("endpointslices")
                .withKind("EndpointSlice").withNamespaced(true)
                .withVerbs("get", "list", "watch").build())
            .build())
        .always();
  }

  public static ServicePort port(String name, int port, int targetPort) {
    return new ServicePortBuilder().withName(name).withPort(port).withProtocol("TCP")
        .withNewTargetPort(targetPort).build();
  }

  public static Service service(String name, Map<String, String> annotations,
      ServicePort... ports) {
    return new ServiceBuilder().withNewMetadata().withNamespace(NS).withName(name)
        .withAnnotations(annotations).endMetadata()
        .withNewSpec().withType("ClusterIP").withPorts(ports).endSpec().build();
  }

  public static EndpointPort slicePort(String name, int port) {
    return new EndpointPortBuilder().withName(name).withPort(port).withProtocol("TCP").build();
  }

  /** A ready endpoint of a Pod on node-1. */
  public static Endpoint endpoint(String address, String pod) {
    return endpoint(address, pod, true, false);
  }

  public static Endpoint endpoint(String address, String pod, boolean ready,
      boolean terminating) {
    return new EndpointBuilder().withAddresses(address).withNodeName("node-1")
        .withNewConditions().withReady(ready).withServing(true).withTerminating(terminating)
        .endConditions()
        .withNewTargetRef().withKind("Pod").withNamespace(NS).withName(pod).endTargetRef()
        .build();
  }

  public static EndpointSlice slice(String service, String name, String addressType,
      List<EndpointPort> ports, Endpoint... endpoints) {
    return new EndpointSliceBuilder().withNewMetadata().withNamespace(NS).withName(name)
        .addToLabels("kubernetes.io/service-name", service).endMetadata()
        .withAddressType(addressType).withPorts(ports).withEndpoints(endpoints).build();
  }

  public static Pod pod(String name, Map<String, String> labels) {
    return new PodBuilder().withNewMetadata().withNamespace(NS).withName(name)
        .withLabels(labels).endMetadata()
        .withNewSpec().addNewContainer().withName("app").withImage("busybox:1.36")
        .endContainer().endSpec().build();
  }

  public static Node node(String name, String internalIp, String externalIp) {
    return new NodeBuilder().withNewMetadata().withName(name).endMetadata().withNewStatus()
        .addNewAddress().withType("InternalIP").withAddress(internalIp).endAddress()
        .addNewAddress().withType("ExternalIP").withAddress(externalIp).endAddress()
        .endStatus().build();
  }

  /** Creates or replaces any of the objects above. */
  public static void apply(KubernetesClient client, io.fabric8.kubernetes.api.model.HasMetadata
      object) {
    object.getMetadata().setResourceVersion(null);
    client.resource(object).createOr(NonDeletingOperation::update);
  }
}
