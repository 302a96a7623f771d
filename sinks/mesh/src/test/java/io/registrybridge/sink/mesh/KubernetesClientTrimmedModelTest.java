package io.registrybridge.sink.mesh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.api.model.EndpointsBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.PartialObjectMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Guard for the trimmed Kubernetes model: the fabric8 client works with only the model modules
 * the root pom lets through (see the exclusions on {@code kubernetes-client-api} there).
 *
 * <p>fabric8's API module depends on the model of every API group, about 10 MB of the runnable
 * jar, while this project uses the generic resource API (ServiceEntry) and, for the Kubernetes
 * source, core v1, {@code discovery.k8s.io/v1} EndpointSlices and {@code coordination.k8s.io/v1}
 * Leases. This test runs on the module's class path, which has the same trimmed model as the jar,
 * and exercises what the code loads: client construction from a kubeconfig (with an EC client
 * key), API discovery, typed core v1 objects, metadata-only lists, an EndpointSlice informer and
 * a Lease-based leader election. If a fabric8 upgrade starts loading a model group we exclude,
 * this fails with a {@code NoClassDefFoundError} naming it: add that module back in the root pom.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesClientTrimmedModelTest {
  private static final String NS = "registry-bridge";
  private static final Duration WAIT = Duration.ofSeconds(10);

  KubernetesClient client;

  @TempDir Path tmp;

  @Test
  void theClassPathHasTheTrimmedModel() {
    // Kept: core v1 (and the shared builder classes), discovery, coordination.
    assertThat(List.of(Service.class, EndpointSlice.class, Lease.class)).isNotEmpty();
    // Kept because the client itself loads them (see the root pom): apps, batch, extensions,
    // certificates are registered as handlers when every client is built; autoscaling's Scale is
    // in BaseOperation's method signatures, which every list resolves.
    for (String kept : List.of("io.fabric8.kubernetes.api.model.apps.Deployment",
        "io.fabric8.kubernetes.api.model.autoscaling.v1.Scale",
        "io.fabric8.kubernetes.api.model.batch.v1.Job",
        "io.fabric8.kubernetes.api.model.extensions.Ingress",
        "io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest")) {
      assertThat(loadable(kept)).as(kept).isTrue();
    }
    // A sample of every excluded module (apiextensions is on the test class path only, for the
    // mock server's CRD handling and IstioCrds).
    for (String excluded : List.of(
        "io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhook",
        "io.fabric8.kubernetes.api.model.authentication.TokenReview",
        "io.fabric8.kubernetes.api.model.events.v1.Event",
        "io.fabric8.kubernetes.api.model.flowcontrol.v1.FlowSchema",
        "io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute",
        "io.fabric8.kubernetes.api.model.metrics.v1beta1.PodMetrics",
        "io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy",
        "io.fabric8.kubernetes.api.model.node.v1.RuntimeClass",
        "io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget",
        "io.fabric8.kubernetes.api.model.rbac.Role",
        "io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim",
        "io.fabric8.kubernetes.api.model.scheduling.v1.PriorityClass",
        "io.fabric8.kubernetes.api.model.storage.StorageClass")) {
      assertThat(loadable(excluded)).as(excluded + " should be excluded").isFalse();
    }
  }

  private static boolean loadable(String className) {
    try {
      Class.forName(className, false, KubernetesClientTrimmedModelTest.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  @Test
  void buildsAClientFromAKubeconfigWithAnEcKeyAndDiscoversApis() throws Exception {
    // The client reads the key while it is built (k3s writes EC keys); fabric8 parses
    // them itself, without Bouncy Castle, which this class path does not have. The key and its
    // self-signed certificate were made for this test only (openssl ecparam, openssl req -x509).
    IstioCrds.installServiceEntry(client, "v1");
    Path kubeconfig = tmp.resolve("kubeconfig");
    Files.writeString(kubeconfig, """
        apiVersion: v1
        kind: Config
        clusters:
        - name: mock
          cluster:
            server: %s
            insecure-skip-tls-verify: true
        users:
        - name: bridge
          user:
            client-certificate-data: %s
            client-key-data: %s
        contexts:
        - name: trimmed
          context: {cluster: mock, user: bridge, namespace: %s}
        current-context: trimmed
        """.formatted(client.getConfiguration().getMasterUrl(), base64("client-ec.crt"),
        base64("client-ec.key"), NS));
    String previous = System.setProperty("kubeconfig", kubeconfig.toString());
    try (KubernetesClient fromKubeconfig = MeshSinks.kubernetesClient(Optional.of("trimmed"))) {
      assertThat(fromKubeconfig.getNamespace()).isEqualTo(NS);
      APIResourceList served = fromKubeconfig.getApiResources("networking.istio.io/v1");
      assertThat(served.getResources()).extracting(r -> r.getName()).contains("serviceentries");
      assertThat(new ServiceEntryApi(fromKubeconfig, IstioApiVersion.AUTO).resolve().getVersion())
          .isEqualTo("v1");
    } finally {
      if (previous == null) {
        System.clearProperty("kubeconfig");
      } else {
        System.setProperty("kubeconfig", previous);
      }
    }
    // And the plain builder, as a future source would call it.
    try (KubernetesClient built = new KubernetesClientBuilder()
        .withConfig(client.getConfiguration()).build()) {
      assertThat(built.getApiGroups()).isNotNull();
    }
  }

  private static String base64(String resource) throws IOException {
    try (InputStream in = KubernetesClientTrimmedModelTest.class
        .getResourceAsStream("/kubeconfig/" + resource)) {
      return Base64.getEncoder().encodeToString(in.readAllBytes());
    }
  }

  @Test
  void coreV1ObjectsAreTypedAndPodMetadataListsWork() {
    Namespace namespace = client.namespaces().resource(new NamespaceBuilder().withNewMetadata()
        .withName(NS).endMetadata().build()).create();
    assertThat(namespace.getMetadata().getName()).isEqualTo(NS);
    client.nodes().resource(new NodeBuilder().withNewMetadata().withName("node-1").endMetadata()
        .withNewStatus().addNewAddress().withType("InternalIP").withAddress("10.0.0.1")
        .endAddress().endStatus().build()).create();
    client.services().inNamespace(NS).resource(new ServiceBuilder().withNewMetadata()
        .withName("web").endMetadata().withNewSpec().addNewPort().withName("http").withPort(80)
        .endPort().endSpec().build()).create();
    client.endpoints().inNamespace(NS).resource(new EndpointsBuilder().withNewMetadata()
        .withName("web").endMetadata().addNewSubset().addNewAddress().withIp("10.1.0.1")
        .endAddress().addNewPort().withPort(8080).endPort().endSubset().build()).create();
    client.pods().inNamespace(NS).resource(new PodBuilder().withNewMetadata().withName("web-1")
        .addToLabels("app", "web").addToAnnotations("registry-bridge.io/port", "8080")
        .endMetadata().withNewSpec().addNewContainer().withName("web").withImage("busybox")
        .endContainer().endSpec().build()).create();

    assertThat(client.nodes().list().getItems()).singleElement()
        .satisfies(n -> assertThat(n.getStatus().getAddresses().get(0).getAddress())
            .isEqualTo("10.0.0.1"));
    assertThat(client.services().inAnyNamespace().list().getItems()).extracting(Service::getKind)
        .containsExactly("Service");
    assertThat(client.endpoints().inNamespace(NS).withName("web").get().getSubsets()).hasSize(1);
    List<PartialObjectMetadata> pods = client.pods().inAnyNamespace().withLabel("app", "web")
        .listAsPartialObjectMetadata().getItems();
    assertThat(pods).singleElement().satisfies(p -> assertThat(
        p.getMetadata().getAnnotations()).containsEntry("registry-bridge.io/port", "8080"));
    assertThat(client.pods().inNamespace(NS).withName("web-1").getAsPartialObjectMetadata()
        .getMetadata().getLabels()).containsEntry("app", "web");
    try (SharedIndexInformer<Pod> informer = client.pods().inAnyNamespace().inform()) {
      assertThat(informer.getStore().list()).extracting(p -> p.getMetadata().getName())
          .containsExactly("web-1");
      // Closing before the watch is up leaves a connection the mock server waits for.
      await().atMost(WAIT).until(informer::isWatching);
    }

    // Deserialization picks the typed classes by apiVersion and kind (the ServiceLoader registry
    // the shade plugin's ServicesResourceTransformer keeps); an excluded kind stays generic.
    assertThat(unmarshal("discovery.k8s.io/v1", "EndpointSlice")).isInstanceOf(EndpointSlice.class);
    assertThat(unmarshal("coordination.k8s.io/v1", "Lease")).isInstanceOf(Lease.class);
    assertThat(unmarshal("v1", "Pod")).isInstanceOf(Pod.class);
    assertThat(unmarshal("rbac.authorization.k8s.io/v1", "Role"))
        .isInstanceOf(GenericKubernetesResource.class);
  }

  private HasMetadata unmarshal(String apiVersion, String kind) {
    return client.getKubernetesSerialization().unmarshal("""
        {"apiVersion": "%s", "kind": "%s", "metadata": {"name": "x", "namespace": "%s"}}
        """.formatted(apiVersion, kind, NS), HasMetadata.class);
  }

  @Test
  void anEndpointSliceInformerDeliversTypedObjects() throws Exception {
    client.discovery().v1().endpointSlices().inNamespace(NS).resource(slice("web-abc", "10.1.0.1"))
        .create();
    BlockingQueue<String> events = new LinkedBlockingQueue<>();
    ResourceEventHandler<EndpointSlice> handler = new ResourceEventHandler<>() {
      @Override
      public void onAdd(EndpointSlice slice) {
        events.add("add " + slice.getMetadata().getName() + " "
            + slice.getEndpoints().get(0).getAddresses());
      }

      @Override
      public void onUpdate(EndpointSlice before, EndpointSlice after) {
        events.add("update " + after.getMetadata().getName() + " "
            + after.getEndpoints().get(0).getAddresses());
      }

      @Override
      public void onDelete(EndpointSlice slice, boolean finalStateUnknown) {
        events.add("delete " + slice.getMetadata().getName());
      }
    };
    try (SharedIndexInformer<EndpointSlice> informer = client.discovery().v1().endpointSlices()
        .inAnyNamespace().withLabel("kubernetes.io/service-name", "web").inform(handler, 0)) {
      assertThat(next(events)).isEqualTo("add web-abc [10.1.0.1]");
      client.discovery().v1().endpointSlices().inNamespace(NS)
          .resource(slice("web-def", "10.1.0.2")).create();
      assertThat(next(events)).isEqualTo("add web-def [10.1.0.2]");
      client.discovery().v1().endpointSlices().inNamespace(NS).withName("web-def").delete();
      assertThat(next(events)).isEqualTo("delete web-def");
      assertThat(informer.getStore().list()).extracting(s -> s.getMetadata().getName())
          .containsExactly("web-abc");
    }
  }

  private static EndpointSlice slice(String name, String address) {
    return new EndpointSliceBuilder().withNewMetadata().withName(name).withNamespace(NS)
        .addToLabels("kubernetes.io/service-name", "web").endMetadata()
        .withAddressType("IPv4")
        .addNewEndpoint().withAddresses(address).withNewConditions().withReady(true)
        .endConditions().endEndpoint()
        .addNewPort().withName("http").withPort(8080).withProtocol("TCP").endPort()
        .build();
  }

  private static String next(BlockingQueue<String> events) throws InterruptedException {
    String event = events.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(event).as("an informer event within " + WAIT).isNotNull();
    return event;
  }

  @Test
  void aLeaseLeaderElectorLeadsAndStepsDown() throws Exception {
    CountDownLatch leading = new CountDownLatch(1);
    CountDownLatch stopped = new CountDownLatch(1);
    AtomicReference<String> leader = new AtomicReference<>();
    CompletableFuture<?> election = client.leaderElector().withConfig(
        new LeaderElectionConfigBuilder().withName("registry-bridge")
            .withLock(new LeaseLock(NS, "registry-bridge", "bridge-1"))
            .withLeaseDuration(Duration.ofSeconds(15)).withRenewDeadline(Duration.ofSeconds(10))
            .withRetryPeriod(Duration.ofMillis(200))
            .withLeaderCallbacks(new LeaderCallbacks(leading::countDown, stopped::countDown,
                leader::set))
            .withReleaseOnCancel(true).build())
        .build().start();
    try {
      assertThat(leading.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("leading").isTrue();
      assertThat(leader.get()).isEqualTo("bridge-1");
      Lease lease = client.leases().inNamespace(NS).withName("registry-bridge").get();
      assertThat(lease.getSpec().getHolderIdentity()).isEqualTo("bridge-1");
    } finally {
      election.cancel(true);
    }
    assertThat(stopped.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("stopped leading").isTrue();
    assertThatThrownBy(election::join).isInstanceOf(java.util.concurrent.CancellationException.class);
  }
}
