package io.registrybridge.sink.consul;

import static io.registrybridge.sink.consul.ConsulSinkTest.complete;
import static io.registrybridge.sink.consul.ConsulSinkTest.db;
import static io.registrybridge.sink.consul.ConsulSinkTest.state;
import static io.registrybridge.sink.consul.ConsulSinkTest.web;
import static org.assertj.core.api.Assertions.assertThat;

import io.registrybridge.core.DesiredState;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.SyncResult;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The incremental path: a change costs its own writes, and no read of the agent's services. */
class ConsulSinkIncrementalTest {
  private final FakeConsulAgent agent = new FakeConsulAgent();
  private final ConsulSink sink = new ConsulSink(agent, ConsulSinkTest.config(),
      Clock.systemUTC());

  private ConsulSink synced(ServiceInstance... instances) {
    sink.sync(complete(instances));
    agent.takeCalls();
    return sink;
  }

  @Test
  void aChangedServiceCostsOnePutAndNoRead() {
    synced(web(), db());
    ServiceInstance moved = web().toBuilder().port(9090).build();

    assertThat(sink.apply(Set.of(moved.id()), complete(moved, db())))
        .isEqualTo(new SyncResult(0, 1, 0));

    assertThat(agent.takeCalls()).containsExactly("register host-a:web-1:8080");
    assertThat(agent.services.get(moved.id()).port()).isEqualTo(9090);
  }

  @Test
  void anUnchangedServiceCostsNothing() {
    synced(web(), db());

    assertThat(sink.apply(Set.of(web().id(), db().id()), complete(web(), db())))
        .isEqualTo(SyncResult.NOTHING);
    assertThat(agent.takeCalls()).isEmpty();
  }

  @Test
  void aNewServiceOfOurFormIsRegisteredWithoutALookupOnceAFullReadShowedItFree() {
    synced(web());

    assertThat(sink.apply(Set.of(db().id()), complete(web(), db())))
        .isEqualTo(new SyncResult(1, 0, 0));
    // host-a:db-1:5432 is of this bridge's form: the full read listed every holder of one.
    assertThat(agent.takeCalls()).containsExactly("register host-a:db-1:5432");

    ServiceInstance moved = db().toBuilder().port(1).build();
    sink.apply(Set.of(db().id()), complete(web(), moved));
    // Written by this sink: its checks are known, and it had none, so nothing else is read.
    assertThat(agent.takeCalls()).containsExactly("register host-a:db-1:5432");
  }

  @Test
  void aNewServiceOfOurFormThatSomeoneElseHeldAtTheFullReadIsLeftAlone() {
    agent.putForeign("host-a:db-1:5432", "db", Map.of());
    synced(web());

    assertThat(sink.apply(Set.of(db().id()), complete(web(), db())))
        .isEqualTo(SyncResult.NOTHING);
    assertThat(agent.takeCalls()).isEmpty();
    assertThat(agent.services.get("host-a:db-1:5432").meta()).isEmpty();
  }

  @Test
  void aNewServiceWithAnIdOfAnotherFormIsLookedUpOnceThenRegistered() {
    synced(web());
    ServiceInstance primary = ServiceInstance.builder("db-primary", "db").port(5432).build();

    assertThat(sink.apply(Set.of(primary.id()), complete(web(), primary)))
        .isEqualTo(new SyncResult(1, 0, 0));
    assertThat(agent.takeCalls()).containsExactly("service db-primary", "register db-primary");
  }

  @Test
  void beforeAnyFullReadANewServiceOfOurFormIsLookedUp() {
    assertThat(sink.apply(Set.of(db().id()), complete(db())))
        .isEqualTo(new SyncResult(1, 0, 0));
    assertThat(agent.takeCalls()).containsExactly("service host-a:db-1:5432",
        "register host-a:db-1:5432");
  }

  @Test
  void anAgentThatRefusesTheNamespaceFilterIsAskedForOursAloneAndEveryNewIdIsLookedUp() {
    agent.refuseFilter = filter -> filter.contains(" matches ");
    synced(web());
    assertThat(agent.filters).hasSize(3); // refused, ours alone, the catalog node's

    assertThat(sink.apply(Set.of(db().id()), complete(web(), db())))
        .isEqualTo(new SyncResult(1, 0, 0));
    assertThat(agent.takeCalls()).containsExactly("service host-a:db-1:5432",
        "register host-a:db-1:5432");
    sink.sync(complete(web(), db()));
    assertThat(agent.filters.subList(3, agent.filters.size())).noneMatch(
        filter -> filter.contains(" matches "));
  }

  @Test
  void aRemovedServiceCostsOneDeleteOnceTheStateIsComplete() {
    synced(web(), db());

    assertThat(sink.apply(Set.of(db().id()), state(false, web()))).isEqualTo(SyncResult.NOTHING);
    assertThat(agent.takeCalls()).isEmpty();

    assertThat(sink.apply(Set.of(db().id()), complete(web()))).isEqualTo(new SyncResult(0, 0, 1));
    assertThat(agent.takeCalls()).containsExactly("deregister host-a:db-1:5432");
  }

  @Test
  void ourServiceFromAnEarlierRunIsAdoptedWithoutAWrite() {
    synced(web());
    ConsulSink restarted = new ConsulSink(agent, ConsulSinkTest.config(), Clock.systemUTC());

    assertThat(restarted.apply(Set.of(web().id()), complete(web()))).isEqualTo(SyncResult.NOTHING);
    assertThat(agent.takeCalls()).containsExactly("service host-a:web-1:8080");

    assertThat(restarted.apply(Set.of(web().id()), complete(web()))).isEqualTo(SyncResult.NOTHING);
    assertThat(agent.takeCalls()).isEmpty();
  }

  @Test
  void manyWritesGoOutSeveralAtATimeAndAllLand() {
    ConsulSink parallel = new ConsulSink(agent, ConsulSinkConfig.builder(
        "consul://127.0.0.1:8500", Map.of(), "host-a").writeConcurrency(4).build(),
        Clock.systemUTC());
    List<ServiceInstance> many = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      many.add(ServiceInstance.builder("host-a:c" + i + ":80", "svc-" + i).port(80).build());
    }
    DesiredState desired = DesiredState.of(many.stream()
        .collect(Collectors.toMap(ServiceInstance::id, Function.identity())), true, 1);

    assertThat(parallel.sync(desired)).isEqualTo(new SyncResult(200, 0, 0));
    assertThat(agent.services).hasSize(200);
    assertThat(parallel.sync(desired)).isEqualTo(SyncResult.NOTHING);
    parallel.close();
  }

  @Test
  void manyNewIdsInOneChangeCostOneReadOfTheOthersNotALookupEach() {
    synced(web());
    // IDs of another form (a SERVICE_ID each), which the full read does not cover.
    agent.putForeign("other:c7:80", "theirs", Map.of());
    List<ServiceInstance> many = new ArrayList<>(List.of(web()));
    for (int i = 0; i < 40; i++) {
      many.add(ServiceInstance.builder("other:c" + i + ":80", "svc-" + i).port(80).build());
    }
    Set<String> ids = many.stream().map(ServiceInstance::id).collect(Collectors.toSet());

    assertThat(sink.apply(ids, complete(many.toArray(ServiceInstance[]::new))))
        .isEqualTo(new SyncResult(39, 0, 0));

    List<String> calls = agent.takeCalls();
    assertThat(calls).filteredOn(call -> call.startsWith("service ")).isEmpty();
    assertThat(calls).filteredOn(call -> call.equals("services")).hasSize(1);
    assertThat(calls).filteredOn(call -> call.startsWith("register ")).hasSize(39);
    assertThat(agent.services.get("other:c7:80").name()).isEqualTo("theirs"); // not touched
  }
}
