package io.registrybridge.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class DesiredStateStoreTest {

  private static ServiceInstance instance(String id, String origin) {
    return ServiceInstance.builder(id, "web").address("10.0.0.1").port(80).origin(origin).build();
  }

  @Test
  void isIncompleteUntilEverySourceListedOnce() {
    DesiredStateStore store = new DesiredStateStore(Set.of("docker", "kubernetes"));
    store.listenerFor("docker").replaceAll(Map.of("c1", List.of(instance("a", "c1"))));
    assertThat(store.snapshot().complete()).isFalse();
    assertThat(store.snapshot().services()).containsOnlyKeys("a");

    store.listenerFor("kubernetes").replaceAll(Map.of());
    assertThat(store.snapshot().complete()).isTrue();
  }

  @Test
  void updatesReplaceOneOriginAndEmptyListsRemoveIt() {
    DesiredStateStore store = new DesiredStateStore(Set.of("docker"));
    SourceListener docker = store.listenerFor("docker");
    docker.replaceAll(Map.of("c1", List.of(instance("a", "c1")), "c2",
        List.of(instance("b", "c2"))));

    docker.update("c1", List.of(instance("a2", "c1")));
    assertThat(store.snapshot().services()).containsOnlyKeys("a2", "b");

    docker.update("c2", List.of());
    assertThat(store.snapshot().services()).containsOnlyKeys("a2");
  }

  @Test
  void replaceAllDropsOriginsThatAreGone() {
    DesiredStateStore store = new DesiredStateStore(Set.of("docker"));
    SourceListener docker = store.listenerFor("docker");
    docker.replaceAll(Map.of("c1", List.of(instance("a", "c1"))));
    docker.replaceAll(Map.of("c2", List.of(instance("b", "c2"))));
    assertThat(store.snapshot().services()).containsOnlyKeys("b");
  }

  @Test
  void notifiesOnlyOnRealChangesAndBumpsTheVersion() {
    DesiredStateStore store = new DesiredStateStore(Set.of("docker"));
    AtomicInteger changes = new AtomicInteger();
    store.onChange(changes::incrementAndGet);
    SourceListener docker = store.listenerFor("docker");

    docker.replaceAll(Map.of("c1", List.of(instance("a", "c1"))));
    long version = store.snapshot().version();
    docker.replaceAll(Map.of("c1", List.of(instance("a", "c1"))));
    docker.update("c1", List.of(instance("a", "c1")));
    docker.update("c9", List.of());

    assertThat(changes).hasValue(1);
    assertThat(store.snapshot().version()).isEqualTo(version);
  }

  @Test
  void aDuplicateIdKeepsTheOriginThatSortsFirst() {
    DesiredStateStore store = new DesiredStateStore(Set.of("docker"));
    SourceListener docker = store.listenerFor("docker");
    docker.update("z-container", List.of(instance("same", "z-container")));
    docker.update("a-container", List.of(instance("same", "a-container")));

    assertThat(store.snapshot().services().get("same").origin()).isEqualTo("a-container");

    docker.update("a-container", List.of());
    assertThat(store.snapshot().services().get("same").origin()).isEqualTo("z-container");
  }
}
