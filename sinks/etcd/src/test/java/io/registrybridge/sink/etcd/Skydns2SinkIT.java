package io.registrybridge.sink.etcd;

import static io.registrybridge.sink.etcd.SinkFixture.own;
import static io.registrybridge.sink.etcd.SinkFixture.settings;
import static io.registrybridge.sink.etcd.SinkFixture.state;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.SyncResult;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code skydns2://} against a real etcd 3.4 with the v2 keys API. */
class Skydns2SinkIT {
  @RegisterExtension
  static final EtcdServer etcd = EtcdServer.perClass();

  @Test
  void writesSkydnsRecordsExactlyAsRegistratorDoes() throws Exception {
    // Registrator's docs: SERVICE_ID=redis-1, a domain cluster.local.
    ServiceInstance redis = ServiceInstance.builder("redis-1", "redis").address("10.0.0.3")
        .port(6379).origin("docker:redis-1").source("docker").build();
    ServiceInstance v6 = own("web-1", "web", "fd00::7", 8080);
    try (SinkFixture fixture = new SinkFixture()) {
      EtcdSink sink = fixture.sink("skydns2://" + etcd.endpoint() + "/cluster.local", settings());
      assertThat(sink.sync(state(true, redis, v6))).isEqualTo(new SyncResult(2, 0, 0));

      assertThat(EtcdSinkIT.values(etcd, "/skydns/local/cluster")).containsExactly(
          Map.entry("/skydns/local/cluster/redis/redis-1", "{\"host\":\"10.0.0.3\",\"port\":6379}"),
          Map.entry("/skydns/local/cluster/web/host1:web-1:8080",
              "{\"host\":\"fd00::7\",\"port\":8080}"));
      assertThat(sink.sync(state(true, redis, v6))).isEqualTo(SyncResult.NOTHING);
    }
  }

  @Test
  void ttlAsForEtcd() throws Exception {
    try (SinkFixture fixture = new SinkFixture()) {
      EtcdSink sink = fixture.sink("skydns2://" + etcd.endpoint() + "/ttl.example.org",
          settings(Map.of(), Optional.of(Duration.ofSeconds(20)),
              Optional.of(Duration.ofSeconds(5))));
      sink.sync(state(true, own("web-1", "web", "10.0.0.5", 8080)));

      JsonNode node = EtcdSinkIT.keys(etcd, "/skydns/org/example/ttl")
          .get("/skydns/org/example/ttl/web/host1:web-1:8080");
      assertThat(node.path("value").asText()).isEqualTo("{\"host\":\"10.0.0.5\",\"port\":8080}");
      assertThat(node.path("ttl").asLong()).isBetween(15L, 20L);
    }
  }
}
