package io.registrybridge.source.kubernetes;

import io.registrybridge.core.LogCapture;
import static io.registrybridge.source.kubernetes.KubernetesFixtures.NS;
import static io.registrybridge.source.kubernetes.KubernetesFixtures.apply;
import static io.registrybridge.source.kubernetes.KubernetesFixtures.endpoint;
import static io.registrybridge.source.kubernetes.KubernetesFixtures.pod;
import static io.registrybridge.source.kubernetes.KubernetesFixtures.port;
import static io.registrybridge.source.kubernetes.KubernetesFixtures.service;
import static io.registrybridge.source.kubernetes.KubernetesFixtures.slice;
import static io.registrybridge.source.kubernetes.KubernetesFixtures.slicePort;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.EndpointsBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.registrybridge.core.DesiredIndex;
import io.registrybridge.core.Placement;
import io.registrybridge.core.Protocol;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.Transport;
import io.registrybridge.retry.RetryPolicy;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The source against fabric8's mock API server in CRUD mode, with objects created by hand as on
 * an API server without controllers.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesSourceTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  KubernetesMockServer server;
  KubernetesClient client;
  private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
  private final DesiredIndex index = new DesiredIndex(Set.of("kubernetes"));
  private final AtomicInteger gaveUp = new AtomicInteger();
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private KubernetesSource source;

  @AfterEach
  void tearDown() {
    if (source != null) {
      source.close();
    }
    executor.shutdown();
  }

  private void start(KubernetesClient using) {
    start(using, WAIT);
  }

  private void start(KubernetesClient using, Duration bound) {
    source = new KubernetesSource(using, KubernetesSourceConfig.defaults("cluster-1"),
        RetryPolicy.forever(Duration.ofMillis(50), Duration.ofMillis(200)), executor,
        gaveUp::incrementAndGet, meters);
    source.start(index.listenerFor("kubernetes"));
    await().atMost(bound).until(index::complete);
  }

  private Map<String, ServiceInstance> instances() {
    return new TreeMap<>(index.snapshot().services());
  }

  @Test
  void eachServiceSaysWhatItGaveOrWhyNothingForTheDebugPage() {
    KubernetesFixtures.serveEndpointSlices(server);
    webWithOnePod();
    start(client);
    apply(client, service("web", Map.of("registry-bridge.io/protocol", "grpc",
        "kubectl.kubernetes.io/last-applied-configuration", "{}"), port("http", 80, 8080)));
    await().atMost(WAIT).until(() -> source.objects().stream().anyMatch(
        o -> o.attributes().containsKey("registry-bridge.io/protocol")));
    assertThat(source.objects()).singleElement().satisfies(o -> {
      assertThat(o.origin()).isEqualTo("kubernetes:shop/web");
      assertThat(o.object()).isEqualTo("Service shop/web (slices web-abc)");
      assertThat(o.attributes()).containsExactly(Map.entry("registry-bridge.io/protocol",
          "grpc"));
      assertThat(o.ignored()).isEmpty();
    });

    apply(client, service("web", Map.of("consul.hashicorp.com/service-sync", "false"),
        port("http", 80, 8080)));
    await().atMost(WAIT).until(() -> source.objects().stream()
        .anyMatch(o -> o.ignored().isPresent()));
    assertThat(source.objects()).singleElement().satisfies(o ->
        assertThat(o.ignored()).isPresent());
  }

  private void webWithOnePod() {
    apply(client, pod("web-1", Map.of("app", "web", "version", "v1")));
    apply(client, service("web", Map.of(), port("http", 80, 8080)));
    apply(client, slice("web", "web-abc", "IPv4", List.of(slicePort("http", 8080)),
        endpoint("10.1.0.1", "web-1")));
  }

  @Test
  void aServiceWithReadyEndpointsBecomesOneInstancePerAddressWithExactMetadata() {
    KubernetesFixtures.serveEndpointSlices(server);
    webWithOnePod();
    start(client);

    assertThat(source.usesEndpointSlices()).isTrue();
    assertThat(instances()).containsOnlyKeys("cluster-1:shop.web:10.1.0.1:80");
    ServiceInstance web = instances().get("cluster-1:shop.web:10.1.0.1:80");
    assertThat(web).isEqualTo(ServiceInstance.builder("cluster-1:shop.web:10.1.0.1:80", "web")
        .address("10.1.0.1").port(8080).targetPort(80).transport(Transport.TCP)
        .protocol(Protocol.HTTP)
        .tags(List.of("app|web", "version|v1", "k8s"))
        .meta(Map.of("external-source", "kubernetes", "external-k8s-ns", NS,
            "external-k8s-service", "web", "external-k8s-ref-kind", "Pod",
            "external-k8s-ref-name", "web-1", "external-k8s-node-name", "node-1",
            "port-http", "80", "app", "web", "version", "v1"))
        .origin("kubernetes:shop/web").placement(Placement.ELSEWHERE).node("k8s-sync")
        .source("kubernetes").build());
  }

  /**
   * The caches keep only what the source reads (a Pod's app and version labels, a Node's
   * addresses, a Service's annotations, type, ports and addresses, a slice's labels, ports and
   * endpoints), and what the source reads from them still gives the same instances: the Node and
   * the NodePort Service below are read back from the trimmed caches at the first listing.
   */
  @Test
  void theCachesKeepOnlyTheFieldsTheSourceReadsAndChangesStillFlow() {
    KubernetesFixtures.serveEndpointSlices(server);
    apply(client, new io.fabric8.kubernetes.api.model.PodBuilder(pod("web-1",
        Map.of("app", "web", "version", "v1", "pod-template-hash", "abc123")))
        .editSpec().editFirstContainer().addNewEnv().withName("MODE").withValue("x").endEnv()
        .endContainer().endSpec().withNewStatus().withPhase("Running").withPodIP("10.1.0.1")
        .endStatus().build());
    apply(client, new io.fabric8.kubernetes.api.model.NodeBuilder(KubernetesFixtures.node(
        "node-1", "10.0.0.1", "203.0.113.1")).editStatus().addNewImage()
        .withNames("registry.example/app:1").withSizeBytes(1000L).endImage()
        .withNewNodeInfo().withKubeletVersion("v1.28.0").endNodeInfo().endStatus().build());
    var nodePort = port("http", 80, 8080);
    nodePort.setNodePort(30080);
    apply(client, new io.fabric8.kubernetes.api.model.ServiceBuilder(service("web", Map.of(),
        nodePort)).editSpec().withType("NodePort").addToSelector("app", "web")
        .withClusterIP("10.96.0.10").endSpec().build());
    apply(client, new io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder(
        slice("web", "web-abc", "IPv4", List.of(slicePort("http", 8080)),
            endpoint("10.1.0.1", "web-1"))).editMetadata().addToAnnotations("note", "x")
        .endMetadata().build());
    start(client);

    assertThat(instances().values()).extracting(ServiceInstance::address, ServiceInstance::port)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("203.0.113.1", 30080));
    Map<String, io.fabric8.kubernetes.api.model.HasMetadata> cached = new TreeMap<>();
    source.cached().forEach(o -> cached.put(o.getKind(), o));
    assertThat(cached).containsOnlyKeys("Pod", "Node", "Service", "EndpointSlice");
    var cachedPod = (io.fabric8.kubernetes.api.model.Pod) cached.get("Pod");
    assertThat(cachedPod.getMetadata().getLabels()).containsExactlyInAnyOrderEntriesOf(
        Map.of("app", "web", "version", "v1"));
    assertThat(cachedPod.getSpec()).isNull();
    assertThat(cachedPod.getStatus()).isNull();
    var cachedNode = (io.fabric8.kubernetes.api.model.Node) cached.get("Node");
    assertThat(cachedNode.getStatus().getAddresses()).hasSize(2);
    assertThat(cachedNode.getStatus().getImages()).isNullOrEmpty();
    assertThat(cachedNode.getStatus().getNodeInfo()).isNull();
    var cachedService = (io.fabric8.kubernetes.api.model.Service) cached.get("Service");
    assertThat(cachedService.getSpec().getPorts()).singleElement()
        .satisfies(p -> assertThat(p.getNodePort()).isEqualTo(30080));
    assertThat(cachedService.getSpec().getSelector()).isNullOrEmpty();
    assertThat(cachedService.getSpec().getClusterIP()).isNull();
    assertThat(cached.get("EndpointSlice").getMetadata().getAnnotations()).isNullOrEmpty();

    // A label change still flows, through a ClusterIP Service whose tags carry the Pod's labels.
    apply(client, service("web", Map.of(), port("http", 80, 8080)));
    await().atMost(WAIT).until(() -> instances().containsKey("cluster-1:shop.web:10.1.0.1:80"));
    apply(client, pod("web-1", Map.of("app", "web", "version", "v2")));
    await().atMost(WAIT).until(() -> instances().get("cluster-1:shop.web:10.1.0.1:80").tags()
        .contains("version|v2"));
    assertThat(instances().get("cluster-1:shop.web:10.1.0.1:80").tags())
        .containsExactly("app|web", "version|v2", "k8s");
  }

  @Test
  void scalingAndDeletingAreFollowed() {
    KubernetesFixtures.serveEndpointSlices(server);
    webWithOnePod();
    start(client);

    apply(client, pod("web-2", Map.of("app", "web", "version", "v2")));
    apply(client, slice("web", "web-abc", "IPv4", List.of(slicePort("http", 8080)),
        endpoint("10.1.0.1", "web-1"), endpoint("10.1.0.2", "web-2")));
    await().atMost(WAIT).until(() -> instances().size() == 2);
    assertThat(instances().get("cluster-1:shop.web:10.1.0.2:80").tags())
        .containsExactly("app|web", "version|v2", "k8s");

    apply(client, slice("web", "web-abc", "IPv4", List.of(slicePort("http", 8080)),
        endpoint("10.1.0.2", "web-2")));
    await().atMost(WAIT).until(() -> instances().keySet()
        .equals(Set.of("cluster-1:shop.web:10.1.0.2:80")));

    client.discovery().v1().endpointSlices().inNamespace(NS).withName("web-abc").delete();
    client.services().inNamespace(NS).withName("web").delete();
    await().atMost(WAIT).until(() -> instances().isEmpty());
  }

  @Test
  void onlyReadyEndpointsAreRegisteredAndTerminatingOnesLeave() {
    KubernetesFixtures.serveEndpointSlices(server);
    webWithOnePod();
    apply(client, pod("web-2", Map.of("app", "web")));
    apply(client, slice("web", "web-abc", "IPv4", List.of(slicePort("http", 8080)),
        endpoint("10.1.0.1", "web-1"), endpoint("10.1.0.2", "web-2", false, false)));
    start(client);
    assertThat(instances()).containsOnlyKeys("cluster-1:shop.web:10.1.0.1:80");

    apply(client, slice("web", "web-abc", "IPv4", List.of(slicePort("http", 8080)),
        endpoint("10.1.0.1", "web-1", false, true), endpoint("10.1.0.2", "web-2")));
    await().atMost(WAIT).until(() -> instances().keySet()
        .equals(Set.of("cluster-1:shop.web:10.1.0.2:80")));
  }

  @Test
  void annotationsRenameIgnoreAndSetTheProtocol() {
    KubernetesFixtures.serveEndpointSlices(server);
    webWithOnePod();
    start(client);

    apply(client, service("web", Map.of("registry-bridge.io/name", "storefront",
        "registry-bridge.io/protocol", "grpc"), port("http", 80, 8080)));
    await().atMost(WAIT).until(() -> instances().values().stream()
        .anyMatch(i -> i.name().equals("storefront")));
    assertThat(instances().values()).singleElement().satisfies(i -> {
      assertThat(i.name()).isEqualTo("storefront");
      assertThat(i.protocol()).contains(Protocol.GRPC);
    });

    apply(client, service("web", Map.of("consul.hashicorp.com/service-sync", "false"),
        port("http", 80, 8080)));
    await().atMost(WAIT).until(() -> instances().isEmpty());

    apply(client, service("web", Map.of("consul.hashicorp.com/service-name", "shop-web"),
        port("http", 80, 8080)));
    await().atMost(WAIT).until(() -> instances().values().stream()
        .anyMatch(i -> i.name().equals("shop-web")));
  }

  @Test
  void twoSlicesOfOneServiceAndBothAddressFamiliesAreMerged() {
    KubernetesFixtures.serveEndpointSlices(server);
    webWithOnePod();
    apply(client, slice("web", "web-v6", "IPv6", List.of(slicePort("http", 8080)),
        endpoint("fd00::1", "web-1")));
    apply(client, slice("web", "web-def", "IPv4", List.of(slicePort("http", 8080)),
        endpoint("10.1.0.1", "web-1"), endpoint("10.1.0.3", "web-3")));
    start(client);

    assertThat(instances()).containsOnlyKeys("cluster-1:shop.web:10.1.0.1:80",
        "cluster-1:shop.web:10.1.0.3:80", "cluster-1:shop.web:fd00::1:80");

    client.discovery().v1().endpointSlices().inNamespace(NS).withName("web-def").delete();
    await().atMost(WAIT).until(() -> instances().keySet().equals(Set.of(
        "cluster-1:shop.web:10.1.0.1:80", "cluster-1:shop.web:fd00::1:80")));
  }

  @Test
  void withoutEndpointSlicesV1EndpointsAreRead() {
    // No discovery expectation: the API server lists no endpointslices.
    apply(client, pod("web-1", Map.of("app", "web", "version", "v1")));
    apply(client, service("web", Map.of(), port("http", 80, 8080)));
    apply(client, new EndpointsBuilder().withNewMetadata().withNamespace(NS).withName("web")
        .endMetadata().addNewSubset()
        .addNewAddress().withIp("10.1.0.1").withNodeName("node-1").withNewTargetRef()
        .withKind("Pod").withNamespace(NS).withName("web-1").endTargetRef().endAddress()
        .addNewNotReadyAddress().withIp("10.1.0.9").endNotReadyAddress()
        .addNewPort().withName("http").withPort(8080).withProtocol("TCP").endPort()
        .endSubset().build());
    start(client);

    assertThat(source.usesEndpointSlices()).isFalse();
    assertThat(instances()).containsOnlyKeys("cluster-1:shop.web:10.1.0.1:80");
    assertThat(instances().get("cluster-1:shop.web:10.1.0.1:80").tags())
        .containsExactly("app|web", "version|v1", "k8s");
  }

  /**
   * The first watch on EndpointSlices answers 410 Gone, as an API server does when the resource
   * version was compacted; a slice created between the listing and the watch must still arrive,
   * which only a new listing can give. (fabric8 stops an informer whose first watch fails; the
   * source then starts every informer again, and lists again.)
   */
  @Test
  void aWatchThatEndsWith410ListsAgainAndMissesNothing() {
    KubernetesFixtures.serveEndpointSlices(server);
    webWithOnePod();
    server.expect().get().withPath("/gone").andReturn(410, new StatusBuilder()
        .withStatus("Failure").withCode(410).withReason("Expired")
        .withMessage("too old resource version").build()).always();
    AtomicBoolean gone = new AtomicBoolean();
    KubernetesClient expiring = server.createClient(b -> b.withHttpClientBuilderConsumer(
        http -> http.addOrReplaceInterceptor("expire", new Interceptor() {
          @Override
          public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
            String uri = request.uri().toString();
            if (uri.contains("/endpointslices?") && uri.contains("watch=true")
                && gone.compareAndSet(false, true)) {
              apply(client, slice("web", "web-late", "IPv4", List.of(slicePort("http", 8080)),
                  endpoint("10.1.0.7", "web-7")));
              builder.uri(URI.create(uri.substring(0, uri.indexOf("/apis/")) + "/gone"));
            }
          }
        })));
    try {
      start(expiring);
      await().atMost(WAIT).until(() -> instances().containsKey(
          "cluster-1:shop.web:10.1.0.7:80"));
      assertThat(gone).isTrue();

      // And the watch that follows works.
      apply(client, slice("web", "web-late", "IPv4", List.of(slicePort("http", 8080))));
      await().atMost(WAIT).until(() -> instances().keySet()
          .equals(Set.of("cluster-1:shop.web:10.1.0.1:80")));
    } finally {
      source.close();
      source = null;
      expiring.close();
    }
  }

  @Test
  void anApiServerThatFailsAtStartIsRetriedAndNothingIsReportedBefore() {
    server.expect().get().withPath("/apis/discovery.k8s.io/v1").andReturn(503, "").times(3);
    KubernetesFixtures.serveEndpointSlices(server);
    webWithOnePod();
    // fabric8 retries a 503 by itself; without that each 503 is one failed attempt here.
    KubernetesClient impatient = server.createClient(b -> b.editOrNewConfig()
        .withRequestRetryBackoffLimit(0).endConfig());
    source = new KubernetesSource(impatient, KubernetesSourceConfig.defaults("cluster-1"),
        new RetryPolicy(1, io.registrybridge.retry.Backoff.exponential(Duration.ofMillis(50),
            Duration.ofMillis(100))), executor, gaveUp::incrementAndGet, meters);
    source.start(index.listenerFor("kubernetes"));

    await().atMost(WAIT).until(index::complete);
    assertThat(instances()).containsOnlyKeys("cluster-1:shop.web:10.1.0.1:80");
    assertThat(gaveUp).hasValue(1);
    source.close();
    source = null;
    impatient.close();
  }

  private double itemFailures() {
    return meters.counter("registry.bridge.source.item.failures", "source", "kubernetes")
        .count();
  }

  /**
   * A normalizer that throws for one Service (a bug) stops neither the first listing, nor the
   * other Services, nor later events; the Service is named in one ERROR, counted, keeps what it
   * last reported, and is normalized again on its next event.
   */
  @Test
  void aServiceWhoseNormalizationThrowsIsNamedCountedAndSkippedWhileTheOthersFlow() {
    KubernetesFixtures.serveEndpointSlices(server);
    webWithOnePod();
    apply(client, pod("api-1", Map.of("app", "api")));
    apply(client, service("api", Map.of(), port("http", 80, 8080)));
    apply(client, slice("api", "api-abc", "IPv4", List.of(slicePort("http", 8080)),
        endpoint("10.2.0.1", "api-1")));
    KubernetesSourceConfig config = KubernetesSourceConfig.defaults("cluster-1");
    EndpointNormalizer real = new EndpointNormalizer(config);
    AtomicReference<String> broken = new AtomicReference<>("api");
    source = new KubernetesSource(client, config, (service, slices, cluster) -> {
      if (service.name().equals(broken.get())) {
        throw new IllegalStateException("a normalizer bug");
      }
      return real.normalize(service, slices, cluster);
    }, RetryPolicy.forever(Duration.ofMillis(50), Duration.ofMillis(200)), executor,
        gaveUp::incrementAndGet, meters);

    try (LogCapture logs = new LogCapture(KubernetesSource.class)) {
      source.start(index.listenerFor("kubernetes"));
      await().atMost(WAIT).until(index::complete);

      assertThat(instances()).containsOnlyKeys("cluster-1:shop.web:10.1.0.1:80");
      assertThat(itemFailures()).isEqualTo(1.0);
      assertThat(logs.lines()).contains("ERROR kubernetes: Service shop/api could not be"
          + " normalized (IllegalStateException: a normalizer bug); it keeps what it last"
          + " reported and is tried again on its next change");

      // Now web breaks on its next event: it keeps its instance; api's next event brings it in.
      broken.set("web");
      apply(client, pod("web-2", Map.of("app", "web")));
      apply(client, slice("web", "web-abc", "IPv4", List.of(slicePort("http", 8080)),
          endpoint("10.1.0.1", "web-1"), endpoint("10.1.0.2", "web-2")));
      await().atMost(WAIT).until(() -> itemFailures() >= 2.0);
      apply(client, service("api", Map.of("registry-bridge.io/tags", "v2"),
          port("http", 80, 8080)));
      await().atMost(WAIT).until(() -> instances().containsKey(
          "cluster-1:shop.api:10.2.0.1:80"));
      assertThat(instances()).containsOnlyKeys("cluster-1:shop.web:10.1.0.1:80",
          "cluster-1:shop.api:10.2.0.1:80");
      assertThat(logs.lines()).anyMatch(line -> line.startsWith(
          "ERROR kubernetes: Service shop/web could not be normalized"));

      broken.set(null);
      apply(client, service("web", Map.of("registry-bridge.io/tags", "v2"),
          port("http", 80, 8080)));
      await().atMost(WAIT).until(() -> instances().containsKey(
          "cluster-1:shop.web:10.1.0.2:80"));
    }
  }

  /** A 403 says what is forbidden and that RBAC is missing, not that the server is down. */
  @Test
  void aForbiddenListingNamesTheVerbTheResourceAndRbac() {
    KubernetesFixtures.serveEndpointSlices(server);
    webWithOnePod();
    String said = "services is forbidden: User \"system:serviceaccount:consul:registry-bridge\""
        + " cannot list resource \"services\" in API group \"\" at the cluster scope";
    server.expect().get().withPath("/forbidden").andReturn(403, new StatusBuilder()
        .withStatus("Failure").withCode(403).withReason("Forbidden").withMessage(said).build())
        .always();
    AtomicInteger denied = new AtomicInteger();
    KubernetesClient unprivileged = server.createClient(b -> b.withHttpClientBuilderConsumer(
        http -> http.addOrReplaceInterceptor("rbac", new Interceptor() {
          @Override
          public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
            String uri = request.uri().toString();
            if (uri.contains("/api/v1/services") && !uri.contains("watch=true")
                && denied.getAndIncrement() == 0) {
              builder.uri(URI.create(uri.substring(0, uri.indexOf("/api/")) + "/forbidden"));
            }
          }
        })));
    try (LogCapture logs = new LogCapture(KubernetesSource.class)) {
      // A refused listing restarts all four informers; on a loaded machine (2 cores shared by
      // parallel builds) that took over 20 s twice.
      start(unprivileged, Duration.ofSeconds(90));

      assertThat(logs.lines()).filteredOn(line -> line.startsWith("WARN"))
          .first().asString().startsWith("WARN kubernetes: forbidden to list services (HTTP 403):"
              + " the ServiceAccount needs RBAC for it, a ClusterRole granting get, list and"
              + " watch on services (see deploy/kubernetes-sync.yaml); the API server said: "
              + said + "; retrying in ");
      assertThat(logs.lines()).noneMatch(line -> line.contains("not reachable"));
    } finally {
      source.close();
      source = null;
      unprivileged.close();
    }
  }
}
