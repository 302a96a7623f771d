package io.registrybridge.sink.consul;

import static io.registrybridge.sink.consul.ConsulKvSinkIT.MARK;
import static io.registrybridge.sink.consul.ConsulKvSinkIT.db;
import static io.registrybridge.sink.consul.ConsulKvSinkIT.web1;
import static io.registrybridge.sink.consul.ConsulKvSinkIT.web2;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;

/**
 * Consul stops while instances change, and comes back in dev mode with an empty store: the sink
 * backs off while it is away, loses none of the changes, and writes exactly the desired keys.
 */
class ConsulKvRestartIT {
  private final int port = ConsulContainers.freePort();
  private final GenericContainer<?> consul =
      ConsulContainers.onFixedPort(ConsulContainers.devAgent("log_level = \"WARN\""), port);
  private KvHttp kv;

  @BeforeEach
  void start() {
    consul.start();
    kv = new KvHttp("http://" + consul.getHost() + ":" + port, Optional.empty());
  }

  @AfterEach
  void stop() {
    consul.stop();
  }

  @Test
  void changesMadeWhileConsulIsDownAreWrittenOnceItIsBack() {
    String uri = "consulkv://" + consul.getHost() + ":" + port + "/folder";
    try (KvRun run = new KvRun(uri, Map.of(), false, Set.of("docker"))) {
      run.list("docker", Map.of("docker:web-1", List.of(web1()), "docker:db-1",
          List.of(db("db"))));
      await().atMost(Duration.ofSeconds(15)).until(() -> kv.under("folder").size() == 2);

      var docker = consul.getDockerClient();
      docker.stopContainerCmd(consul.getContainerId()).withTimeout(10).exec();
      run.update("docker", "docker:web-1", List.of());
      run.update("docker", "docker:web-2", List.of(web2()));
      // The sink fails on its control plane, and the reconciler backs off.
      await().atMost(Duration.ofSeconds(30))
          .until(() -> run.reconciler.status().consecutiveFailures() > 0);
      docker.startContainerCmd(consul.getContainerId()).exec();

      await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() ->
          assertThat(kv.under("folder")).isEqualTo(new java.util.TreeMap<>(Map.of(
              "folder/web/host-a:web-2:8080", new KvHttp.Entry("10.0.0.6:8081", MARK),
              "folder/db/host-a:db-1:5432", new KvHttp.Entry("[fd00::5]:5432", MARK)))));
    }
  }
}
