package io.registrybridge.sink.etcd;

import static io.registrybridge.sink.etcd.SinkFixture.own;
import static io.registrybridge.sink.etcd.SinkFixture.settings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.registrybridge.core.ControlPlaneUnavailableException;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * etcd restarts in the middle (killed, the changes made meanwhile, started again on the same data
 * directory and port): the reconciler backs off while it is away and converges when it is back,
 * losing nothing. Through every scheme, driven as the daemon drives a sink.
 */
class EtcdRestartIT {

  @ParameterizedTest
  @ValueSource(strings = {"etcd", "etcd3", "skydns2"})
  void convergesAfterEtcdComesBack(String scheme) throws Exception {
    String path = scheme.equals("skydns2") ? "/restart.local" : "/restart";
    try (EtcdServer etcd = new EtcdServer().start(); SinkFixture fixture = new SinkFixture()) {
      String uri = scheme + "://" + etcd.endpoint() + path;
      EtcdSink sink = fixture.sink(uri, settings());
      Layout layout = layout(uri);
      DesiredIndex index = new DesiredIndex(Set.of("docker"));
      SourceListener docker = index.listenerFor("docker");
      ServiceInstance web = own("web-1", "web", "10.0.0.5", 8080);
      ServiceInstance api = own("api-1", "api", "10.0.0.6", 9090);
      ServiceInstance db = own("db-1", "db", "10.0.0.7", 5432);
      docker.replaceAll(Map.of("web-1", List.of(web), "api-1", List.of(api)));
      List<Exception> failures = new CopyOnWriteArrayList<>();
      ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor();
      SinkReconciler reconciler = new SinkReconciler(sink, index,
          RetryPolicy.forever(Duration.ofMillis(100), Duration.ofMillis(500)), loop,
          Clock.systemUTC(), new SinkReconciler.Listener() {
            @Override
            public void failed(String name, Exception error, int consecutiveFailures) {
              failures.add(error);
            }
          });
      index.addListener(reconciler);
      try {
        reconciler.start();
        await().atMost(Duration.ofSeconds(10))
            .until(() -> stored(etcd, scheme, layout).equals(expected(layout, web, api)));

        etcd.stop();
        docker.update("api-1", List.of());
        docker.update("db-1", List.of(db));
        ServiceInstance web2 = web.toBuilder().port(8081).build();
        docker.update("web-1", List.of(web2));
        await().atMost(Duration.ofSeconds(10)).until(() -> failures.size() >= 2);
        assertThat(failures).allSatisfy(e ->
            assertThat(e).isInstanceOf(ControlPlaneUnavailableException.class));

        etcd.start();
        await().atMost(Duration.ofSeconds(20))
            .until(() -> stored(etcd, scheme, layout).equals(expected(layout, web2, db)));
      } finally {
        reconciler.close();
        loop.shutdown();
        assertThat(loop.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        sink.close();
      }
    }
  }

  private static Layout layout(String uri) {
    EtcdUri parsed = EtcdUri.parse(uri);
    return new Layout(parsed.kind() == EtcdUri.Kind.SKYDNS2, parsed.root(),
        parsed.kind() != EtcdUri.Kind.ETCD3);
  }

  private static Map<String, String> expected(Layout layout, ServiceInstance... instances) {
    Map<String, String> keys = new java.util.TreeMap<>();
    for (ServiceInstance instance : instances) {
      keys.put(layout.key(instance), layout.value(instance));
    }
    return keys;
  }

  private static Map<String, String> stored(EtcdServer etcd, String scheme, Layout layout)
      throws Exception {
    return scheme.equals("etcd3") ? Etcd3SinkIT.values(etcd, layout.root())
        : EtcdSinkIT.values(etcd, layout.root());
  }
}
