package io.registrybridge.sink.consul;

import io.registrybridge.core.LogCapture;
import static io.registrybridge.sink.consul.ConsulSinkIT.complete;
import static io.registrybridge.sink.consul.ConsulSinkIT.db;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.registrybridge.core.ControlPlaneUnavailableException;
import io.registrybridge.core.SyncResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

/** An agent with ACLs on and anonymous access denied: the token must reach Consul as a header. */
@Testcontainers
class ConsulAclIT {
  private static final String MASTER = "5e1f7c4a-1d1a-4b0e-9c5c-0c7b7b1b2a11";

  @Container static final GenericContainer<?> CONSUL = ConsulContainers.devAgent(
      "acl { enabled = true default_policy = \"deny\" tokens { master = \"" + MASTER + "\" } }");

  @TempDir Path dir;
  private ConsulHttp admin;

  @BeforeEach
  void emptyAgent() {
    admin = ConsulContainers.http(CONSUL).withToken(MASTER);
    admin.services().keySet().forEach(admin::deregister);
  }

  private static ConsulSink sink(Map<String, String> env) {
    return ConsulSinkFactory.create(
        ConsulSinkConfig.fromUri(ConsulContainers.uri(CONSUL), env, "host-a"));
  }

  @Test
  void writesWithTheTokenFromAFile() throws IOException {
    Path token = Files.writeString(dir.resolve("token"), MASTER + "\n");
    try (ConsulSink sink = sink(Map.of("CONSUL_HTTP_TOKEN_FILE", token.toString()))) {
      assertThat(sink.sync(complete(db()))).isEqualTo(new SyncResult(1, 0, 0));
      assertThat(sink.sync(complete(db()))).isEqualTo(SyncResult.NOTHING);
    }
    assertThat(admin.services()).containsOnlyKeys("host-a:db-1:5432");
  }

  @Test
  void withoutATokenEveryRegistrationIsRejectedAndNothingIsWritten() {
    try (ConsulSink sink = sink(Map.of());
        LogCapture log = new LogCapture(ConsulSink.class)) {
      assertThat(sink.sync(complete(db()))).isEqualTo(SyncResult.NOTHING);
      assertThat(log.lines()).singleElement().asString()
          .startsWith("ERROR consul: Consul rejected the registration of host-a:db-1:5432 "
              + "(HTTP 403)")
          .contains("Permission denied");
    }
    assertThat(admin.services()).isEmpty();
  }

  @Test
  void anUnknownTokenFailsTheWholeSyncWithoutShowingTheToken() {
    String unknown = "0d0d0d0d-0000-4000-8000-000000000001";
    try (ConsulSink sink = sink(Map.of("CONSUL_HTTP_TOKEN", unknown))) {
      assertThatThrownBy(() -> sink.sync(complete(db())))
          .isInstanceOfSatisfying(ControlPlaneUnavailableException.class,
              e -> assertThat(e.getCause()).isInstanceOfSatisfying(ConsulAgentException.class,
                  cause -> assertThat(cause.status()).isEqualTo(403)))
          .hasMessageContaining("ACL not found")
          .message().doesNotContain(unknown);
    }
  }
}
