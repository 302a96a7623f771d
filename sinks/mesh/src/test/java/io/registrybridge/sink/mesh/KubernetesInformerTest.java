package io.registrybridge.sink.mesh;

import static io.registrybridge.sink.mesh.Fixtures.bookinfo;
import static io.registrybridge.sink.mesh.Fixtures.config;
import static io.registrybridge.sink.mesh.Fixtures.instance;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.registrybridge.core.DesiredIndex;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.SinkReconciler;
import io.registrybridge.core.SourceListener;
import io.registrybridge.core.SyncResult;
import io.registrybridge.retry.RetryPolicy;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes transport's informers: the incremental path reads their caches, never the API
 * server; a cache that lags behind our own writes causes no second write; changes made by others
 * are repaired.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesInformerTest {
  private static final String NS = "istio-system";
  private static final String OBJECTS =
      "/apis/networking.istio.io/v1/namespaces/istio-system/serviceentries";

  KubernetesMockServer server;
  KubernetesClient client;
  private int requestsTaken;
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final DesiredIndex index = new DesiredIndex(Set.of("test"));
  private final SourceListener source = index.listenerFor("test");
  private final Set<String> changed = new LinkedHashSet<>();

  @BeforeEach
  void setUp() {
    index.addListener(change -> changed.addAll(change.ids()));
    IstioCrds.installServiceEntry(client, "v1");
  }

  private final MockServerSinks sinks = new MockServerSinks();

  @AfterEach
  void tearDown() throws Exception {
    sinks.closeAll();
    for (AutoCloseable closeable : closeables.reversed()) {
      closeable.close();
    }
  }

  private <T extends AutoCloseable> T closeLater(T closeable) {
    closeables.add(closeable);
    return closeable;
  }

  private MeshSink opened(MeshSink sink) {
    return sinks.add(sink);
  }

  /** The requests since the last call, as "METHOD path", without watches re-established. */
  private List<String> requests() throws InterruptedException {
    List<String> result = new ArrayList<>();
    while (requestsTaken < server.getRequestCount()) {
      RecordedRequest request = server.takeRequest();
      requestsTaken++;
      result.add(request.getMethod() + " " + request.getPath());
    }
    return result;
  }

  private void desire(List<ServiceInstance> instances) {
    source.replaceAll(instances.stream().collect(Collectors.groupingBy(ServiceInstance::id)));
  }

  private SyncResult applyChanges(MeshSink sink) throws Exception {
    Set<String> ids = new LinkedHashSet<>(changed);
    changed.clear();
    return sink.apply(ids, index);
  }

  private static ServiceInstance bookinfoInstance(String id) {
    return bookinfo("http").stream().filter(i -> i.id().equals(id)).findFirst().orElseThrow();
  }

  private GenericKubernetesResource stored(String name) {
    return client.genericKubernetesResources("networking.istio.io/v1", "ServiceEntry")
        .inNamespace(NS).withName(name).get();
  }

  @Test
  void changesAreAppliedFromTheCacheWithoutAList() throws Exception {
    desire(bookinfo("http"));
    MeshSink sink = opened(MeshSinks.kubernetes(config(), client));
    sink.sync(index.snapshot());
    changed.clear();
    requests();

    source.update("reviews-v3", List.of());
    assertThat(applyChanges(sink)).isEqualTo(new SyncResult(0, 1, 0));
    source.update("cache", List.of(instance("cache", "cache", "172.18.0.9", 6379)
        .protocol("redis").build()));
    assertThat(applyChanges(sink)).isEqualTo(new SyncResult(1, 0, 0));
    source.update("details-v1", List.of());
    assertThat(applyChanges(sink)).isEqualTo(new SyncResult(0, 0, 1));
    // A change that renders the same object: nothing at all.
    source.update("ratings-v1", List.of(bookinfoInstance("ratings-v1").toBuilder()
        .origin("docker:elsewhere").build()));
    assertThat(applyChanges(sink)).isEqualTo(SyncResult.NOTHING);

    // One request per write, nothing read.
    assertThat(requests()).containsExactly(
        "PUT " + OBJECTS + "/reviews.service.consul",
        "POST " + OBJECTS,
        "DELETE " + OBJECTS + "/details.service.consul");
  }

  /**
   * The informers' watches are sent to another namespace, so the cache never sees our writes:
   * the store answers from what it wrote, writes nothing twice, and updates with the
   * resourceVersion the server gave (a stale one would get 409 and a re-read).
   */
  @Test
  void aCacheThatLagsBehindOurWritesCausesNoSecondWriteAndNoConflict() throws Exception {
    KubernetesClient lagging = closeLater(server.createClient(b -> b
        .editOrNewConfig().withRequestRetryBackoffLimit(0).endConfig()
        .withHttpClientBuilderConsumer(http -> http.addOrReplaceInterceptor("lag",
            new Interceptor() {
              @Override
              public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
                String uri = request.uri().toString();
                if (uri.contains("watch=true")) {
                  builder.uri(URI.create(uri.replace("/namespaces/istio-system/",
                      "/namespaces/elsewhere/")));
                }
              }
            }))));
    desire(bookinfo("http"));
    MeshSink sink = opened(MeshSinks.kubernetes(config(), lagging));

    assertThat(sink.sync(index.snapshot())).isEqualTo(new SyncResult(4, 0, 0));
    assertThat(requests()).anyMatch(r -> r.contains("/namespaces/elsewhere/serviceentries?")
        && r.contains("watch=true"));
    changed.clear();
    // The cache is still empty; what we wrote counts.
    assertThat(sink.sync(index.snapshot())).isEqualTo(SyncResult.NOTHING);

    source.update("reviews-v3", List.of());
    assertThat(applyChanges(sink)).isEqualTo(new SyncResult(0, 1, 0));
    assertThat(sink.apply(Set.of("reviews-v3"), index)).isEqualTo(SyncResult.NOTHING);
    source.update("reviews-v2", List.of(bookinfoInstance("reviews-v2").toBuilder()
        .tags(List.of("version=v2", "stars=gold")).build()));
    assertThat(applyChanges(sink)).isEqualTo(new SyncResult(0, 1, 0));
    assertThat(sink.apply(Set.of("reviews-v2"), index)).isEqualTo(SyncResult.NOTHING);

    assertThat(requests()).containsExactly(
        "PUT " + OBJECTS + "/reviews.service.consul",
        "PUT " + OBJECTS + "/reviews.service.consul");
    assertThat(stored("reviews.service.consul").toString()).contains("gold")
        .doesNotContain("172.18.0.7");
  }

  private SinkReconciler reconciler(MeshSink sink, ScheduledExecutorService executor) {
    SinkReconciler reconciler = new SinkReconciler(sink, index,
        RetryPolicy.forever(Duration.ofMillis(20), Duration.ofMillis(200)), executor,
        Clock.systemUTC(), new SinkReconciler.Listener() {});
    index.addListener(reconciler);
    return reconciler;
  }

  @Test
  void anObjectOfOursDeletedOrEditedByHandComesBack() throws Exception {
    desire(bookinfo("http"));
    ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
    MeshSink sink = opened(MeshSinks.kubernetes(config(), client));
    SinkReconciler reconciler = reconciler(sink, executor);
    try {
      reconciler.start();
      await().atMost(Duration.ofSeconds(20)).until(() -> reconciler.status().convergedOnce());
      GenericKubernetesResource details = stored("details.service.consul");
      GenericKubernetesResource ratings = stored("ratings.service.consul");

      client.genericKubernetesResources("networking.istio.io/v1", "ServiceEntry")
          .inNamespace(NS).withName("details.service.consul").delete();
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
        GenericKubernetesResource back = stored("details.service.consul");
        assertThat(back).isNotNull();
        assertThat(back.getAdditionalProperties()).isEqualTo(details.getAdditionalProperties());
      });

      client.genericKubernetesResources("networking.istio.io/v1", "ServiceEntry")
          .inNamespace(NS).withName("ratings.service.consul").edit(o -> {
            @SuppressWarnings("unchecked")
            Map<String, Object> spec = (Map<String, Object>) o.getAdditionalProperties()
                .get("spec");
            spec.put("endpoints", List.of(Map.of("address", "10.9.9.9")));
            return o;
          });
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
          assertThat(stored("ratings.service.consul").getAdditionalProperties())
              .isEqualTo(ratings.getAdditionalProperties()));
    } finally {
      reconciler.close();
      executor.shutdown();
      assertThat(executor.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void aHostHeldBySomeoneElseIsTakenOnceTheyLetGoOfIt() throws Exception {
    GenericKubernetesResource legacy = new GenericKubernetesResourceBuilder()
        .withApiVersion("networking.istio.io/v1").withKind("ServiceEntry")
        .withNewMetadata().withName("legacy-ratings").withNamespace(NS).endMetadata()
        .addToAdditionalProperties("spec", Map.of("hosts", List.of("ratings.service.consul"),
            "resolution", "DNS", "ports", List.of(Map.of("number", 9080, "name", "http",
                "protocol", "HTTP"))))
        .build();
    client.genericKubernetesResources("networking.istio.io/v1", "ServiceEntry").inNamespace(NS)
        .resource(legacy).create();
    desire(bookinfo("http"));
    ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
    MeshSink sink = opened(MeshSinks.kubernetes(config(), client));
    SinkReconciler reconciler = reconciler(sink, executor);
    try {
      reconciler.start();
      await().atMost(Duration.ofSeconds(20)).until(() -> reconciler.status().convergedOnce());
      assertThat(stored("ratings.service.consul")).isNull();
      assertThat(sink.status().reports()).extracting(MeshReport::kind)
          .containsExactly(MeshReport.Kind.FOREIGN_OWNER);

      client.genericKubernetesResources("networking.istio.io/v1", "ServiceEntry")
          .inNamespace(NS).withName("legacy-ratings").delete();

      await().atMost(Duration.ofSeconds(20))
          .until(() -> stored("ratings.service.consul") != null);
      await().atMost(Duration.ofSeconds(20)).until(() -> sink.status().reports().isEmpty());
    } finally {
      reconciler.close();
      executor.shutdown();
      assertThat(executor.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }
  }
}
