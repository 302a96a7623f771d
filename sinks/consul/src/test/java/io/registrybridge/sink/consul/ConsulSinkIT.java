package io.registrybridge.sink.consul;

import io.registrybridge.core.LogCapture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.registrybridge.core.DesiredState;
import io.registrybridge.core.ServiceCheck;
import io.registrybridge.core.ServiceCheck.InitialStatus;
import io.registrybridge.core.ServiceCheck.Type;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.SyncResult;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

/** The sink against one real dev-mode Consul agent, emptied before every test. */
@Testcontainers
class ConsulSinkIT {
  private static final String OWNER = "host-a";

  @Container static final GenericContainer<?> CONSUL = ConsulContainers.devAgent();

  private ConsulHttp consul;
  private ConsulSink sink;

  @BeforeEach
  void emptyAgent() {
    consul = ConsulContainers.http(CONSUL);
    consul.services().keySet().forEach(consul::deregister);
    assertThat(consul.services()).isEmpty();
    sink = sink(config());
  }

  @AfterEach
  void closeSink() {
    sink.close();
  }

  static ConsulSinkConfig config() {
    return ConsulSinkConfig.fromUri(ConsulContainers.uri(CONSUL), Map.of(), OWNER);
  }

  static ConsulSink sink(ConsulSinkConfig config) {
    return ConsulSinkFactory.create(config);
  }

  static ServiceInstance web() {
    return ServiceInstance.builder("host-a:web-1:8080", "web")
        .address("10.0.0.5").port(8080).protocol("http")
        .tags(List.of("v2", "primary"))
        .meta(Map.of("team", "payments"))
        .checks(List.of(
            new ServiceCheck(Type.HTTP, "http://10.0.0.5:8080/health", Optional.empty(),
                Optional.of(Duration.ofSeconds(2)), Optional.empty(),
                Optional.of(Duration.ofMinutes(5)), Optional.empty(), true,
                Optional.of(InitialStatus.WARNING)),
            ServiceCheck.of(Type.TCP, "10.0.0.5:8080"),
            ServiceCheck.ttl(Duration.ofSeconds(30))))
        .build();
  }

  static ServiceInstance db() {
    return ServiceInstance.builder("host-a:db-1:5432", "db").port(5432).build();
  }

  static DesiredState state(boolean complete, ServiceInstance... instances) {
    return DesiredState.of(Arrays.stream(instances)
        .collect(Collectors.toMap(ServiceInstance::id, Function.identity())), complete, 1);
  }

  static DesiredState complete(ServiceInstance... instances) {
    return state(true, instances);
  }

  @Test
  void registersExactlyWhatIsDesired() {
    assertThat(sink.sync(complete(web(), db()))).isEqualTo(new SyncResult(2, 0, 0));

    Map<String, Map<String, Object>> services = consul.services();
    assertThat(services).containsOnlyKeys("host-a:web-1:8080", "host-a:db-1:5432");
    String webHash = new RegistrationMapper(OWNER, Optional.empty()).map(web()).hash();
    assertThat(services.get("host-a:web-1:8080"))
        .containsEntry("ID", "host-a:web-1:8080")
        .containsEntry("Service", "web")
        .containsEntry("Address", "10.0.0.5")
        .containsEntry("Port", 8080)
        .containsEntry("Tags", List.of("v2", "primary"))
        .containsEntry("Meta", Map.of("team", "payments", "protocol", "http",
            "registry-bridge-owner", OWNER, "registry-bridge-hash", webHash));
    assertThat(services.get("host-a:db-1:5432"))
        .containsEntry("Service", "db")
        .containsEntry("Address", "") // Consul uses the node's address
        .containsEntry("Port", 5432)
        .containsEntry("Tags", List.of())
        .containsEntry("Meta", Map.of("registry-bridge-owner", OWNER, "registry-bridge-hash",
            new RegistrationMapper(OWNER, Optional.empty()).map(db()).hash()));

    Map<String, Map<String, Object>> checks = consul.checks();
    assertThat(checks).containsOnlyKeys("service:host-a:web-1:8080:1",
        "service:host-a:web-1:8080:2", "service:host-a:web-1:8080:3");
    assertThat(checks.values()).allSatisfy(check ->
        assertThat(check).containsEntry("ServiceID", "host-a:web-1:8080"));
    assertThat(checks.get("service:host-a:web-1:8080:1")).containsEntry("Type", "http");
    assertThat(checks.get("service:host-a:web-1:8080:2")).containsEntry("Type", "tcp");
    assertThat(checks.get("service:host-a:web-1:8080:3"))
        .containsEntry("Type", "ttl")
        .containsEntry("Status", "critical"); // nobody passed it yet
  }

  @Test
  void aWeightReachesTheAgentAndAnInstanceWithoutOneKeepsConsulsDefaults() {
    ServiceInstance weighted = db().toBuilder().weight(22).build();
    assertThat(sink.sync(complete(web(), weighted))).isEqualTo(new SyncResult(2, 0, 0));

    assertThat(consul.services().get(weighted.id()))
        .containsEntry("Weights", Map.of("Passing", 22, "Warning", 1));
    assertThat(consul.services().get(web().id()))
        .containsEntry("Weights", Map.of("Passing", 1, "Warning", 1));
    // What Consul hands back is what was sent: the next sync writes nothing.
    assertThat(sink.sync(complete(web(), weighted))).isEqualTo(SyncResult.NOTHING);
  }

  @Test
  void writesNothingAtSteadyState() {
    sink.sync(complete(web(), db()));

    assertThat(sink.sync(complete(web(), db()))).isEqualTo(SyncResult.NOTHING);
    // A new sink (a restarted bridge) recognizes its own registrations too.
    try (ConsulSink restarted = sink(config())) {
      assertThat(restarted.sync(complete(web(), db()))).isEqualTo(SyncResult.NOTHING);
    }
  }

  @Test
  void updatesAChangedServiceInPlace() {
    sink.sync(complete(web(), db()));
    ServiceInstance changed = web().toBuilder().port(9090).tags(List.of("v3"))
        .checks(List.of(ServiceCheck.of(Type.TCP, "10.0.0.5:9090"))).build();

    assertThat(sink.sync(complete(changed, db()))).isEqualTo(new SyncResult(0, 1, 0));

    assertThat(consul.services().get("host-a:web-1:8080"))
        .containsEntry("Port", 9090)
        .containsEntry("Tags", List.of("v3"));
    assertThat(consul.checks()).containsOnlyKeys("service:host-a:web-1:8080:1");
    assertThat(consul.checks().get("service:host-a:web-1:8080:1")).containsEntry("Type", "tcp");
  }

  @Test
  void removesWhatIsNoLongerDesiredWithItsChecks() {
    sink.sync(complete(web(), db()));

    assertThat(sink.sync(complete(db()))).isEqualTo(new SyncResult(0, 0, 1));

    assertThat(consul.services()).containsOnlyKeys("host-a:db-1:5432");
    assertThat(consul.checks()).isEmpty();
  }

  @Test
  void neverDeletesWhileTheDesiredStateIsIncomplete() {
    sink.sync(complete(web(), db()));

    assertThat(sink.sync(state(false))).isEqualTo(SyncResult.NOTHING);

    assertThat(consul.services()).containsOnlyKeys("host-a:web-1:8080", "host-a:db-1:5432");
  }

  @Test
  void neverTouchesServicesItDoesNotOwn() {
    consul.register(Map.of("ID", "manual-1", "Name", "manual", "Port", 1234,
        "Meta", Map.of("version", "7")));
    consul.register(Map.of("ID", "host-a:registrator:80", "Name", "legacy", "Port", 80));
    consul.register(Map.of("ID", "host-b:web:80", "Name", "web", "Port", 80,
        "Meta", Map.of("registry-bridge-owner", "host-b")));
    consul.register(Map.of("ID", "host-a:db-1:5432", "Name", "squatter", "Port", 1));
    Map<String, Map<String, Object>> before = consul.services();

    assertThat(sink.sync(complete(web(), db()))).isEqualTo(new SyncResult(1, 0, 0));
    assertThat(sink.sync(complete())).isEqualTo(new SyncResult(0, 0, 1));

    assertThat(consul.services()).isEqualTo(before);
  }

  @Test
  void theWarmUpEncodesWithTheRealClientAndSendsNothing() throws Exception {
    try (CountingProxy proxy = new CountingProxy(ConsulContainers.httpUrl(CONSUL));
        ConsulSink proxied = sink(ConsulSinkConfig.fromUri(proxy.consulUri(), Map.of(), OWNER))) {
      proxied.warmUp(io.registrybridge.core.ColdPath.sample(OWNER + ":"));

      assertThat(proxy.reads()).isEmpty();
      assertThat(proxy.writes()).isEmpty();
      // Nothing of the sample stays in the sink either: the first sync writes what is desired.
      assertThat(proxied.sync(complete(db()))).isEqualTo(new SyncResult(1, 0, 0));
    }
    assertThat(consul.services()).containsOnlyKeys("host-a:db-1:5432");
  }

  @Test
  void theFullReadListsWhoeverHoldsAnIdOfOurFormSoACreateThereNeedsNoLookup() throws Exception {
    // A host name with the characters a regular expression would read otherwise: '.' and '-'.
    String owner = "rb.host-1";
    consul.register(Map.of("ID", "rb.host-1:taken:80", "Name", "squatter", "Port", 1));
    consul.register(Map.of("ID", "rbxhost-1:web:80", "Name", "lookalike", "Port", 2));
    ServiceInstance taken = ServiceInstance.builder("rb.host-1:taken:80", "taken").port(80).build();
    ServiceInstance fresh = ServiceInstance.builder("rb.host-1:fresh:80", "fresh").port(80).build();
    ServiceInstance lookalike =
        ServiceInstance.builder("rbxhost-1:web:80", "lookalike").port(80).build();

    try (CountingProxy proxy = new CountingProxy(ConsulContainers.httpUrl(CONSUL));
        ConsulSink named = sink(ConsulSinkConfig.fromUri(proxy.consulUri(), Map.of(), owner))) {
      assertThat(named.sync(complete(taken))).isEqualTo(SyncResult.NOTHING);
      // The real agent read the filter: the holder of an ID of our form came back, so the create
      // of another of that form goes out without a lookup; one of another form that someone
      // holds is still found by its lookup.
      assertThat(named.apply(java.util.Set.of(fresh.id(), lookalike.id()),
          complete(taken, fresh, lookalike))).isEqualTo(new SyncResult(1, 0, 0));
      assertThat(proxy.reads()).filteredOn(read -> read.startsWith("GET /v1/agent/service/"))
          .containsExactly("GET /v1/agent/service/rbxhost-1:web:80");
    }

    Map<String, Map<String, Object>> services = consul.services();
    assertThat(services).containsOnlyKeys("rb.host-1:taken:80", "rbxhost-1:web:80",
        "rb.host-1:fresh:80");
    assertThat(services.get("rb.host-1:taken:80")).containsEntry("Service", "squatter");
    assertThat(services.get("rbxhost-1:web:80")).containsEntry("Service", "lookalike");
    assertThat(services.get("rb.host-1:fresh:80").get("Meta").toString())
        .contains("registry-bridge-owner=" + owner);
  }

  @Test
  void legacyCleanupRemovesOnlyUnmarkedServicesWithThePrefix() {
    consul.register(Map.of("ID", "host-a:gone:80", "Name", "gone", "Port", 80));
    consul.register(Map.of("ID", "host-a:web-1:8080", "Name", "web", "Port", 8080));
    consul.register(Map.of("ID", "host-b:gone:80", "Name", "gone", "Port", 80));
    consul.register(Map.of("ID", "host-a:theirs:80", "Name", "theirs", "Port", 80,
        "Meta", Map.of("registry-bridge-owner", "host-b")));
    sink = sink(config().toBuilder().legacyCleanup("host-a:").build());

    assertThat(sink.sync(complete(web()))).isEqualTo(new SyncResult(0, 1, 1));

    assertThat(consul.services()).containsOnlyKeys("host-a:web-1:8080", "host-b:gone:80",
        "host-a:theirs:80");
    assertThat(consul.services().get("host-a:web-1:8080").get("Meta"))
        .isEqualTo(Map.of("team", "payments", "protocol", "http", "registry-bridge-owner", OWNER,
            "registry-bridge-hash", new RegistrationMapper(OWNER, Optional.empty()).map(web())
                .hash()));
  }

  @Test
  void oneRejectedRegistrationDoesNotStopTheOthers() {
    ServiceInstance badInterval = ServiceInstance.builder("host-a:bad:1", "bad").port(1)
        .checks(List.of(new ServiceCheck(Type.HTTP, "http://10.0.0.9/", Optional.of(Duration.ZERO),
            Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), false,
            Optional.empty())))
        .build();
    // Consul answers 500, not 400, for this one; it is still a per-service problem.
    ServiceInstance script = ServiceInstance.builder("host-a:script:1", "script").port(1)
        .checks(List.of(ServiceCheck.of(Type.SCRIPT, "true")))
        .build();

    try (LogCapture log = new LogCapture(ConsulSink.class)) {
      assertThat(sink.sync(complete(web(), badInterval, script, db())))
          .isEqualTo(new SyncResult(2, 0, 0));
      assertThat(log.lines()).filteredOn(line -> line.startsWith("ERROR")).containsExactly(
          "ERROR consul: Consul rejected the registration of host-a:bad:1 (HTTP 400); skipping "
              + "it until it changes or for 10 minutes: Consul request to [" + ConsulContainers.httpUrl(CONSUL)
              + "/v1/agent/service/register] failed with status [400]: Invalid check: Interval "
              + "must be > 0 for Script, HTTP, or TCP checks",
          "ERROR consul: Consul rejected the registration of host-a:script:1 (HTTP 500); "
              + "skipping it until it changes or for 10 minutes: Consul request to ["
              + ConsulContainers.httpUrl(CONSUL) + "/v1/agent/service/register] failed with status [500]: Scripts "
              + "are disabled on this agent from remote calls; to enable, configure "
              + "'enable_script_checks' to true");
    }
    assertThat(consul.services()).containsOnlyKeys("host-a:web-1:8080", "host-a:db-1:5432");
    // Not sent again: the next sync is the one read.
    assertThat(sink.sync(complete(web(), badInterval, script, db())))
        .isEqualTo(SyncResult.NOTHING);
  }

  @Test
  void bridgeTtlCheckTurnsCriticalWithoutHeartbeatAndPassesWithIt() {
    sink = sink(config().toBuilder().ttl(Duration.ofSeconds(2), Duration.ofSeconds(1)).build());
    sink.sync(complete(db()));
    String ttlCheck = "service:host-a:db-1:5432:ttl";
    assertThat(consul.checks().get(ttlCheck))
        .containsEntry("Type", "ttl")
        .containsEntry("Name", "registry-bridge TTL")
        .containsEntry("Status", "passing");

    await().atMost(Duration.ofSeconds(10))
        .until(() -> "critical".equals(consul.checks().get(ttlCheck).get("Status")));

    assertThat(sink.passTtlChecks()).isEqualTo(1);
    assertThat(consul.checks().get(ttlCheck)).containsEntry("Status", "passing");
  }
}
