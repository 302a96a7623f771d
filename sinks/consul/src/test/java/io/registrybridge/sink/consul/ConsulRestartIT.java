package io.registrybridge.sink.consul;

import static io.registrybridge.sink.consul.ConsulSinkIT.complete;
import static io.registrybridge.sink.consul.ConsulSinkIT.db;
import static io.registrybridge.sink.consul.ConsulSinkIT.web;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.registrybridge.core.DesiredState;
import io.registrybridge.core.SinkReconciler;
import io.registrybridge.core.SyncResult;
import io.registrybridge.retry.RetryPolicy;
import java.time.Clock;
import java.time.Duration;
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
  private final GenericContainer<?> consul =
      ConsulContainers.onFixedPort(ConsulContainers.devAgent(), port);
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
        .isInstanceOfSatisfying(ConsulAgentException.class,
            e -> assertThat(e.answered()).isFalse()));
    assertThat(http().services()).isEmpty();

    assertThat(sink.sync(desired)).isEqualTo(new SyncResult(2, 0, 0));
    assertThat(http().services()).containsOnlyKeys("host-a:web-1:8080", "host-a:db-1:5432");
    assertThat(http().checks()).hasSize(3);
  }

  @Test
  void reconcilerRepairsTheAgentWithinItsVerifyInterval() {
    DesiredState desired = complete(web(), db());
    ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
    SinkReconciler reconciler = new SinkReconciler(sink, () -> desired,
        RetryPolicy.forever(Duration.ofMillis(200), Duration.ofSeconds(1)),
        new SinkReconciler.Timing(Duration.ofMillis(500), Duration.ofMillis(10),
            Duration.ofMillis(100)),
        executor, Clock.systemUTC(), new SinkReconciler.Listener() {});
    try {
      reconciler.start();
      await().atMost(Duration.ofSeconds(10))
          .until(() -> http().services().size() == 2);

      stopAndStartAgain(() -> {});

      await().atMost(Duration.ofSeconds(10))
          .until(() -> http().services().keySet(),
              ids -> ids.equals(Set.of("host-a:web-1:8080", "host-a:db-1:5432")));
    } finally {
      reconciler.close();
      executor.shutdownNow();
    }
  }
}
