package io.registrybridge.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DesiredIndexTest {
  private final List<DesiredIndex.Change> changes = new ArrayList<>();

  private static ServiceInstance instance(String id, String origin) {
    return ServiceInstance.builder(id, "web").address("10.0.0.1").port(80).origin(origin).build();
  }

  private DesiredIndex index(String... sources) {
    DesiredIndex index = new DesiredIndex(Set.of(sources));
    index.addListener(changes::add);
    return index;
  }

  @Test
  void isIncompleteUntilEverySourceListedOnceAndSaysSoOnce() {
    DesiredIndex index = index("docker", "kubernetes");
    index.listenerFor("docker").replaceAll(Map.of("c1", List.of(instance("a", "c1"))));
    assertThat(index.complete()).isFalse();
    assertThat(index.snapshot().complete()).isFalse();
    assertThat(index.snapshot().services()).containsOnlyKeys("a");

    index.listenerFor("kubernetes").replaceAll(Map.of());
    index.listenerFor("kubernetes").replaceAll(Map.of());
    assertThat(index.complete()).isTrue();
    assertThat(changes).extracting(DesiredIndex.Change::becameComplete)
        .containsExactly(false, true);
    assertThat(changes.get(1).ids()).isEmpty();
  }

  @Test
  void eachSourcesFirstListingAllowsDeletingWhatItReportedWhileAnotherIsStillDown() {
    DesiredIndex index = index("docker", "kubernetes");
    assertThat(index.mayDelete("docker")).isFalse();

    index.listenerFor("docker").replaceAll(Map.of("c1", List.of(instance("a", "c1"))));

    assertThat(index.complete()).isFalse();
    assertThat(index.mayDelete("docker")).isTrue();
    assertThat(index.mayDelete("kubernetes")).isFalse();
    assertThat(index.mayDelete("")).as("held without a known source: waits for every source")
        .isFalse();
    assertThat(index.snapshot().mayDelete("docker")).isTrue();
    assertThat(index.snapshot().mayDelete("kubernetes")).isFalse();
    assertThat(changes.get(0).firstListingOf()).contains("docker");
    assertThat(changes.get(0).becameComplete()).isFalse();

    index.listenerFor("kubernetes").replaceAll(Map.of());
    assertThat(changes.get(1).firstListingOf()).contains("kubernetes");
    assertThat(changes.get(1).becameComplete()).isTrue();
    assertThat(index.mayDelete("")).isTrue();
  }

  @Test
  void everyInstanceSaysWhichSourceReportedIt() {
    DesiredIndex index = index("docker", "kubernetes");
    index.listenerFor("kubernetes").update("svc", List.of(instance("k", "svc")));
    index.listenerFor("docker").update("c1", List.of(instance("a", "c1")));

    assertThat(index.get("k").orElseThrow().source()).isEqualTo("kubernetes");
    assertThat(index.get("a").orElseThrow().source()).isEqualTo("docker");
    assertThat(index.snapshot().services().get("k").source()).isEqualTo("kubernetes");
  }

  @Test
  void anUpdateReportsExactlyTheIdsItChanged() {
    DesiredIndex index = index("docker");
    SourceListener docker = index.listenerFor("docker");
    docker.replaceAll(Map.of("c1", List.of(instance("a", "c1")),
        "c2", List.of(instance("b", "c2"), instance("c", "c2"))));
    assertThat(changes.get(0).ids()).containsExactlyInAnyOrder("a", "b", "c");

    docker.update("c2", List.of(instance("b", "c2"), instance("d", "c2")));
    assertThat(changes.get(1).ids()).containsExactlyInAnyOrder("c", "d");
    assertThat(index.get("c")).isEmpty();
    assertThat(index.get("d")).contains(instance("d", "c2").toBuilder().source("docker")
        .build());

    docker.update("c1", List.of());
    assertThat(changes.get(2).ids()).containsExactly("a");
    assertThat(index.snapshot().services()).containsOnlyKeys("b", "d");
    assertThat(index.size()).isEqualTo(2);
  }

  @Test
  void replaceAllDropsOriginsThatAreGone() {
    DesiredIndex index = index("docker");
    SourceListener docker = index.listenerFor("docker");
    docker.replaceAll(Map.of("c1", List.of(instance("a", "c1"))));
    docker.replaceAll(Map.of("c2", List.of(instance("b", "c2"))));
    assertThat(index.snapshot().services()).containsOnlyKeys("b");
    assertThat(changes.get(1).ids()).containsExactlyInAnyOrder("a", "b");
  }

  @Test
  void reportsOnlyRealChangesAndBumpsTheRevisionOnlyThen() {
    DesiredIndex index = index("docker");
    SourceListener docker = index.listenerFor("docker");
    docker.replaceAll(Map.of("c1", List.of(instance("a", "c1"))));
    long revision = index.revision();

    docker.replaceAll(Map.of("c1", List.of(instance("a", "c1"))));
    docker.update("c1", List.of(instance("a", "c1")));
    docker.update("c9", List.of());

    assertThat(changes).hasSize(1);
    assertThat(index.revision()).isEqualTo(revision);
    assertThat(index.snapshot().version()).isEqualTo(revision);
  }

  @Test
  void aDuplicateIdKeepsTheOriginThatSortsFirstAndFallsBackWhenItGoes() {
    DesiredIndex index = index("docker");
    SourceListener docker = index.listenerFor("docker");
    docker.update("z-container", List.of(instance("same", "z-container")));
    docker.update("a-container", List.of(instance("same", "a-container")));

    assertThat(index.get("same").orElseThrow().origin()).isEqualTo("a-container");
    assertThat(changes.get(1).ids()).containsExactly("same");

    docker.update("a-container", List.of());
    assertThat(index.get("same").orElseThrow().origin()).isEqualTo("z-container");
    assertThat(changes.get(2).ids()).containsExactly("same");

    docker.update("z-container", List.of());
    assertThat(index.get("same")).isEmpty();
  }

  @Test
  void aLosingClaimThatChangesIsNotAChange() {
    DesiredIndex index = index("docker");
    SourceListener docker = index.listenerFor("docker");
    docker.update("a-container", List.of(instance("same", "a-container")));
    docker.update("z-container", List.of(instance("same", "z-container")));
    int before = changes.size();

    docker.update("z-container", List.of(instance("same", "z-container").toBuilder().port(81)
        .build()));

    assertThat(changes).hasSize(before);
  }

  @Test
  void knowsTheIdsOfEachServiceName() {
    DesiredIndex index = index("docker");
    SourceListener docker = index.listenerFor("docker");
    docker.update("c1", List.of(instance("a", "c1"), ServiceInstance.builder("b", "db").port(5)
        .origin("c1").build()));
    docker.update("c2", List.of(instance("c", "c2")));
    assertThat(index.idsNamed("web")).containsExactlyInAnyOrder("a", "c");
    assertThat(index.idsNamed("db")).containsExactly("b");

    docker.update("c1", List.of(instance("b", "c1")));
    assertThat(index.idsNamed("web")).containsExactlyInAnyOrder("b", "c");
    assertThat(index.idsNamed("db")).isEmpty();
  }

  @Test
  void theContentHashIsStableAndFollowsTheContent() {
    DesiredEntry one = DesiredEntry.of(instance("a", "c1"));
    DesiredEntry same = DesiredEntry.of(instance("a", "c1"));
    DesiredEntry other = DesiredEntry.of(instance("a", "c1").toBuilder().port(81).build());
    assertThat(one.contentHash()).isEqualTo(same.contentHash())
        .isNotEqualTo(other.contentHash());
  }
}
