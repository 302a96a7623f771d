package io.registrybridge.sink.etcd;

import static io.registrybridge.sink.etcd.SinkFixture.own;
import static io.registrybridge.sink.etcd.SinkFixture.settings;
import static io.registrybridge.sink.etcd.SinkFixture.state;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.registrybridge.core.ControlPlaneUnavailableException;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.SyncResult;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Users and passwords from the environment, against an etcd with auth enabled. */
class EtcdAuthIT {

  @Test
  void etcd3LogsInWithTheUserAndLogsInAgainWhenTheTokenExpired() throws Exception {
    try (EtcdServer etcd = new EtcdServer("--auth-token-ttl=1").start();
        SinkFixture fixture = new SinkFixture()) {
      etcd.request("POST", "/v3/auth/user/add", "{\"name\":\"root\",\"password\":\"pw\"}");
      etcd.request("POST", "/v3/auth/role/add", "{\"name\":\"root\"}");
      etcd.request("POST", "/v3/auth/user/grant", "{\"user\":\"root\",\"role\":\"root\"}");
      etcd.request("POST", "/v3/auth/enable", "{}");
      String uri = "etcd3://" + etcd.endpoint() + "/auth";
      ServiceInstance web = own("web-1", "web", "10.0.0.5", 8080);
      ServiceInstance api = own("api-1", "api", "10.0.0.6", 9090);

      EtcdSink anonymous = fixture.sink(uri, settings());
      assertThatThrownBy(() -> anonymous.sync(state(true, web)))
          .isInstanceOf(ControlPlaneUnavailableException.class)
          .hasMessageContaining("user name is empty");
      EtcdSink wrong = fixture.sink(uri, settings(Map.of("ETCDCTL_USER", "root:nope"),
          Optional.empty(), Optional.empty()));
      assertThatThrownBy(() -> wrong.sync(state(true, web)))
          .isInstanceOf(ControlPlaneUnavailableException.class)
          .hasMessageContaining("etcd refused the login of user root")
          .message().doesNotContain("nope");

      EtcdSink sink = fixture.sink(uri, settings(Map.of("ETCDCTL_USER", "root",
          "ETCDCTL_PASSWORD", "pw"), Optional.empty(), Optional.empty()));
      assertThat(sink.sync(state(true, web))).isEqualTo(new SyncResult(1, 0, 0));
      // The simple token lasts a second here: the next write logs in again by itself.
      await().pollDelay(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> true);
      assertThat(sink.apply(Set.of(api.id()), state(true, web, api)))
          .isEqualTo(new SyncResult(1, 0, 0));
      // Read back as root: both keys are there.
      var json = new com.fasterxml.jackson.databind.ObjectMapper();
      String token = json.readTree(etcd.request("POST", "/v3/auth/authenticate",
          "{\"name\":\"root\",\"password\":\"pw\"}")).path("token").asText();
      String range = "{\"key\":\"" + V3KeyStore.b64("/auth/") + "\",\"range_end\":\""
          + V3KeyStore.b64("/auth0") + "\",\"keys_only\":true}";
      assertThat(json.readTree(etcd.request("POST", "/v3/kv/range", range, null, token))
          .path("count").asInt()).isEqualTo(2);
    }
  }

  @Test
  void etcdV2SendsBasicAuth() throws Exception {
    try (EtcdServer etcd = new EtcdServer().start(); SinkFixture fixture = new SinkFixture()) {
      etcd.request("PUT", "/v2/auth/users/root", "{\"user\":\"root\",\"password\":\"pw\"}");
      etcd.request("PUT", "/v2/auth/enable", "{}");
      // Take the guest role's default access away, so that only root may write.
      etcd.request("PUT", "/v2/auth/roles/guest", "{\"role\":\"guest\",\"revoke\":{\"kv\":"
          + "{\"read\":[\"/*\"],\"write\":[\"/*\"]}}}", "root:pw");
      String uri = "etcd://" + etcd.endpoint() + "/auth2";
      ServiceInstance web = own("web-1", "web", "10.0.0.5", 8080);

      assertThatThrownBy(() -> fixture.sink(uri, settings()).sync(state(true, web)))
          .isInstanceOf(ControlPlaneUnavailableException.class);
      EtcdSink sink = fixture.sink(uri, settings(Map.of("ETCDCTL_USER", "root:pw"),
          Optional.empty(), Optional.empty()));
      assertThat(sink.sync(state(true, web))).isEqualTo(new SyncResult(1, 0, 0));
    }
  }
}
