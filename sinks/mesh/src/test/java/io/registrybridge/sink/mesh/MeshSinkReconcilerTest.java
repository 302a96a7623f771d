package io.registrybridge.sink.mesh;

import static io.registrybridge.sink.mesh.Fixtures.bookinfo;
import static io.registrybridge.sink.mesh.Fixtures.config;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.registrybridge.core.DesiredIndex;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.SinkReconciler;
import io.registrybridge.core.SourceListener;
import io.registrybridge.retry.RetryPolicy;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes sink driven by the core {@link SinkReconciler}, as the daemon runs it: the bridge
 * starts before Istio, backs off while ServiceEntry is not served, converges once the CRD is
 * installed, and follows changes.
 */
@EnableKubernetesMockClient(crud = true)
class MeshSinkReconcilerTest {
  KubernetesClient client;

  @Test
  void backsOffUntilIstioIsInstalledThenConverges() throws Exception {
    DesiredIndex index = new DesiredIndex(Set.of("test"));
    SourceListener source = index.listenerFor("test");
    source.replaceAll(byOrigin(bookinfo("http")));
    List<Exception> failures = new CopyOnWriteArrayList<>();
    ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
    MockServerSinks sinks = new MockServerSinks();
    MeshSink sink = sinks.add(MeshSinks.kubernetes(config(), client));
    SinkReconciler reconciler = new SinkReconciler(sink, index,
        RetryPolicy.forever(Duration.ofMillis(20), Duration.ofMillis(100)),
        executor, Clock.systemUTC(), new SinkReconciler.Listener() {
          @Override
          public void failed(String name, Exception error, int consecutiveFailures) {
            failures.add(error);
          }
        });
    index.addListener(reconciler);
    try {
      reconciler.start();
      await().atMost(Duration.ofSeconds(10)).until(() -> failures.size() >= 2);
      assertThat(failures).allSatisfy(e -> assertThat(e)
          .isInstanceOf(IstioNotReadyException.class));
      assertThat(reconciler.status().convergedOnce()).isFalse();

      IstioCrds.installServiceEntry(client, "v1");
      await().atMost(Duration.ofSeconds(10)).until(() -> reconciler.status().convergedOnce());
      assertThat(names()).containsExactlyInAnyOrder("details.service.consul",
          "productpage.service.consul", "ratings.service.consul", "reviews.service.consul");

      source.replaceAll(byOrigin(List.of(bookinfo("http").get(0))));
      await().atMost(Duration.ofSeconds(10))
          .until(() -> names().equals(List.of("productpage.service.consul")));
    } finally {
      reconciler.close();
      executor.shutdown();
      assertThat(executor.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
      sinks.closeAll();
    }
  }

  private static Map<String, List<ServiceInstance>> byOrigin(List<ServiceInstance> instances) {
    return instances.stream().collect(Collectors.groupingBy(ServiceInstance::id));
  }

  private List<String> names() {
    return client.genericKubernetesResources("networking.istio.io/v1", "ServiceEntry")
        .inNamespace("istio-system").list().getItems().stream()
        .map(o -> o.getMetadata().getName()).sorted().toList();
  }
}
