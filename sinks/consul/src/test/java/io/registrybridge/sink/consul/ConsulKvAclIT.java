package io.registrybridge.sink.consul;

import static io.registrybridge.sink.consul.ConsulKvSinkIT.MARK;
import static io.registrybridge.sink.consul.ConsulKvSinkIT.web1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.registrybridge.core.ControlPlaneUnavailableException;
import io.registrybridge.core.DesiredState;
import io.registrybridge.core.LogCapture;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.Sink;
import io.registrybridge.sink.consul.kv.ConsulKvSink;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * Consul with ACLs on and anonymous access denied: the token (from CONSUL_HTTP_TOKEN_FILE) reaches
 * Consul, and a key the token may not write costs only its own instance.
 */
@Testcontainers
class ConsulKvAclIT {
  private static final String MASTER = "5e1f7c4a-1d1a-4b0e-9c5c-0c7b7b1b2a12";

  @Container static final GenericContainer<?> CONSUL = ConsulContainers.devAgent(
      "acl { enabled = true default_policy = \"deny\" tokens { master = \"" + MASTER + "\" } }");

  @TempDir Path dir;

  private static String uri() {
    return "consulkv://" + ConsulContainers.address(CONSUL) + "/folder";
  }

  /** A token that may write folder/ but not folder/secret/. */
  private String tokenFile() throws IOException {
    KvHttp admin = new KvHttp(ConsulContainers.httpUrl(CONSUL), Optional.of(MASTER));
    String name = "kv-" + System.nanoTime();
    admin.aclCreate("/v1/acl/policy", "{\"Name\":\"" + name + "\",\"Rules\":"
        + "\"key_prefix \\\"folder/\\\" { policy = \\\"write\\\" } "
        + "key_prefix \\\"folder/secret/\\\" { policy = \\\"deny\\\" }\"}", "ID");
    String secret = admin.aclCreate("/v1/acl/token",
        "{\"Policies\":[{\"Name\":\"" + name + "\"}]}", "SecretID");
    return Files.writeString(dir.resolve("token"), secret + "\n").toString();
  }

  @Test
  void writesWithTheTokenAndSkipsOnlyTheKeyItMayNotWrite() throws IOException {
    ServiceInstance secret = ServiceInstance.builder("host-a:vault-1:8200", "secret")
        .address("10.0.0.8").port(8200).origin("docker:vault-1").build();
    try (KvRun run = new KvRun(uri(), Map.of("CONSUL_HTTP_TOKEN_FILE", tokenFile()), false,
        Set.of("docker"));
        LogCapture log = new LogCapture(ConsulKvSink.class)) {
      run.list("docker", Map.of("docker:web-1", List.of(web1()), "docker:vault-1",
          List.of(secret)));
      KvHttp admin = new KvHttp(ConsulContainers.httpUrl(CONSUL), Optional.of(MASTER));
      await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
          assertThat(admin.under("folder")).isEqualTo(new TreeMap<>(Map.of(
              "folder/web/host-a:web-1:8080", new KvHttp.Entry("10.0.0.5:8080", MARK)))));
      await().atMost(Duration.ofSeconds(15)).until(() -> log.lines().stream().anyMatch(
          line -> line.startsWith("ERROR consulkv: skipped host-a:vault-1:8200 (docker:vault-1), "
              + "key folder/secret/host-a:vault-1:8200: Consul refused it (HTTP 403)")));
      assertThat(log.lines()).noneMatch(line -> line.contains(MASTER));
    }
  }

  @Test
  void anUnknownTokenIsAnOutageNamedWithoutTheToken() {
    String unknown = "0d0d0d0d-0000-4000-8000-000000000002";
    try (Sink sink = KvRun.create(uri(), Map.of("CONSUL_HTTP_TOKEN", unknown), false)) {
      assertThatThrownBy(() -> sink.sync(DesiredState.of(Map.of(web1().id(), web1()), true, 1)))
          .isInstanceOf(ControlPlaneUnavailableException.class)
          .hasMessageContaining("HTTP 403")
          .hasMessageContaining("ACL not found")
          .message().doesNotContain(unknown);
    }
  }
}
