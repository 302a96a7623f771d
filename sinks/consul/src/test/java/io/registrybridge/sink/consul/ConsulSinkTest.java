package io.registrybridge.sink.consul;

import io.registrybridge.core.LogCapture;
import static io.registrybridge.sink.consul.FakeConsulAgent.answered;
import static io.registrybridge.sink.consul.FakeConsulAgent.unreachable;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.registrybridge.core.ControlPlaneUnavailableException;
import io.registrybridge.core.DesiredState;
import io.registrybridge.core.ServiceCheck;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.SyncResult;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ConsulSinkTest {
  static final String OWNER = "host-a";

  private final FakeConsulAgent agent = new FakeConsulAgent();
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-22T10:00:00Z"));
  private final LogCapture log = new LogCapture(ConsulSink.class);
  private ConsulSink sink = sink(config());

  @AfterEach
  void closeLog() {
    log.close();
  }

  static ConsulSinkConfig config() {
    // One write at a time, so that calls come in a fixed order.
    return ConsulSinkConfig.builder("consul://127.0.0.1:8500", Map.of(), OWNER)
        .writeConcurrency(1).build();
  }

  ConsulSink sink(ConsulSinkConfig config) {
    return new ConsulSink(agent, config, clock);
  }

  static ServiceInstance web() {
    return ServiceInstance.builder("host-a:web-1:8080", "web").address("10.0.0.5").port(8080)
        .protocol("http").meta(Map.of("team", "payments")).build();
  }

  static ServiceInstance db() {
    return ServiceInstance.builder("host-a:db-1:5432", "db").port(5432).build();
  }

  static DesiredState complete(ServiceInstance... instances) {
    return state(true, instances);
  }

  static DesiredState state(boolean complete, ServiceInstance... instances) {
    return DesiredState.of(Arrays.stream(instances)
        .collect(Collectors.toMap(ServiceInstance::id, Function.identity())), complete, 1);
  }

  @Test
  void registersWhatIsMissingThenOnlyReads() {
    assertThat(sink.sync(complete(web(), db()))).isEqualTo(new SyncResult(2, 0, 0));

    // Each ID the sink does not know is looked up first: a foreign service may hold it. The
    // default catalog node is read back once, in case an earlier run left something there.
    assertThat(agent.takeCalls()).containsExactly("services", "register host-a:db-1:5432",
        "register host-a:web-1:8080",
        "catalog-services");
    // The agent: ours and every holder of an ID of our form; the catalog node: ours.
    assertThat(agent.filters).containsExactly(
        "Meta[\"registry-bridge-owner\"] == \"host-a\" or ID matches \"^host\\\\x{2d}a:\"",
        "Meta[\"registry-bridge-owner\"] == \"host-a\"");
    assertThat(log.take()).containsExactly(
        "INFO consul: registered host-a:db-1:5432 (db :5432)",
        "INFO consul: registered host-a:web-1:8080 (web 10.0.0.5:8080)");
    assertThat(agent.services.get("host-a:web-1:8080").meta())
        .containsEntry("registry-bridge-owner", OWNER)
        .containsEntry("protocol", "http")
        .containsEntry("team", "payments")
        .containsKey("registry-bridge-hash");

    assertThat(sink.sync(complete(web(), db()))).isEqualTo(SyncResult.NOTHING);
    assertThat(agent.takeCalls()).containsExactly("services");
    assertThat(log.take()).isEmpty();
  }

  @Test
  void readsTheNodeAddressOnlyWhenACheckNeedsIt() {
    ServiceInstance published = ServiceInstance.builder("host-a:api-1:80", "api").port(32768)
        .checks(List.of(ServiceCheck.of(ServiceCheck.Type.TCP,
            ServiceCheck.NODE_ADDRESS + ":32768")))
        .build();

    sink.sync(complete(web()));
    assertThat(agent.takeCalls()).doesNotContain("self");

    sink.sync(complete(web(), published));
    assertThat(agent.takeCalls()).containsExactly("services", "self",
        "register host-a:api-1:80");
    assertThat(agent.registrations.get("host-a:api-1:80").getChecks())
        .extracting(c -> c.getTcp().orElseThrow()).containsExactly("192.0.2.10:32768");
  }

  @Test
  void updatesAServiceWhoseContentChanged() {
    sink.sync(complete(web(), db()));
    agent.takeCalls();
    log.take();

    ServiceInstance moved = web().toBuilder().port(9090).build();
    assertThat(sink.sync(complete(moved, db()))).isEqualTo(new SyncResult(0, 1, 0));

    assertThat(agent.takeCalls()).containsExactly("services", "register host-a:web-1:8080");
    assertThat(log.take()).containsExactly(
        "INFO consul: updated host-a:web-1:8080 (web 10.0.0.5:9090)");
    assertThat(agent.services.get("host-a:web-1:8080").port()).isEqualTo(9090);
  }

  @Test
  void removesChecksAnUpdateNoLongerHas() {
    ServiceInstance twoChecks = web().toBuilder().checks(List.of(
        ServiceCheck.of(ServiceCheck.Type.TCP, "10.0.0.5:8080"),
        ServiceCheck.of(ServiceCheck.Type.HTTP, "http://10.0.0.5:8080/"))).build();
    agent.putForeign("manual", "manual", Map.of());
    agent.checks.put("manual-check", "manual");
    sink.sync(complete(twoChecks, db()));
    agent.takeCalls();

    ServiceInstance oneCheck = twoChecks.toBuilder()
        .checks(List.of(ServiceCheck.of(ServiceCheck.Type.TCP, "10.0.0.5:8080"))).build();
    assertThat(sink.sync(complete(oneCheck, db()))).isEqualTo(new SyncResult(0, 1, 0));

    // The sink wrote the old definition itself, so it knows its checks without a read.
    assertThat(agent.takeCalls()).containsExactly("services", "register host-a:web-1:8080",
        "deregister-check service:host-a:web-1:8080:2");
    assertThat(agent.checks).containsOnlyKeys("service:host-a:web-1:8080:1", "manual-check");

    // A service it only read (another run wrote it) has its checks read on update.
    sink = sink(config());
    sink.sync(complete(oneCheck, db().toBuilder().port(1).build()));
    assertThat(agent.takeCalls()).containsExactly("services", "register host-a:db-1:5432",
        "checks host-a:db-1:5432", "catalog-services");
    sink.sync(complete());
    assertThat(agent.takeCalls()).containsExactly("services", "deregister host-a:db-1:5432",
        "deregister host-a:web-1:8080");
  }

  @Test
  void deregistersOwnServicesThatAreNoLongerDesired() {
    sink.sync(complete(web(), db()));
    agent.takeCalls();
    log.take();

    assertThat(sink.sync(complete(web()))).isEqualTo(new SyncResult(0, 0, 1));

    assertThat(agent.takeCalls()).containsExactly("services", "deregister host-a:db-1:5432");
    assertThat(log.take()).containsExactly("INFO consul: deregistered host-a:db-1:5432 (db :5432)");
    assertThat(agent.services).containsOnlyKeys("host-a:web-1:8080");
  }

  @Test
  void neverDeletesWhileTheDesiredStateIsIncomplete() {
    sink.sync(complete(web(), db()));
    agent.takeCalls();

    assertThat(sink.sync(state(false))).isEqualTo(SyncResult.NOTHING);
    assertThat(sink.sync(state(false, db().toBuilder().port(1).build())))
        .isEqualTo(new SyncResult(0, 1, 0));

    assertThat(agent.services).containsOnlyKeys("host-a:web-1:8080", "host-a:db-1:5432");
  }

  @Test
  void deletesWhatASourceReportedOnceThatSourceListedWhileAnotherIsStillDown() {
    ServiceInstance container = web().toBuilder().source("docker").build();
    ServiceInstance endpoint = db().toBuilder().source("kubernetes").build();
    ServiceInstance unmarked = ServiceInstance.builder("host-a:old-1:80", "old").port(80).build();
    sink.sync(complete(container, endpoint, unmarked));
    assertThat(agent.services.get(container.id()).meta())
        .containsEntry(ConsulMeta.SOURCE, "docker");
    agent.takeCalls();

    // A restart: Docker has listed (the container is gone), Kubernetes is still unreachable.
    sink = sink(config());
    DesiredState dockerListed = DesiredState.of(Map.of(), false, 2, Set.of("docker"));
    assertThat(sink.sync(dockerListed)).isEqualTo(new SyncResult(0, 0, 1));

    assertThat(agent.services).containsOnlyKeys(endpoint.id(), unmarked.id());
    assertThat(agent.takeCalls()).containsExactly("services", "deregister " + container.id(),
        "catalog-services");
  }

  @Test
  void registersAgainWhatTheAgentLost() {
    sink.sync(complete(web(), db()));
    agent.services.clear(); // a dev-mode agent restarted
    agent.takeCalls();

    assertThat(sink.sync(complete(web(), db()))).isEqualTo(new SyncResult(2, 0, 0));
    assertThat(agent.services).containsOnlyKeys("host-a:web-1:8080", "host-a:db-1:5432");
  }

  @Test
  void neverTouchesForeignServices() {
    agent.putForeign("consul", "consul", Map.of());
    agent.putForeign("manual-1", "manual", Map.of("version", "1"));
    agent.putForeign("host-a:old:80", "old", Map.of()); // legacy, but cleanup is off
    agent.putForeign("other-bridge-1", "web", Map.of("registry-bridge-owner", "host-b"));

    assertThat(sink.sync(complete(web()))).isEqualTo(new SyncResult(1, 0, 0));
    assertThat(sink.sync(complete())).isEqualTo(new SyncResult(0, 0, 1));

    assertThat(agent.services).containsOnlyKeys("consul", "manual-1", "host-a:old:80",
        "other-bridge-1");
    assertThat(agent.calls).noneMatch(call -> call.contains("manual-1")
        || call.contains("host-a:old:80") || call.contains("other-bridge-1")
        || call.endsWith(" consul"));
  }

  @Test
  void skipsADesiredServiceWhoseIdAForeignServiceHolds() {
    agent.putForeign("host-a:web-1:8080", "web", Map.of());

    assertThat(sink.sync(complete(web(), db()))).isEqualTo(new SyncResult(1, 0, 0));
    assertThat(sink.sync(complete(web(), db()))).isEqualTo(SyncResult.NOTHING);

    assertThat(agent.calls).doesNotContain("register host-a:web-1:8080");
    assertThat(agent.services.get("host-a:web-1:8080").meta()).isEmpty();
    // Found by the full read, which lists every holder of an ID of our form: warned at once.
    assertThat(log.take()).containsExactly(
        "WARN consul: not registering host-a:web-1:8080: a service with this ID that "
            + "registry-bridge does not own is already on the agent",
        "INFO consul: registered host-a:db-1:5432 (db :5432)");

    agent.services.remove("host-a:web-1:8080"); // its owner removed it
    assertThat(sink.sync(complete(web(), db()))).isEqualTo(new SyncResult(1, 0, 0));
    assertThat(agent.services.get("host-a:web-1:8080").meta())
        .containsEntry("registry-bridge-owner", OWNER);
  }

  @Test
  void legacyCleanupRemovesAndTakesOverRegistratorServices() {
    sink = sink(config().toBuilder().legacyCleanup("host-a:").build());
    agent.putForeign("host-a:gone:80", "gone", Map.of());
    agent.putForeign("host-a:web-1:8080", "web", Map.of());
    agent.putForeign("host-b:gone:80", "gone", Map.of());
    agent.putForeign("manual", "manual", Map.of());

    assertThat(sink.sync(complete(web()))).isEqualTo(new SyncResult(0, 1, 1));

    assertThat(agent.services).containsOnlyKeys("host-a:web-1:8080", "host-b:gone:80", "manual");
    assertThat(agent.services.get("host-a:web-1:8080").meta())
        .containsEntry("registry-bridge-owner", OWNER);
    // The catalog node never has legacy registrations.
    assertThat(agent.filters).containsExactly("Meta[\"registry-bridge-owner\"] == \"host-a\""
        + " or \"registry-bridge-owner\" not in Meta or ID matches \"^host\\\\x{2d}a:\"",
        "Meta[\"registry-bridge-owner\"] == \"host-a\"");
    assertThat(log.take()).containsExactly(
        "INFO consul: deregistered host-a:gone:80 (gone :80), a legacy registration",
        "INFO consul: updated host-a:web-1:8080 (web 10.0.0.5:8080)");
  }

  @Test
  void legacyCleanupWaitsForACompleteDesiredState() {
    sink = sink(config().toBuilder().legacyCleanup("host-a:").build());
    agent.putForeign("host-a:gone:80", "gone", Map.of());

    assertThat(sink.sync(state(false))).isEqualTo(SyncResult.NOTHING);
    assertThat(agent.services).containsOnlyKeys("host-a:gone:80");
  }

  @Test
  void skipsARejectedRegistrationAndWritesTheOthers() {
    ServiceInstance bad = ServiceInstance.builder("host-a:bad:1", "bad").port(1).build();
    agent.registerFailures.put("host-a:bad:1", answered(400,
        "Consul request to [http://127.0.0.1:8500/v1/agent/service/register] failed with status "
            + "[400]: Invalid check: Interval must be > 0 for Script, HTTP, or TCP checks"));

    assertThat(sink.sync(complete(web(), bad, db()))).isEqualTo(new SyncResult(2, 0, 0));

    assertThat(agent.takeCalls()).containsExactly("services", "register host-a:bad:1",
        "register host-a:db-1:5432", "register host-a:web-1:8080", "catalog-services");
    assertThat(log.take()).containsExactly(
        "ERROR consul: Consul rejected the registration of host-a:bad:1 (HTTP 400); skipping it "
            + "until it changes or for 10 minutes: Consul request to "
            + "[http://127.0.0.1:8500/v1/agent/service/register] failed with status [400]: "
            + "Invalid check: Interval must be > 0 for Script, HTTP, or TCP checks",
        "INFO consul: registered host-a:db-1:5432 (db :5432)",
        "INFO consul: registered host-a:web-1:8080 (web 10.0.0.5:8080)");

    // Not sent again while it stays the same...
    clock.advance(Duration.ofMinutes(9));
    assertThat(sink.sync(complete(web(), bad, db()))).isEqualTo(SyncResult.NOTHING);
    assertThat(agent.takeCalls()).containsExactly("services");
    assertThat(log.take()).isEmpty();

    // ...but as soon as it changes,
    ServiceInstance changed = bad.toBuilder().port(2).build();
    assertThat(sink.sync(complete(web(), changed, db()))).isEqualTo(SyncResult.NOTHING);
    assertThat(agent.takeCalls()).containsExactly("services", "register host-a:bad:1");

    // ...and again after ten minutes, in case the agent's configuration changed.
    clock.advance(Duration.ofMinutes(9));
    sink.sync(complete(web(), changed, db()));
    assertThat(agent.takeCalls()).containsExactly("services");
    clock.advance(Duration.ofMinutes(1));
    agent.registerFailures.clear();
    assertThat(sink.sync(complete(web(), changed, db()))).isEqualTo(new SyncResult(1, 0, 0));
    assertThat(agent.takeCalls()).containsExactly("services", "register host-a:bad:1");
  }

  @Test
  void treatsForbiddenAndDisabledScriptsAsRejections() {
    ServiceInstance forbidden = ServiceInstance.builder("forbidden", "secret-svc").build();
    ServiceInstance script = ServiceInstance.builder("script", "s")
        .checks(List.of(ServiceCheck.of(ServiceCheck.Type.SCRIPT, "true"))).build();
    agent.registerFailures.put("forbidden", answered(403, "Permission denied"));
    agent.registerFailures.put("script", answered(500, "Scripts are disabled on this agent "
        + "from remote calls; to enable, configure 'enable_script_checks' to true"));

    assertThat(sink.sync(complete(forbidden, script, db()))).isEqualTo(new SyncResult(1, 0, 0));
    agent.takeCalls();
    assertThat(sink.sync(complete(forbidden, script, db()))).isEqualTo(SyncResult.NOTHING);
    assertThat(agent.takeCalls()).containsExactly("services");
  }

  @Test
  void redactsMetaValuesThatConsulQuotesInItsError() {
    ServiceInstance leaky = ServiceInstance.builder("leaky", "leaky")
        .meta(Map.of("consul-token", "hunter2-secret")).build();
    agent.registerFailures.put("leaky", answered(400, "Invalid Service Meta: Couldn't load "
        + "metadata pair ('consul-token', 'hunter2-secret'): Key prefix 'consul-' is reserved"));

    sink.sync(complete(leaky));

    assertThat(log.take()).containsExactly("ERROR consul: Consul rejected the registration of "
        + "leaky (HTTP 400); skipping it until it changes or for 10 minutes: Invalid Service "
        + "Meta: Couldn't load metadata pair ('consul-token', '<redacted>'): Key prefix "
        + "'consul-' is reserved");
  }

  @Test
  void aServerErrorBacksTheWholeSinkOff() {
    RuntimeException failure = FakeConsulAgent.failed(500, "rpc error: No cluster leader");
    agent.registerFailures.put("host-a:db-1:5432", failure);

    assertThatThrownBy(() -> sink.sync(complete(web(), db())))
        .isInstanceOf(ControlPlaneUnavailableException.class).isSameAs(failure)
        .hasMessageContaining("HTTP 500").hasMessageContaining("No cluster leader");
    assertThat(agent.takeCalls()).containsExactly("services", "register host-a:db-1:5432");
  }

  @Test
  void tooManyRequestsBacksTheWholeSinkOff() {
    agent.registerFailures.put("host-a:db-1:5432", FakeConsulAgent.failed(429, "slow down"));

    assertThatThrownBy(() -> sink.sync(complete(db())))
        .isInstanceOf(ControlPlaneUnavailableException.class);
  }

  @Test
  void aNotFoundOnARegistrationIsARejectionOfThatIdAlone() {
    agent.registerFailures.put("host-a:db-1:5432", FakeConsulAgent.failed(404, "no such ACL"));

    assertThat(sink.sync(complete(web(), db()))).isEqualTo(new SyncResult(1, 0, 0));
    assertThat(log.take()).first().asString().startsWith("ERROR consul: Consul rejected the "
        + "registration of host-a:db-1:5432 (HTTP 404)");
  }

  @Test
  void anExceptionWhileSendingOneRegistrationRejectsThatIdAndTheOthersFlow() {
    ServiceInstance bad = ServiceInstance.builder("host-a:bad:1", "bad").origin("docker:bad")
        .meta(Map.of("password", "hunter2-secret")).build();
    ServiceInstance lookupFails = ServiceInstance.builder("host-b:odd:1", "odd")
        .origin("docker:odd").build();
    // Retrofit's path guard, a serialization error: not Consul, and about one ID.
    agent.registerFailures.put("host-a:bad:1", new IllegalStateException(
        "cannot convert a Consul request or answer: value hunter2-secret"));
    agent.lookupFailures.put("host-b:odd:1", new IllegalArgumentException(
        "@Path parameters shouldn't perform path traversal ('.' or '..')"));

    assertThat(sink.sync(complete(web(), bad, lookupFails, db())))
        .isEqualTo(new SyncResult(2, 0, 0));

    assertThat(agent.services).containsOnlyKeys("host-a:web-1:8080", "host-a:db-1:5432");
    assertThat(log.take()).containsExactly(
        "ERROR consul: could not register host-a:bad:1 from docker:bad: "
            + "java.lang.IllegalStateException: cannot convert a Consul request or answer: "
            + "value <redacted>; skipping it until it changes or for 10 minutes",
        "INFO consul: registered host-a:db-1:5432 (db :5432)",
        "INFO consul: registered host-a:web-1:8080 (web 10.0.0.5:8080)",
        // Looked up first: the ID is not of this bridge's form (host-a:...).
        "ERROR consul: could not register host-b:odd:1 from docker:odd: "
            + "java.lang.IllegalArgumentException: @Path parameters shouldn't perform path "
            + "traversal ('.' or '..'); skipping it until it changes or for 10 minutes");

    // Not sent again while unchanged; sent again once changed.
    agent.takeCalls();
    assertThat(sink.sync(complete(web(), bad, lookupFails, db())))
        .isEqualTo(SyncResult.NOTHING);
    assertThat(agent.takeCalls()).containsExactly("services");
    agent.registerFailures.clear();
    ServiceInstance fixed = bad.toBuilder().port(2).build();
    assertThat(sink.apply(Set.of(bad.id()), complete(web(), fixed, lookupFails, db())))
        .isEqualTo(new SyncResult(1, 0, 0));
  }

  @Test
  void anExceptionWhilePlanningOneIdRejectsThatIdAndTheOthersFlow() {
    ServiceInstance needsAddress = ServiceInstance.builder("host-a:chk:1", "chk")
        .origin("docker:chk").checks(List.of(ServiceCheck.of(ServiceCheck.Type.TCP,
            ServiceCheck.NODE_ADDRESS + ":80"))).build();
    agent.nodeAddressFailure = new IllegalStateException("the agent's address cannot be parsed");

    assertThat(sink.sync(complete(web(), needsAddress))).isEqualTo(new SyncResult(1, 0, 0));
    assertThat(log.take()).containsExactly(
        "ERROR consul: cannot register host-a:chk:1 from docker:chk: "
            + "java.lang.IllegalStateException: the agent's address cannot be parsed; skipping "
            + "it until it changes or for 10 minutes",
        "INFO consul: registered host-a:web-1:8080 (web 10.0.0.5:8080)");
    assertThat(sink.sync(complete(web(), needsAddress))).isEqualTo(SyncResult.NOTHING);
    assertThat(log.take()).isEmpty();
  }

  @Test
  void anExceptionWhileDeregisteringOneIdLeavesItAndTheOthersFlow() {
    // Registered by hand with our owner mark; Retrofit refuses '..' in a path.
    agent.services.put("..", new AgentService("..", "odd", "", 1, List.of(),
        Map.of("registry-bridge-owner", OWNER)));
    agent.deregisterFailures.put("..", new IllegalArgumentException(
        "@Path parameters shouldn't perform path traversal ('.' or '..')"));

    assertThat(sink.sync(complete(web(), db()))).isEqualTo(new SyncResult(2, 0, 0));
    assertThat(agent.takeCalls()).containsExactly("services", "deregister ..",
        "register host-a:db-1:5432", "register host-a:web-1:8080", "catalog-services");
    assertThat(log.take()).containsExactly(
        "ERROR consul: could not deregister ..: java.lang.IllegalArgumentException: @Path "
            + "parameters shouldn't perform path traversal ('.' or '..'); trying again in 10 "
            + "minutes",
        "INFO consul: registered host-a:db-1:5432 (db :5432)",
        "INFO consul: registered host-a:web-1:8080 (web 10.0.0.5:8080)");

    assertThat(sink.sync(complete(web()))).isEqualTo(new SyncResult(0, 0, 1));
    assertThat(agent.takeCalls()).containsExactly("services", "deregister host-a:db-1:5432");
  }

  @Test
  void aBulkWriteIsolatesAnExceptionToItsOpAndWaitsForEveryWrite() {
    sink = sink(config().toBuilder().writeConcurrency(4).build());
    List<ServiceInstance> many = new java.util.ArrayList<>();
    for (int i = 0; i < 10; i++) {
      many.add(ServiceInstance.builder("host-a:svc-" + i + ":80", "svc").port(80).build());
    }
    agent.registerFailures.put("host-a:svc-3:80", new IllegalArgumentException("bad ID"));
    agent.registerFailures.put("host-a:svc-7:80", FakeConsulAgent.failed(400, "Invalid"));

    assertThat(sink.sync(complete(many.toArray(ServiceInstance[]::new))))
        .isEqualTo(new SyncResult(8, 0, 0));
    assertThat(agent.services).hasSize(8).doesNotContainKeys("host-a:svc-3:80",
        "host-a:svc-7:80");
    assertThat(log.take()).filteredOn(line -> line.startsWith("ERROR")).containsExactly(
        "ERROR consul: could not register host-a:svc-3:80: java.lang.IllegalArgumentException: "
            + "bad ID; skipping it until it changes or for 10 minutes",
        "ERROR consul: Consul rejected the registration of host-a:svc-7:80 (HTTP 400); "
            + "skipping it until it changes or for 10 minutes: Invalid");
  }

  @Test
  void aFailedHealthUpdateRegistersTheServiceAgainLater() {
    ServiceInstance web = web().toBuilder()
        .health(new io.registrybridge.core.Health(io.registrybridge.core.Health.Status.PASSING,
            "")).build();
    sink.sync(complete(web));
    String check = RegistrationMapper.healthCheckId(web.id());
    agent.passFailures.put(check, FakeConsulAgent.failed(500,
        "CheckID \"" + check + "\" does not have associated TTL"));
    agent.takeCalls();
    log.take();
    ServiceInstance sick = web.toBuilder().health(new io.registrybridge.core.Health(
        io.registrybridge.core.Health.Status.CRITICAL, "")).build();

    assertThat(sink.apply(Set.of(web.id()), complete(sick)))
        .isEqualTo(new SyncResult(0, 0, 0, Set.of(web.id())));
    assertThat(log.take()).containsExactly("WARN consul: could not update the health check of "
        + "host-a:web-1:8080 (HTTP 500), registering it again later: CheckID \"" + check
        + "\" does not have associated TTL");

    agent.passFailures.clear();
    agent.takeCalls();
    assertThat(sink.apply(Set.of(web.id()), complete(sick))).isEqualTo(new SyncResult(0, 1, 0));
    assertThat(agent.takeCalls()).containsExactly("register host-a:web-1:8080",
        "checks host-a:web-1:8080", "critical " + check);
  }

  @Test
  void noAnswerStopsTheSyncAtOnce() {
    RuntimeException failure = unreachable();
    agent.registerFailures.put("host-a:db-1:5432", failure);

    assertThatThrownBy(() -> sink.sync(complete(web(), db()))).isSameAs(failure);

    assertThat(agent.takeCalls()).containsExactly("services", "register host-a:db-1:5432");
  }

  @Test
  void failedReadThrowsWithoutWriting() {
    agent.servicesFailure = unreachable();

    assertThatThrownBy(() -> sink.sync(complete(web()))).isSameAs(agent.servicesFailure);
    assertThat(agent.takeCalls()).containsExactly("services");
  }

  @Test
  void aFullReadConsulRefusesBacksTheWholeSinkOff() {
    agent.servicesFailure = FakeConsulAgent.failed(403, "ACL not found");

    assertThatThrownBy(() -> sink.sync(complete(web())))
        .isInstanceOf(ControlPlaneUnavailableException.class)
        .hasMessage("Consul refuses to list our services on the agent (HTTP 403): ACL not found")
        .cause().isSameAs(agent.servicesFailure);
    assertThat(agent.takeCalls()).containsExactly("services");
  }

  @Test
  void aGarbageHashInTheReadIsRepairedWithoutStoppingTheOthers() {
    sink.sync(complete(web(), db()));
    AgentService db = agent.services.get(db().id());
    Map<String, String> garbled = new java.util.HashMap<>(db.meta());
    garbled.put("registry-bridge-hash", "\u0000not a hash%%");
    agent.services.put(db.id(), new AgentService(db.id(), db.name(), db.address(), db.port(),
        db.tags(), garbled));
    agent.takeCalls();

    assertThat(sink.sync(complete(web(), db()))).isEqualTo(new SyncResult(0, 1, 0));
    assertThat(agent.takeCalls()).containsExactly("services", "register host-a:db-1:5432",
        "checks host-a:db-1:5432");
  }

  @Test
  void refusedDeregistrationIsLoggedAndRetriedLater() {
    sink.sync(complete(web(), db()));
    agent.takeCalls();
    log.take();
    agent.deregisterFailures.put("host-a:db-1:5432",
        answered(403, "Permission denied: Missing service:write on db"));

    assertThat(sink.sync(complete(web()))).isEqualTo(SyncResult.NOTHING);
    assertThat(log.take()).containsExactly("ERROR consul: Consul refused to deregister "
        + "host-a:db-1:5432 (HTTP 403); trying again in 10 minutes: Permission denied: Missing "
        + "service:write on db");
    assertThat(sink.sync(complete(web()))).isEqualTo(SyncResult.NOTHING);
    assertThat(agent.takeCalls()).containsExactly("services", "deregister host-a:db-1:5432",
        "services");

    clock.advance(Duration.ofMinutes(10));
    agent.deregisterFailures.clear();
    assertThat(sink.sync(complete(web()))).isEqualTo(new SyncResult(0, 0, 1));
  }

  @Test
  void serviceAlreadyGoneIsNotCountedAsDeleted() {
    sink.sync(complete(web()));
    agent.deregisterFailures.put("host-a:web-1:8080", answered(404, "Unknown service ID"));

    assertThat(sink.sync(complete())).isEqualTo(SyncResult.NOTHING);
  }

  @Test
  void logsWhatConsulWillNotGetWhenItWrites() {
    ServiceInstance post = ServiceInstance.builder("post", "post").checks(List.of(
        new ServiceCheck(ServiceCheck.Type.HTTP, "http://x/", Optional.empty(), Optional.empty(),
            Optional.empty(), Optional.empty(), Optional.of("POST"), false, Optional.empty())))
        .build();

    sink.sync(complete(post));
    sink.sync(complete(post));

    assertThat(log.take()).containsExactly("INFO consul: registered post (post :0)",
        "WARN consul: post: check 1 asks for HTTP method POST, but consul-client cannot send a "
            + "method; Consul will use GET");
  }

  @Test
  void passesTtlChecksOfRegisteredServicesOnly() {
    sink = sink(config().toBuilder().ttl(Duration.ofSeconds(30), Duration.ofSeconds(10)).build());
    assertThat(sink.passTtlChecks()).isZero(); // nothing registered yet
    agent.putForeign("host-a:web-1:8080", "web", Map.of());
    ServiceInstance rejected = ServiceInstance.builder("rejected", "r").build();
    agent.registerFailures.put("rejected", answered(400, "no"));
    sink.sync(complete(web(), db(), rejected));
    agent.takeCalls();

    assertThat(sink.passTtlChecks()).isEqualTo(1);
    assertThat(agent.takeCalls()).containsExactly("pass service:host-a:db-1:5432:ttl");

    agent.services.remove("host-a:web-1:8080");
    sink.sync(complete(web(), db(), rejected));
    agent.takeCalls();
    assertThat(sink.passTtlChecks()).isEqualTo(2);
    assertThat(agent.takeCalls()).containsExactlyInAnyOrder("pass service:host-a:db-1:5432:ttl",
        "pass service:host-a:web-1:8080:ttl");

    sink.sync(complete(web()));
    agent.takeCalls();
    assertThat(sink.passTtlChecks()).isEqualTo(1);
    assertThat(agent.takeCalls()).containsExactly("pass service:host-a:web-1:8080:ttl");
  }

  @Test
  void ttlPassSkipsALostCheckButStopsWhenTheAgentIsGone() {
    sink = sink(config().toBuilder().ttl(Duration.ofSeconds(30), Duration.ofSeconds(10)).build());
    sink.sync(complete(web(), db()));
    agent.passFailures.put("service:host-a:db-1:5432:ttl",
        answered(500, "CheckID \"service:host-a:db-1:5432:ttl\" does not have associated TTL"));

    assertThat(sink.passTtlChecks()).isEqualTo(1);

    agent.passFailures.put("service:host-a:web-1:8080:ttl", unreachable());
    agent.passFailures.put("service:host-a:db-1:5432:ttl", unreachable());
    assertThatThrownBy(sink::passTtlChecks)
        .isInstanceOf(ControlPlaneUnavailableException.class);
  }

  @Test
  void ttlPassIsolatesAnUnexpectedExceptionToItsCheck() {
    sink = sink(config().toBuilder().ttl(Duration.ofSeconds(30), Duration.ofSeconds(10)).build());
    sink.sync(complete(web(), db()));
    agent.passFailures.put("service:host-a:db-1:5432:ttl", new IllegalArgumentException("bad"));
    log.take();

    assertThat(sink.passTtlChecks()).isEqualTo(1);
    assertThat(sink.passTtlChecks()).isEqualTo(1);
    assertThat(log.take()).containsExactly("WARN consul: cannot pass the TTL check of "
        + "host-a:db-1:5432: java.lang.IllegalArgumentException: bad");
  }

  @Test
  void withoutTtlNothingIsPassed() {
    sink.sync(complete(web()));
    agent.takeCalls();

    assertThat(sink.passTtlChecks()).isZero();
    assertThat(agent.takeCalls()).isEmpty();
  }

  @Test
  void closeReleasesTheAgent() {
    sink.close();
    assertThat(agent.closed).isTrue();
    assertThat(sink.name()).isEqualTo("consul");
  }

  /** A clock the test moves by hand. */
  static final class MutableClock extends Clock {
    private Instant now;

    MutableClock(Instant now) {
      this.now = now;
    }

    void advance(Duration duration) {
      now = now.plus(duration);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }
}
