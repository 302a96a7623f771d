package io.registrybridge.sink.consul;

import static io.registrybridge.sink.consul.ConsulSinkIT.complete;
import static io.registrybridge.sink.consul.ConsulSinkIT.db;
import static io.registrybridge.sink.consul.ConsulSinkIT.web;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.registrybridge.core.ControlPlaneUnavailableException;
import io.registrybridge.core.DesiredIndex;
import io.registrybridge.core.DesiredState;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.SinkReconciler;
import io.registrybridge.core.SyncResult;
import io.registrybridge.retry.RetryPolicy;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;

/**
 * A dev-mode agent forgets every service when it restarts; the sink must notice on its next sync
 * and register everything again. The agent keeps a fixed host port so its address survives.
 */
class ConsulRestartIT {
  private final int port = ConsulContainers.freePort();
  // A dev agent logs at DEBUG, and after each registration it logs every service it holds as
  // "in sync": O(n^2) log lines, 7-10 s for 1,000 registrations on this kind of machine. Real
  // agents log at INFO or less; so does this one, or it would measure Consul's logging.
  private final GenericContainer<?> consul =
      ConsulContainers.onFixedPort(ConsulContainers.devAgent("log_level = \"WARN\""), port);
  private ConsulSink sink;

  @BeforeEach
  void start() {
    consul.start();
    sink = ConsulSinkFactory.create(ConsulSinkConfig.fromUri(
        "consul://" + consul.getHost() + ":" + port, Map.of(), "host-a"));
  }

  @AfterEach
  void stop() {
    sink.close();
    consul.stop();
  }

  private ConsulHttp http() {
    return new ConsulHttp("http://" + consul.getHost() + ":" + port);
  }

  private void stopAndStartAgain(Runnable whileStopped) {
    var docker = consul.getDockerClient();
    docker.stopContainerCmd(consul.getContainerId()).withTimeout(10).exec();
    whileStopped.run();
    docker.startContainerCmd(consul.getContainerId()).exec();
    await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
        .until(() -> !http().leader().isEmpty());
  }

  @Test
  void nextSyncRestoresWhatARestartedAgentLost() {
    DesiredState desired = complete(web(), db());
    assertThat(sink.sync(desired)).isEqualTo(new SyncResult(2, 0, 0));

    stopAndStartAgain(() -> assertThatThrownBy(() -> sink.sync(desired))
        .isInstanceOfSatisfying(ControlPlaneUnavailableException.class,
            e -> assertThat(e.getCause()).isInstanceOfSatisfying(ConsulAgentException.class,
                cause -> assertThat(cause.answered()).isFalse())));
    assertThat(http().services()).isEmpty();

    assertThat(sink.sync(desired)).isEqualTo(new SyncResult(2, 0, 0));
    assertThat(http().services()).containsOnlyKeys("host-a:web-1:8080", "host-a:db-1:5432");
    assertThat(http().checks()).hasSize(3);
  }

  /** Runs {@code body} while a reconciler drives the sink from an index with {@code byOrigin}. */
  private void reconciled(Map<String, List<ServiceInstance>> byOrigin, RetryPolicy retry,
      Runnable body) {
    DesiredIndex index = new DesiredIndex(Set.of("test"));
    index.listenerFor("test").replaceAll(byOrigin);
    ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
    SinkReconciler reconciler = new SinkReconciler(sink, index, retry, executor,
        Clock.systemUTC(), new SinkReconciler.Listener() {});
    index.addListener(reconciler);
    try {
      reconciler.start();
      body.run();
    } finally {
      reconciler.close();
      executor.shutdownNow();
    }
  }

  private static final RetryPolicy FAST_RETRY =
      RetryPolicy.forever(Duration.ofMillis(200), Duration.ofSeconds(1));

  @Test
  void theWatchNoticesTheLossAndTheReconcilerRepairsItWithinSeconds() {
    reconciled(Map.of("o", List.of(web(), db())), FAST_RETRY, () -> {
      await().atMost(Duration.ofSeconds(10))
          .until(() -> http().services().size() == 2);

      stopAndStartAgain(() -> {});

      // The verify interval is five minutes: only the watch can make this in time.
      await().atMost(Duration.ofSeconds(5))
          .until(() -> http().services().keySet(),
              ids -> ids.equals(Set.of("host-a:web-1:8080", "host-a:db-1:5432")));
    });
  }

  @Test
  void theCatalogWatchNoticesALostNodeWhenNothingIsOnTheAgent() {
    ServiceInstance reviews = ConsulCatalogIT.reviews();
    ServiceInstance ratings = ConsulCatalogIT.ratings();
    reconciled(Map.of("o", List.of(reviews, ratings)), FAST_RETRY, () -> {
      await().atMost(Duration.ofSeconds(10))
          .until(() -> http().nodeServices("k8s-sync").size() == 2);

      stopAndStartAgain(() -> {});

      // No agent service to watch, and the verify interval is five minutes: only the catalog
      // watch can make this in time.
      await().atMost(Duration.ofSeconds(10))
          .until(() -> http().nodeServices("k8s-sync").keySet(),
              ids -> ids.equals(Set.of(reviews.id(), ratings.id())));
      assertThat(http().services()).isEmpty();
    });
  }

  @Test
  void aThousandServicesAreBackWithinFiveSecondsOfTheAgentsRestart() {
    Map<String, List<ServiceInstance>> byOrigin = new java.util.HashMap<>();
    for (int i = 0; i < 1000; i++) {
      ServiceInstance instance = ServiceInstance.builder("host-a:c" + i + ":80", "svc-" + i)
          .address("10.0." + (i / 250) + "." + (i % 250 + 1)).port(80).protocol("http")
          .tags(List.of("v1")).build();
      byOrigin.put(instance.id(), List.of(instance));
    }
    reconciled(byOrigin, RetryPolicy.forever(Duration.ofMillis(100), Duration.ofMillis(500)),
        () -> {
          // Polled gently: every read of 1,000 services is work for the agent under test.
          await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
              .until(() -> http().services().size() == 1000);

          stopAndStartAgain(() -> {});
          long back = System.nanoTime();

          await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(500))
              .until(() -> http().services().size() == 1000);
          System.out.printf("1000 services restored %d ms after the agent answered again%n",
              (System.nanoTime() - back) / 1_000_000);
          assertThat(http().services().keySet()).isEqualTo(byOrigin.keySet());
        });
  }
}
