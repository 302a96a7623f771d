package io.registrybridge.sink.consul;

import static io.registrybridge.sink.consul.ConsulSinkTest.complete;

import static org.assertj.core.api.Assertions.assertThat;

import io.registrybridge.core.Health;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.SyncResult;
import java.time.Clock;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A mirrored Docker health check: one check per service, its status set by check updates. */
class ConsulSinkHealthTest {
  private static final String CHECK = "service:host-a:web-1:8080:docker-health";

  private final FakeConsulAgent agent = new FakeConsulAgent();
  private final ConsulSink sink = new ConsulSink(agent, ConsulSinkTest.config(),
      Clock.systemUTC());

  private static ServiceInstance webWith(Health.Status status, String output) {
    return ConsulSinkTest.web().toBuilder().health(new Health(status, output)).build();
  }

  @Test
  void registeredWithTheStatusAsATtlCheckThatOnlyTheSinkUpdates() {
    sink.sync(complete(webWith(Health.Status.WARNING, "")));

    var check = agent.registrations.get(ConsulSinkTest.web().id()).getChecks().stream()
        .filter(c -> c.getId().orElseThrow().equals(CHECK)).findFirst().orElseThrow();
    assertThat(check.getName()).contains("Docker health");
    assertThat(check.getTtl()).contains("8760h");
    assertThat(check.getStatus()).contains("warning");
    // One registration (after the lookup every create gets): a new check takes its status
    // from it, and there is no output yet to set.
    assertThat(agent.takeCalls()).containsExactly("services",
        "check-statuses Docker health", "register host-a:web-1:8080", "catalog-services");
  }

  @Test
  void aStatusChangeCostsOneCheckUpdateAndNoRegistration() {
    sink.sync(complete(webWith(Health.Status.PASSING, "ok")));
    agent.takeCalls();

    ServiceInstance unhealthy = webWith(Health.Status.CRITICAL, "connection refused");
    assertThat(sink.apply(Set.of(ConsulSinkTest.web().id()), complete(unhealthy)))
        .isEqualTo(new SyncResult(0, 1, 0));
    assertThat(agent.takeCalls()).containsExactly("critical " + CHECK);
    assertThat(agent.statuses).containsEntry(CHECK, Health.Status.CRITICAL);

    // Another probe output with the same status is not worth a write.
    assertThat(sink.apply(Set.of(ConsulSinkTest.web().id()),
        complete(webWith(Health.Status.CRITICAL, "timed out")))).isEqualTo(SyncResult.NOTHING);
    assertThat(agent.takeCalls()).isEmpty();
  }

  @Test
  void aFullSyncReadsTheStatusesOnceAndWritesNothingWhenTheyMatch() {
    sink.sync(complete(webWith(Health.Status.PASSING, "ok")));
    agent.takeCalls();

    assertThat(sink.sync(complete(webWith(Health.Status.PASSING, "ok"))))
        .isEqualTo(SyncResult.NOTHING);
    assertThat(agent.takeCalls()).containsExactly("services",
        "check-statuses Docker health");
  }

  @Test
  void aStatusChangedBehindTheSinksBackIsSetRightByTheNextFullSync() {
    sink.sync(complete(webWith(Health.Status.PASSING, "ok")));
    agent.statuses.put(CHECK, Health.Status.CRITICAL); // e.g. the TTL ran out
    agent.takeCalls();

    assertThat(sink.sync(complete(webWith(Health.Status.PASSING, "ok"))))
        .isEqualTo(new SyncResult(0, 1, 0));
    assertThat(agent.takeCalls()).containsExactly("services", "check-statuses Docker health",
        "pass " + CHECK);
  }

  @Test
  void withoutAnyMirroredHealthNoCheckIsRead() {
    sink.sync(complete(ConsulSinkTest.web()));

    assertThat(agent.takeCalls()).doesNotContain("check-statuses Docker health");
    assertThat(agent.registrations.get(ConsulSinkTest.web().id()).getChecks()).isEmpty();
  }

  @Test
  void aNewSinkOverAnUnchangedAgentLooksTheStatusUpInsteadOfWritingIt() {
    ServiceInstance web = webWith(Health.Status.CRITICAL, "refused");
    sink.sync(complete(web));
    agent.takeCalls();

    // A restart: the first full sync sees an empty index (no health wanted, so no check read),
    // then the first listing reports the container.
    ConsulSink restarted = new ConsulSink(agent, ConsulSinkTest.config(), Clock.systemUTC());
    assertThat(restarted.sync(ConsulSinkTest.state(false))).isEqualTo(SyncResult.NOTHING);
    assertThat(restarted.apply(Set.of(web.id()), complete(web))).isEqualTo(SyncResult.NOTHING);
    assertThat(restarted.apply(Set.of(web.id()), complete(web))).isEqualTo(SyncResult.NOTHING);

    assertThat(agent.takeCalls()).containsExactly("services", "catalog-services",
        "check-statuses Docker health");
  }

  @Test
  void aLookupThatFindsTheServiceOursAlreadyReadsItsStatusBeforeWriting() {
    ServiceInstance web = webWith(Health.Status.PASSING, "");
    sink.sync(complete(web));
    agent.takeCalls();

    ConsulSink restarted = new ConsulSink(agent, ConsulSinkTest.config(), Clock.systemUTC());
    assertThat(restarted.apply(Set.of(web.id()), complete(web))).isEqualTo(SyncResult.NOTHING);
    assertThat(agent.takeCalls()).containsExactly("service host-a:web-1:8080",
        "check-statuses Docker health");
  }
}
