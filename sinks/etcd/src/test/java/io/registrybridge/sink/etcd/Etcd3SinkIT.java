package io.registrybridge.sink.etcd;

import static io.registrybridge.sink.etcd.SinkFixture.own;
import static io.registrybridge.sink.etcd.SinkFixture.settings;
import static io.registrybridge.sink.etcd.SinkFixture.state;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.SinkContext;
import io.registrybridge.core.SyncResult;
import io.registrybridge.spi.DaemonSettings;
import io.registrybridge.spi.PreparedSink;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code etcd3://} against a real etcd 3.4, through its JSON gateway. */
class Etcd3SinkIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DaemonSettings TTL = settings(Map.of(),
      Optional.of(Duration.ofSeconds(30)), Optional.of(Duration.ofSeconds(10)));
  @RegisterExtension
  static final EtcdServer etcd = EtcdServer.perClass();
  @RegisterExtension
  final SinkFixture fixture = new SinkFixture();
  private String prefix;
  private String uri;

  @BeforeEach
  void newPrefix() {
    prefix = fixture.prefix("it3");
    uri = "etcd3://" + etcd.endpoint() + prefix;
  }

  /** Every key below {@code root/}: key to its kv (value, lease) as the gateway returns it. */
  static Map<String, JsonNode> kvs(EtcdServer etcd, String root) throws Exception {
    byte[] from = (root + "/").getBytes(StandardCharsets.UTF_8);
    String request = JSON.createObjectNode().put("key", b64(from))
        .put("range_end", b64(V3KeyStore.prefixEnd(from))).toString();
    Map<String, JsonNode> kvs = new TreeMap<>();
    for (JsonNode kv : JSON.readTree(etcd.request("POST", "/v3/kv/range", request))
        .path("kvs")) {
      kvs.put(decode(kv.path("key").asText()), kv);
    }
    return kvs;
  }

  static Map<String, String> values(EtcdServer etcd, String root) throws Exception {
    Map<String, String> values = new TreeMap<>();
    kvs(etcd, root).forEach((k, kv) -> values.put(k, decode(kv.path("value").asText(""))));
    return values;
  }

  private static String b64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }

  private static String decode(String b64) {
    return new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
  }

  private static JsonNode timeToLive(long lease) throws Exception {
    return JSON.readTree(etcd.request("POST", "/v3/lease/timetolive",
        "{\"ID\":\"" + lease + "\"}"));
  }

  @Test
  void writesTheLayoutWithoutLeaseAndNothingAtSteadyState() throws Exception {
    ServiceInstance web = own("web-1", "web", "10.0.0.5", 8080);
    EtcdSink sink = fixture.sink(uri, settings());
    assertThat(sink.sync(state(true, web))).isEqualTo(new SyncResult(1, 0, 0));

    assertThat(values(etcd, prefix))
        .containsExactly(Map.entry(prefix + "/web/host1:web-1:8080", "10.0.0.5:8080"));
    assertThat(kvs(etcd, prefix).values()).allSatisfy(kv -> assertThat(kv.has("lease"))
        .isFalse());

    long before = etcd.writes();
    assertThat(sink.sync(state(true, web))).isEqualTo(SyncResult.NOTHING);
    assertThat(sink.apply(Set.of(web.id()), state(true, web))).isEqualTo(SyncResult.NOTHING);
    assertThat(fixture.sink(uri, settings()).sync(state(true, web)))
        .isEqualTo(SyncResult.NOTHING);
    assertThat(etcd.writes()).isEqualTo(before);

    assertThat(sink.sync(state(true)).deleted()).isEqualTo(1);
    assertThat(values(etcd, prefix)).isEmpty();
  }

  @Test
  void withTtlEveryKeyIsOnOneLeaseKeptAliveWithOneRequest() throws Exception {
    ServiceInstance web = own("web-1", "web", "10.0.0.5", 8080);
    ServiceInstance api = own("api-1", "api", "10.0.0.6", 9090);
    EtcdSink sink = fixture.sink(uri, TTL);
    sink.sync(state(true, web, api));

    Map<String, JsonNode> kvs = kvs(etcd, prefix);
    long lease = kvs.get(prefix + "/web/host1:web-1:8080").path("lease").asLong();
    assertThat(kvs.values()).allSatisfy(kv -> assertThat(kv.path("lease").asLong())
        .isEqualTo(lease));
    assertThat(timeToLive(lease).path("grantedTTL").asLong()).isEqualTo(30);
    assertThat(timeToLive(lease).path("TTL").asLong()).isBetween(25L, 30L);

    long before = etcd.writes();
    sink.refreshTtl();
    assertThat(etcd.writes()).isEqualTo(before); // a keepalive is not a key write
    assertThat(timeToLive(lease).path("TTL").asLong()).isBetween(28L, 30L);

    // A restarted bridge adopts the live lease: nothing is written again.
    EtcdSink restarted = fixture.sink(uri, TTL);
    assertThat(restarted.sync(state(true, web, api))).isEqualTo(SyncResult.NOTHING);
    assertThat(etcd.writes()).isEqualTo(before);
  }

  @Test
  void aLostLeaseIsReplacedAndEveryKeyWrittenAgain() throws Exception {
    ServiceInstance web = own("web-1", "web", "10.0.0.5", 8080);
    ServiceInstance api = own("api-1", "api", "10.0.0.6", 9090);
    EtcdSink sink = fixture.sink(uri, TTL);
    AtomicReference<String> asked = new AtomicReference<>();
    sink.start(reason -> asked.set(reason));
    sink.sync(state(true, web, api));
    long lease = kvs(etcd, prefix).get(prefix + "/web/host1:web-1:8080").path("lease").asLong();

    etcd.request("POST", "/v3/lease/revoke", "{\"ID\":\"" + lease + "\"}");
    assertThat(values(etcd, prefix)).isEmpty();
    sink.refreshTtl();
    assertThat(asked.get()).contains("lease");

    assertThat(sink.sync(state(true, web, api)).created()).isEqualTo(2);
    Map<String, JsonNode> kvs = kvs(etcd, prefix);
    assertThat(kvs).containsOnlyKeys(prefix + "/api/host1:api-1:9090",
        prefix + "/web/host1:web-1:8080");
    long newLease = kvs.get(prefix + "/web/host1:web-1:8080").path("lease").asLong();
    assertThat(newLease).isNotEqualTo(lease);
    assertThat(kvs.values()).allSatisfy(kv -> assertThat(kv.path("lease").asLong())
        .isEqualTo(newLease));
  }

  @Test
  void keysOnItsLeaseAreItsOwnWhateverTheirId() throws Exception {
    ServiceInstance chosen = ServiceInstance.builder("redis-1", "redis").address("10.0.0.3")
        .port(6379).origin("docker:redis").source("docker").build();
    etcd.request("POST", "/v3/kv/put", JSON.createObjectNode()
        .put("key", V3KeyStore.b64(prefix + "/redis/by-hand"))
        .put("value", V3KeyStore.b64("10.0.0.9:6379")).toString());
    fixture.sink(uri, TTL).sync(state(true, chosen));

    assertThat(values(etcd, "/registry-bridge/owner")).containsKey(
        "/registry-bridge/owner/host1" + prefix);
    // Another run: it adopts the lease, so redis-1 (on it) is its own; by-hand is not.
    EtcdSink restarted = fixture.sink(uri, TTL);
    assertThat(restarted.sync(state(true)).deleted()).isEqualTo(1);
    assertThat(values(etcd, prefix))
        .containsExactly(Map.entry(prefix + "/redis/by-hand", "10.0.0.9:6379"));
  }

  @Test
  void keysRunOutWhenNothingKeepsThemAlive() throws Exception {
    DaemonSettings shortTtl = settings(Map.of(), Optional.of(Duration.ofSeconds(2)),
        Optional.of(Duration.ofSeconds(1)));
    PreparedSink.Built built = fixture.build(uri, shortTtl);
    EtcdSink sink = (EtcdSink) built.sink();
    sink.start(SinkContext.NONE);
    sink.sync(state(true, own("web-1", "web", "10.0.0.5", 8080)));
    await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
        .until(() -> values(etcd, prefix).size() == 1); // kept alive past its TTL

    // The bridge stops (its refresher with it): the lease runs out with the key.
    for (AutoCloseable companion : built.companions()) {
      companion.close();
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> values(etcd, prefix).isEmpty());
  }
}
