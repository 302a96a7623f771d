package io.registrybridge.sink.etcd;

import static io.registrybridge.sink.etcd.SinkFixture.own;
import static io.registrybridge.sink.etcd.SinkFixture.settings;
import static io.registrybridge.sink.etcd.SinkFixture.state;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.registrybridge.core.ControlPlaneUnavailableException;
import io.registrybridge.core.LogCapture;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.SyncResult;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code etcd://} against a real etcd 3.4 with the v2 keys API. */
class EtcdSinkIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  @RegisterExtension
  static final EtcdServer etcd = EtcdServer.perClass();
  @RegisterExtension
  final SinkFixture fixture = new SinkFixture();
  private String prefix;
  private String uri;

  @BeforeEach
  void newPrefix() {
    prefix = fixture.prefix("it");
    uri = "etcd://" + etcd.endpoint() + prefix;
  }

  /** Every leaf below the prefix: key to node (value, ttl). */
  static Map<String, JsonNode> keys(EtcdServer etcd, String root) throws Exception {
    JsonNode answer = JSON.readTree(etcd.get(V2KeyStore.path(root) + "?recursive=true"));
    Map<String, JsonNode> leaves = new TreeMap<>();
    collect(answer.path("node"), leaves);
    return leaves;
  }

  private static void collect(JsonNode node, Map<String, JsonNode> into) {
    if (node.path("dir").asBoolean(false)) {
      node.path("nodes").forEach(child -> collect(child, into));
    } else if (node.has("key")) {
      into.put(node.get("key").asText(), node);
    }
  }

  static Map<String, String> values(EtcdServer etcd, String root) throws Exception {
    Map<String, String> values = new TreeMap<>();
    keys(etcd, root).forEach((k, node) -> values.put(k, node.path("value").asText()));
    return values;
  }

  @Test
  void writesRegistratorsKeysAndValuesExactlyWithoutTtl() throws Exception {
    EtcdSink sink = fixture.sink(uri, settings());
    SyncResult result = sink.sync(state(true, own("web-1", "web", "10.0.0.5", 8080),
        own("db", "db", "fd00::7", 5432)));

    assertThat(result.created()).isEqualTo(2);
    assertThat(values(etcd, prefix)).containsExactly(
        Map.entry(prefix + "/db/host1:db:5432", "[fd00::7]:5432"),
        Map.entry(prefix + "/web/host1:web-1:8080", "10.0.0.5:8080"));
    assertThat(keys(etcd, prefix).values()).allSatisfy(node -> assertThat(node.has("ttl"))
        .isFalse());
  }

  @Test
  void ttlIsSetAndRefreshedWithoutRewritingTheValue() throws Exception {
    var settings = settings(Map.of(), Optional.of(Duration.ofSeconds(30)),
        Optional.of(Duration.ofSeconds(10)));
    EtcdSink sink = fixture.sink(uri, settings);
    sink.sync(state(true, own("web-1", "web", "10.0.0.5", 8080)));
    JsonNode written = keys(etcd, prefix).get(prefix + "/web/host1:web-1:8080");
    assertThat(written.path("ttl").asLong()).isBetween(25L, 30L);

    long before = etcd.writes();
    sink.refreshTtl();
    JsonNode refreshed = keys(etcd, prefix).get(prefix + "/web/host1:web-1:8080");
    assertThat(etcd.writes() - before).isEqualTo(1);
    assertThat(refreshed.path("value").asText()).isEqualTo("10.0.0.5:8080");
    assertThat(refreshed.path("createdIndex").asLong())
        .isEqualTo(written.path("createdIndex").asLong());
    assertThat(refreshed.path("expiration").asText())
        .isGreaterThan(written.path("expiration").asText());

    // A key without a TTL (written before -ttl was set) gets one; one with a TTL loses it when
    // -ttl goes.
    EtcdSink withoutTtl = fixture.sink(uri, settings());
    assertThat(withoutTtl.sync(state(true, own("web-1", "web", "10.0.0.5", 8080))).updated())
        .isEqualTo(1);
    assertThat(keys(etcd, prefix).get(prefix + "/web/host1:web-1:8080").has("ttl")).isFalse();
  }

  @Test
  void writesNothingAtSteadyStateNorAfterABridgeRestart() throws Exception {
    ServiceInstance web = own("web-1", "web", "10.0.0.5", 8080);
    ServiceInstance api = own("api-1", "api", "10.0.0.6", 9090);
    EtcdSink sink = fixture.sink(uri, settings());
    sink.sync(state(true, web, api));

    long before = etcd.writes();
    assertThat(sink.sync(state(true, web, api))).isEqualTo(SyncResult.NOTHING);
    assertThat(sink.apply(Set.of(web.id(), api.id()), state(true, web, api)))
        .isEqualTo(SyncResult.NOTHING);
    EtcdSink restarted = fixture.sink(uri, settings());
    assertThat(restarted.sync(state(true, web, api))).isEqualTo(SyncResult.NOTHING);
    assertThat(etcd.writes()).isEqualTo(before);
  }

  @Test
  void appliesOnlyTheGivenIds() throws Exception {
    ServiceInstance web = own("web-1", "web", "10.0.0.5", 8080);
    ServiceInstance api = own("api-1", "api", "10.0.0.6", 9090);
    EtcdSink sink = fixture.sink(uri, settings());
    sink.sync(state(true, web));

    ServiceInstance moved = web.toBuilder().port(8081).build();
    SyncResult result = sink.apply(Set.of(web.id()), state(true, moved, api));

    assertThat(result).isEqualTo(new SyncResult(0, 1, 0));
    assertThat(values(etcd, prefix)).containsExactly(
        Map.entry(prefix + "/web/host1:web-1:8080", "10.0.0.5:8081"));
  }

  @Test
  void deletesOnlyItsOwnKeysAndNothingBeforeTheListing() throws Exception {
    etcd.request("PUT", V2KeyStore.path(prefix + "/web/other:web-2:80"), "value=10.0.0.9:80");
    etcd.request("PUT", V2KeyStore.path(prefix + "/web/by-hand"), "value=10.0.0.8:80");
    etcd.request("PUT", V2KeyStore.path(prefix + "/notes"), "value=x");
    etcd.request("PUT", V2KeyStore.path(prefix + "/a/b/host1:deep:80"), "value=x");
    etcd.request("PUT", V2KeyStore.path(prefix + "/web/host1:gone:80"), "value=10.0.0.1:80");
    ServiceInstance chosenId = ServiceInstance.builder("redis-1", "redis").address("10.0.0.3")
        .port(6379).origin("docker:redis").source("docker").build();
    EtcdSink sink = fixture.sink(uri, settings());
    assertThat(sink.sync(state(false, chosenId))).isEqualTo(new SyncResult(1, 0, 0));
    Map<String, String> all = values(etcd, prefix);
    assertThat(all).hasSize(6);

    // Incomplete: nothing goes, not even this host's.
    assertThat(sink.sync(state(false)).deleted()).isZero();
    assertThat(values(etcd, prefix)).isEqualTo(all);

    assertThat(sink.sync(state(true)).deleted()).isEqualTo(2);
    assertThat(values(etcd, prefix)).containsExactly(
        Map.entry(prefix + "/a/b/host1:deep:80", "x"),
        Map.entry(prefix + "/notes", "x"),
        Map.entry(prefix + "/web/by-hand", "10.0.0.8:80"),
        Map.entry(prefix + "/web/other:web-2:80", "10.0.0.9:80"));
  }

  @Test
  void aRenamedServiceMovesToItsNewKey() throws Exception {
    ServiceInstance web = own("web-1", "web", "10.0.0.5", 8080);
    EtcdSink sink = fixture.sink(uri, settings());
    sink.sync(state(true, web));

    ServiceInstance renamed = web.toBuilder().name("frontend").build();
    assertThat(sink.apply(Set.of(web.id()), state(false, renamed)))
        .isEqualTo(new SyncResult(1, 0, 1));
    assertThat(values(etcd, prefix)).containsExactly(
        Map.entry(prefix + "/frontend/host1:web-1:8080", "10.0.0.5:8080"));
  }

  @Test
  void aBadServiceIsLoggedWithItsKeyAndSkipped() throws Exception {
    ServiceInstance slash = own("x", "a/b", "10.0.0.5", 80);
    ServiceInstance noAddress = own("y", "quiet", "", 81);
    ServiceInstance good = own("web-1", "web", "10.0.0.5", 8080);
    EtcdSink sink = fixture.sink(uri, settings());
    try (LogCapture log = new LogCapture(EtcdSink.class)) {
      SyncResult result = sink.sync(state(true, slash, noAddress, good));
      sink.sync(state(true, slash, noAddress, good));

      assertThat(result.created()).isEqualTo(1);
      assertThat(log.lines()).containsExactly(
          "ERROR etcd-test: service host1:x:80 (docker:x) cannot be written at " + prefix
              + "/a/b/host1:x:80: the service name holds '/', which would nest the key a level"
              + " deeper; skipped until it changes",
          "ERROR etcd-test: service host1:y:81 (docker:y) cannot be written at " + prefix
              + "/quiet/host1:y:81: the service has no address (set -ip, or use -internal);"
              + " skipped until it changes");
    }
    assertThat(values(etcd, prefix)).containsOnlyKeys(prefix + "/web/host1:web-1:8080");
  }

  @Test
  void aKeyEtcdRefusesIsLoggedAndTheOthersAreWritten() throws Exception {
    // A directory where the key would go: etcd answers 403 "Not a file".
    etcd.request("PUT", V2KeyStore.path(prefix + "/web/host1:dir:80/inside"), "value=x");
    ServiceInstance blocked = own("dir", "web", "10.0.0.5", 80);
    ServiceInstance good = own("web-1", "web", "10.0.0.5", 8080);
    EtcdSink sink = fixture.sink(uri, settings());
    try (LogCapture log = new LogCapture(EtcdSink.class)) {
      SyncResult result = sink.sync(state(true, blocked, good));

      assertThat(result.created()).isEqualTo(1);
      assertThat(log.lines()).singleElement().asString()
          .startsWith("ERROR etcd-test: etcd refused to write " + prefix
              + "/web/host1:dir:80 of service host1:dir:80 (docker:dir): HTTP 403 Not a file");
    }
    assertThat(sink.sync(state(true, blocked, good))).isEqualTo(SyncResult.NOTHING);
  }

  /** A port nothing listens on: connections are refused at once. */
  static String deadEndpoint() throws java.io.IOException {
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      return "127.0.0.1:" + socket.getLocalPort();
    }
  }

  @Test
  void triesTheEndpointsInTurn() throws Exception {
    String dead = deadEndpoint();
    EtcdSink sink = fixture.sink("etcd://" + dead + "," + etcd.endpoint() + prefix, settings());

    sink.sync(state(true, own("web-1", "web", "10.0.0.5", 8080)));

    assertThat(values(etcd, prefix)).containsOnlyKeys(prefix + "/web/host1:web-1:8080");
  }

  @Test
  void noEndpointAnsweringIsAnOutage() throws Exception {
    String dead = deadEndpoint();
    EtcdSink sink = fixture.sink("etcd://" + dead + prefix, settings());

    assertThatThrownBy(() -> sink.sync(state(true)))
        .isInstanceOf(ControlPlaneUnavailableException.class)
        .hasMessageContaining("no etcd endpoint answered (1 tried; last: " + dead);
  }
}
