package io.registrybridge.sink.consul;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.registrybridge.core.LogCapture;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.sink.consul.kv.ConsulKvSink;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

/** consulkv:// against a real Consul 1.8.7: Registrator's layout, exactly, and nothing else. */
@Testcontainers
class ConsulKvSinkIT {
  /** The owner mark of {@code host-a}: see {@code KvOwnershipTest}. */
  static final String MARK = "6077546133451906918";
  private static final Duration WAIT = Duration.ofSeconds(15);

  @Container static final GenericContainer<?> CONSUL =
      ConsulContainers.devAgent("log_level = \"WARN\"");

  private final String prefix = "kv-" + UUID.randomUUID().toString().substring(0, 8);
  private KvHttp kv;

  @BeforeEach
  void client() {
    kv = new KvHttp(ConsulContainers.httpUrl(CONSUL), Optional.empty());
  }

  private String uri() {
    return "consulkv://" + ConsulContainers.address(CONSUL) + "/" + prefix;
  }

  static ServiceInstance web1() {
    return ServiceInstance.builder("host-a:web-1:8080", "web").address("10.0.0.5").port(8080)
        .origin("docker:web-1").build();
  }

  static ServiceInstance web2() {
    return ServiceInstance.builder("host-a:web-2:8080", "web").address("10.0.0.6").port(8081)
        .origin("docker:web-2").build();
  }

  static ServiceInstance db(String name) {
    return ServiceInstance.builder("host-a:db-1:5432", name).address("fd00::5").port(5432)
        .origin("docker:db-1").build();
  }

  private static KvHttp.Entry ours(String value) {
    return new KvHttp.Entry(value, MARK);
  }

  private void awaitKeys(Map<String, KvHttp.Entry> expected) {
    await().atMost(WAIT).untilAsserted(() ->
        assertThat(kv.under(prefix)).isEqualTo(new java.util.TreeMap<>(expected)));
  }

  @Test
  void writesRegistratorsLayoutWithTheOwnerMarkInTheFlags() {
    ServiceInstance cache = ServiceInstance.builder("host-a:cache-1:6379", "cache").port(6379)
        .origin("docker:cache-1").build();
    try (KvRun run = new KvRun(uri(), Map.of(), false, Set.of("docker"))) {
      run.list("docker", Map.of("docker:web-1", List.of(web1()), "docker:web-2", List.of(web2()),
          "docker:db-1", List.of(db("db")), "docker:cache-1", List.of(cache)));
      // No address: the agent's own, as the Consul sink registers it.
      String agent = kv.agentAddress();
      awaitKeys(Map.of(
          prefix + "/web/host-a:web-1:8080", ours("10.0.0.5:8080"),
          prefix + "/web/host-a:web-2:8080", ours("10.0.0.6:8081"),
          prefix + "/db/host-a:db-1:5432", ours("[fd00::5]:5432"),
          prefix + "/cache/host-a:cache-1:6379", ours(agent + ":6379")));
    }
  }

  @Test
  void removalsAndRenamesLeaveExactlyTheDesiredKeysAndNoOneElsesKeyIsTouched() {
    kv.put(prefix + "/web/host-b:web-9:80", "1.2.3.4:80", "0");
    kv.put(prefix + "/README", "hand-written", "0");
    kv.put(prefix + "/web/host-a:web-2:8080", "9.9.9.9:1", "0"); // another writer's, desired ID
    kv.put(prefix + "-sibling/web/host-a:web-1:8080", "10.0.0.5:8080", MARK);
    try (KvRun run = new KvRun(uri(), Map.of(), false, Set.of("docker"));
        LogCapture log = new LogCapture(ConsulKvSink.class)) {
      run.list("docker", Map.of("docker:web-1", List.of(web1()), "docker:web-2", List.of(web2()),
          "docker:db-1", List.of(db("db"))));
      awaitKeys(Map.of(
          prefix + "/web/host-b:web-9:80", new KvHttp.Entry("1.2.3.4:80", "0"),
          prefix + "/README", new KvHttp.Entry("hand-written", "0"),
          prefix + "/web/host-a:web-2:8080", new KvHttp.Entry("9.9.9.9:1", "0"),
          prefix + "/web/host-a:web-1:8080", ours("10.0.0.5:8080"),
          prefix + "/db/host-a:db-1:5432", ours("[fd00::5]:5432")));
      assertThat(log.lines()).contains("ERROR consulkv: skipped host-a:web-2:8080 (docker:web-2), "
          + "key " + prefix + "/web/host-a:web-2:8080: the key belongs to another writer "
          + "(flags 0); left alone");

      run.update("docker", "docker:web-1", List.of());
      run.update("docker", "docker:db-1", List.of(db("postgres")));
      awaitKeys(Map.of(
          prefix + "/web/host-b:web-9:80", new KvHttp.Entry("1.2.3.4:80", "0"),
          prefix + "/README", new KvHttp.Entry("hand-written", "0"),
          prefix + "/web/host-a:web-2:8080", new KvHttp.Entry("9.9.9.9:1", "0"),
          prefix + "/postgres/host-a:db-1:5432", ours("[fd00::5]:5432")));
    }
    assertThat(kv.under(prefix + "-sibling"))
        .containsOnlyKeys(prefix + "-sibling/web/host-a:web-1:8080");
  }

  @Test
  void nothingIsRemovedBeforeEverySourceListedOnce() {
    kv.put(prefix + "/old/host-a:old-1:80", "10.0.0.9:80", MARK); // left by an earlier run
    try (KvRun run = new KvRun(uri(), Map.of(), false, Set.of("docker", "kubernetes"))) {
      run.list("docker", Map.of("docker:web-1", List.of(web1())));
      awaitKeys(Map.of(
          prefix + "/old/host-a:old-1:80", ours("10.0.0.9:80"),
          prefix + "/web/host-a:web-1:8080", ours("10.0.0.5:8080")));
      int syncs = run.syncs.get();
      run.reconciler.requestFullSync("test");
      await().atMost(WAIT).until(() -> run.syncs.get() > syncs);
      assertThat(kv.under(prefix)).containsKey(prefix + "/old/host-a:old-1:80");

      run.list("kubernetes", Map.of());
      awaitKeys(Map.of(prefix + "/web/host-a:web-1:8080", ours("10.0.0.5:8080")));
    }
  }

  @Test
  void withCleanupRegistratorsKeysOfThisHostAreTakenOverOrRemoved() {
    kv.put(prefix + "/web/host-a:web-1:8080", "10.0.0.5:8080", "0"); // Registrator's, desired
    kv.put(prefix + "/web/host-a:gone:80", "10.0.0.7:80", "0"); // Registrator's, container gone
    kv.put(prefix + "/web/host-b:web-1:8080", "10.0.1.5:8080", "0"); // another host's
    try (KvRun run = new KvRun(uri(), Map.of(), true, Set.of("docker"))) {
      run.list("docker", Map.of("docker:web-1", List.of(web1())));
      awaitKeys(Map.of(
          prefix + "/web/host-a:web-1:8080", ours("10.0.0.5:8080"),
          prefix + "/web/host-b:web-1:8080", new KvHttp.Entry("10.0.1.5:8080", "0")));
    }
  }

  @Test
  void aSteadyStateWritesNothingThroughFullSyncsAndRelistings() throws Exception {
    String target = ConsulContainers.httpUrl(CONSUL);
    try (CountingProxy proxy = new CountingProxy(target)) {
      String uri = proxy.consulUri().replace("consul://", "consulkv://") + "/" + prefix;
      Map<String, List<ServiceInstance>> listing = Map.of("docker:web-1", List.of(web1()),
          "docker:web-2", List.of(web2()), "docker:db-1", List.of(db("db")));
      try (KvRun run = new KvRun(uri, Map.of(), false, Set.of("docker"))) {
        run.list("docker", listing);
        await().atMost(WAIT).until(() -> kv.under(prefix).size() == 3);
        await().atMost(WAIT).until(() -> proxy.writes().size() == 3);
        assertThat(proxy.writes()).containsExactlyInAnyOrder(
            "PUT /v1/kv/" + prefix + "/web/host-a:web-1:8080 10.0.0.5:8080",
            "PUT /v1/kv/" + prefix + "/web/host-a:web-2:8080 10.0.0.6:8081",
            "PUT /v1/kv/" + prefix + "/db/host-a:db-1:5432 [fd00::5]:5432");

        int syncs = run.syncs.get();
        run.list("docker", listing);
        run.reconciler.requestFullSync("test");
        await().atMost(WAIT).until(() -> run.syncs.get() > syncs);
        assertThat(proxy.writes()).hasSize(3);
        assertThat(proxy.reads()).contains("GET /v1/kv/" + prefix + "/");
      }
      // A restarted bridge adopts its keys: one read, no write.
      try (KvRun run = new KvRun(uri, Map.of(), false, Set.of("docker"))) {
        run.list("docker", listing);
        await().atMost(WAIT).until(() -> run.reconciler.status().convergedOnce());
        assertThat(proxy.writes()).hasSize(3);
      }
    }
  }
}
