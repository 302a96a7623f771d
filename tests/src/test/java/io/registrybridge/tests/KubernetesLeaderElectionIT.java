package io.registrybridge.tests;

import static io.registrybridge.source.kubernetes.KubernetesFixtures.apply;
import static io.registrybridge.source.kubernetes.KubernetesFixtures.endpoint;
import static io.registrybridge.source.kubernetes.KubernetesFixtures.pod;
import static io.registrybridge.source.kubernetes.KubernetesFixtures.port;
import static io.registrybridge.source.kubernetes.KubernetesFixtures.service;
import static io.registrybridge.source.kubernetes.KubernetesFixtures.slice;
import static io.registrybridge.source.kubernetes.KubernetesFixtures.slicePort;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.registrybridge.bridge.Bridge;
import io.registrybridge.bridge.BridgeConfig;
import io.registrybridge.bridge.leader.LeaderElection;
import io.registrybridge.core.SinkReconciler;
import io.registrybridge.source.kubernetes.KubernetesFixtures;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two bridges with {@code -source=kubernetes -leader-elect}, against fabric8's mock API server
 * (CRUD mode) and a real Consul agent: only the leader writes; when it goes, the other takes
 * over and writes nothing for what is already right (same IDs, same Consul modify indexes), then
 * follows changes.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesLeaderElectionIT {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String NAME = "lead-web";
  private static final LeaderElection.Timing FAST = new LeaderElection.Timing(
      Duration.ofSeconds(4), Duration.ofSeconds(3), Duration.ofMillis(500));

  KubernetesMockServer server;
  KubernetesClient client;
  @TempDir Path dir;
  private ConsulAgent consul;
  private final List<Bridge> bridges = new ArrayList<>();

  @BeforeEach
  void setUp() {
    consul = ConsulAgent.started();
    KubernetesFixtures.serveEndpointSlices(server);
    apply(client, pod("lead-1", Map.of("app", NAME, "version", "v1")));
    apply(client, pod("lead-2", Map.of("app", NAME, "version", "v2")));
    apply(client, service(NAME, Map.of(), port("http", 80, 8080)));
    apply(client, slice(NAME, NAME + "-a", "IPv4", List.of(slicePort("http", 8080)),
        endpoint("10.1.0.1", "lead-1"), endpoint("10.1.0.2", "lead-2")));
  }

  @AfterEach
  void tearDown() {
    bridges.forEach(Bridge::close);
    consul.close();
  }

  private Bridge start(String replica) throws Exception {
    return start(replica, consul.uri());
  }

  private Bridge start(String replica, String... sinkUris) throws Exception {
    Bridge bridge = create(replica, Map.of(), sinkUris);
    bridge.start();
    return bridge;
  }

  private Bridge create(String replica, Map<String, String> env, String... sinkUris)
      throws Exception {
    Path kubeconfig = MockKubeconfig.write(dir, client);
    List<String> args = new ArrayList<>(List.of("-source=kubernetes",
        "-leader-elect=consul/registry-bridge", "-retry-interval=200",
        "-retry-max-interval=1000"));
    args.addAll(List.of(sinkUris));
    Map<String, String> all = new java.util.HashMap<>(env);
    all.put("KUBECONFIG", kubeconfig.toString());
    all.put("HOSTNAME", replica);
    Bridge bridge = Bridge.create(BridgeConfig.fromArgs(args.toArray(String[]::new)), all,
        Clock.systemUTC()).withLeaderTiming(FAST);
    bridges.add(bridge);
    return bridge;
  }

  private Lease lease() {
    return client.leases().inNamespace("consul").withName("registry-bridge").get();
  }

  /** The daemon's exit status, once it wants to exit. */
  private static CompletableFuture<Integer> exitOf(Bridge bridge) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return bridge.awaitExit();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return -1;
      }
    });
  }

  /** Consul's catalog view of our service: ID to the Raft index of its last change. */
  private Map<String, Long> catalog() {
    Map<String, Long> byId = new TreeMap<>();
    consul.json("/v1/catalog/service/" + NAME).forEach(entry ->
        byId.put(entry.get("ServiceID").asText(), entry.get("ModifyIndex").asLong()));
    return byId;
  }

  /** The tags of one registration, read from the catalog: these are not the agent's services. */
  private List<String> tags(String serviceId) {
    List<String> tags = new ArrayList<>();
    consul.json("/v1/catalog/service/" + NAME).forEach(entry -> {
      if (entry.get("ServiceID").asText().equals(serviceId)) {
        entry.get("ServiceTags").forEach(tag -> tags.add(tag.asText()));
      }
    });
    return tags;
  }

  private static long writes(Bridge bridge) {
    return bridge.sinkStatus().stream().mapToLong(SinkReconciler.Status::writes).sum();
  }

  @Test
  void onlyTheLeaderWritesAndANewLeaderConvergesWithoutWrites() throws Exception {
    Bridge first = start("replica-a");
    await().atMost(WAIT).until(first::writing);
    await().atMost(WAIT).until(() -> catalog().size() == 2);
    Bridge second = start("replica-b");
    await().atMost(WAIT).until(() -> second.desiredState().complete());

    assertThat(second.writing()).isFalse();
    assertThat(second.sinkStatus()).isEmpty();
    Map<String, Long> before = catalog();
    assertThat(before).containsOnlyKeys("registry-bridge.consul:shop.lead-web:10.1.0.1:80",
        "registry-bridge.consul:shop.lead-web:10.1.0.2:80");
    assertThat(tags("registry-bridge.consul:shop.lead-web:10.1.0.2:80"))
        .containsExactly("app|lead-web", "version|v2", "k8s");
    // Kubernetes endpoints live on the synthetic catalog node, never among the agent's own.
    assertThat(consul.servicesNamed(NAME)).isEmpty();

    first.close();
    await().atMost(WAIT).until(second::writing);
    await().atMost(WAIT).until(() -> second.sinkStatus().stream()
        .allMatch(SinkReconciler.Status::convergedOnce));

    assertThat(writes(second)).isZero();
    assertThat(catalog()).isEqualTo(before);

    apply(client, slice(NAME, NAME + "-a", "IPv4", List.of(slicePort("http", 8080)),
        endpoint("10.1.0.2", "lead-2")));
    await().atMost(WAIT).until(() -> catalog().keySet().equals(java.util.Set.of(
        "registry-bridge.consul:shop.lead-web:10.1.0.2:80")));
    assertThat(catalog()).containsEntry("registry-bridge.consul:shop.lead-web:10.1.0.2:80",
        before.get("registry-bridge.consul:shop.lead-web:10.1.0.2:80"));
    assertThat(writes(second)).isEqualTo(1);
  }

  /**
   * The leader cannot start its sinks (the xDS port is taken by another process): it writes
   * nothing, not even through the sink that could start, releases the Lease instead of renewing
   * it while writing nothing, and exits with 1; the next replica leads and writes.
   */
  @Test
  void aLeaderThatCannotStartItsSinksReleasesTheLeaseAndExitsOneAndAnotherLeads()
      throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Bridge broken = start("replica-a", consul.uri(),
          "istio-xds://127.0.0.1:" + taken.getLocalPort());
      CompletableFuture<Integer> exit = exitOf(broken);

      await().atMost(WAIT).until(exit::isDone);
      assertThat(exit.get()).isEqualTo(1);
      assertThat(broken.writing()).isFalse();
      // Released, not left to expire: fabric8's release (a merge patch, which leaves the holder
      // as it was) shortens the Lease to 1 s from now, so another replica takes it a second later
      // instead of after the whole lease duration (4 s here, 15 s by default).
      Lease released = lease();
      assertThat(released.getSpec().getHolderIdentity()).startsWith("replica-a-");
      assertThat(released.getSpec().getLeaseDurationSeconds()).isEqualTo(1);
      assertThat(catalog()).isEmpty();
    }

    Bridge next = start("replica-b");
    await().atMost(WAIT).until(next::writing);
    await().atMost(WAIT).until(() -> catalog().size() == 2);
    assertThat(lease().getSpec().getHolderIdentity()).startsWith("replica-b-");
  }

  /**
   * A sink that cannot be built (its token file went away between the command line's checks and
   * the start): the replica fails before it competes, and never holds the Lease.
   */
  @Test
  void aReplicaWhoseSinkCannotBeBuiltFailsBeforeCompetingForTheLease() throws Exception {
    Path token = Files.writeString(dir.resolve("token"), "a-token");
    Bridge bridge = create("replica-a", Map.of("CONSUL_HTTP_TOKEN_FILE", token.toString()),
        consul.uri());
    Files.delete(token);

    assertThatThrownBy(bridge::start).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(consul.uri()).hasMessageContaining(token.toString());
    assertThat(lease()).isNull();
    assertThat(bridge.writing()).isFalse();
  }
}
