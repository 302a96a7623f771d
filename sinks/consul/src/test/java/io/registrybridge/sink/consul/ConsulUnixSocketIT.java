package io.registrybridge.sink.consul;

import static io.registrybridge.sink.consul.ConsulSinkIT.complete;
import static io.registrybridge.sink.consul.ConsulSinkIT.db;
import static io.registrybridge.sink.consul.ConsulSinkIT.web;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.registrybridge.core.SyncResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.BindMode;
import org.testcontainers.containers.GenericContainer;

/**
 * {@code consul-unix://}: the agent serves its HTTP API on a Unix socket in a directory shared
 * with this JVM (a bind mount, so the Docker engine must run on this machine), and on TCP for
 * the test's own look at the agent.
 */
class ConsulUnixSocketIT {
  private Path dir;
  private GenericContainer<?> consul;

  @BeforeEach
  void start() throws IOException {
    // Short and world-writable: socket paths are limited to ~100 bytes, and the agent in the
    // official image does not run as our user.
    dir = Files.createTempDirectory(Path.of("/tmp"), "rb-consul-");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
    consul = ConsulContainers.devAgent(
            "addresses { http = \"0.0.0.0 unix:///consul/sock/consul.sock\" }",
            "unix_sockets { mode = \"0777\" }")
        .withFileSystemBind(dir.toString(), "/consul/sock", BindMode.READ_WRITE);
    consul.start();
  }

  @AfterEach
  void stop() throws IOException {
    consul.stop();
    Files.deleteIfExists(dir.resolve("consul.sock"));
    Files.deleteIfExists(dir);
  }

  @Test
  void syncsOverTheSocket() {
    Path socket = dir.resolve("consul.sock");
    await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(socket));
    ConsulSinkConfig config =
        ConsulSinkConfig.fromUri("consul-unix://" + socket, Map.of(), "host-a");
    assertThat(config.endpoint()).isEqualTo(new ConsulEndpoint.UnixSocket(socket));

    try (ConsulSink sink = ConsulSinkFactory.create(config)) {
      assertThat(sink.sync(complete(web(), db()))).isEqualTo(new SyncResult(2, 0, 0));
      assertThat(sink.sync(complete(web(), db()))).isEqualTo(SyncResult.NOTHING);
      assertThat(sink.sync(complete(db()))).isEqualTo(new SyncResult(0, 0, 1));
    }
    assertThat(ConsulContainers.http(consul).services()).containsOnlyKeys("host-a:db-1:5432");
  }
}
