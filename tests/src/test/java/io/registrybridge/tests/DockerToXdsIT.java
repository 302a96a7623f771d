package io.registrybridge.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.registrybridge.sink.mesh.xds.FakeIstiod;
import io.registrybridge.sink.mesh.xds.FakeIstiod.Config;
import io.registrybridge.sink.mesh.xds.FakeIstiod.Profile;
import io.registrybridge.sink.mesh.xds.proto.networking.ServicePort;
import io.registrybridge.sink.mesh.xds.proto.networking.WorkloadEntry;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Real containers, the Docker source, the mesh engine and the xDS server of {@code
 * istio-xds://} together, read by clients that behave like istiod's config client.
 */
class DockerToXdsIT {
  private static final Duration CONVERGE = Duration.ofSeconds(30);
  private final String host = "it-" + UUID.randomUUID().toString().substring(0, 8);
  private final HttpClient http = HttpClient.newHttpClient();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final List<FakeIstiod> clients = new ArrayList<>();
  private Workloads workloads;
  private RunningBridge bridge;
  private int port;

  @BeforeEach
  void setUp() throws IOException {
    workloads = new Workloads();
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    clients.forEach(FakeIstiod::close);
    for (ManagedChannel channel : channels) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (bridge != null) {
      bridge.close();
    }
    workloads.close();
  }

  private FakeIstiod istiod(Profile profile) {
    // Like istiod's client, messages up to 2 GiB.
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
        .maxInboundMessageSize(Integer.MAX_VALUE).build();
    channels.add(channel);
    FakeIstiod client = new FakeIstiod(channel, profile);
    clients.add(client);
    return client;
  }

  /** This test's objects; containers of other runs on the same engine may add their own. */
  private SortedMap<String, Config> ours(FakeIstiod istiod) {
    SortedMap<String, Config> ours = new TreeMap<>(istiod.serviceEntries());
    ours.keySet().removeIf(name -> !name.contains(workloads.prefix("")));
    return ours;
  }

  private HttpResponse<String> get(String path) throws Exception {
    int httpPort = bridge.bridge().httpPort().orElseThrow();
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void containersReachIstiodAsServiceEntriesOverXdsAndLeaveWithThem() throws Exception {
    String reviews = workloads.prefix("reviews");
    String ratings = workloads.prefix("ratings");
    String v1 = workloads.start(new Workloads.Spec(reviews + "-v1").expose(9080)
        .env("SERVICE_NAME", reviews).env("SERVICE_TAGS", "version|v1")
        .env("SERVICE_PROTOCOL", "http"));
    String rating = workloads.start(new Workloads.Spec(ratings).expose(9080)
        .env("SERVICE_NAME", ratings).env("SERVICE_PROTOCOL", "grpc"));
    bridge = RunningBridge.start("-hostname", host, "-internal", "-explicit",
        "-http-listen", "127.0.0.1:0", "istio-xds://127.0.0.1:" + port + "?namespace=mesh");

    FakeIstiod current = istiod(Profile.ISTIO_1_24);
    await().atMost(CONVERGE).until(current::synced);
    String reviewsName = "mesh/" + reviews + ".service.consul";
    String ratingsName = "mesh/" + ratings + ".service.consul";
    await().atMost(CONVERGE).untilAsserted(() -> assertThat(ours(current).keySet())
        .containsExactly(ratingsName, reviewsName));

    Config entry = ours(current).get(reviewsName);
    assertThat(entry.labels()).containsEntry("registry-bridge.io/owner", host);
    assertThat(entry.spec().getPortsList()).containsExactly(ServicePort.newBuilder()
        .setName("http-9080").setNumber(9080).setProtocol("HTTP").build());
    assertThat(entry.spec().getEndpointsList()).containsExactly(WorkloadEntry.newBuilder()
        .setAddress(workloads.ip(v1, "bridge"))
        .putAllLabels(Map.of("app", reviews, "version", "v1")).build());
    assertThat(ours(current).get(ratingsName).spec().getPorts(0).getProtocol())
        .isEqualTo("GRPC");
    assertThat(ours(current).get(ratingsName).spec().getEndpoints(0).getAddress())
        .isEqualTo(workloads.ip(rating, "bridge"));

    String v2 = workloads.start(new Workloads.Spec(reviews + "-v2").expose(9080)
        .env("SERVICE_NAME", reviews).env("SERVICE_TAGS", "version|v2")
        .env("SERVICE_PROTOCOL", "http"));
    await().atMost(CONVERGE).untilAsserted(() -> assertThat(ours(current).get(reviewsName)
        .spec().getEndpointsList()).extracting(WorkloadEntry::getAddress)
        .containsExactlyInAnyOrder(workloads.ip(v1, "bridge"), workloads.ip(v2, "bridge")));
    String ratingsVersion = ours(current).get(ratingsName).version();

    // An istiod of 1.23 or earlier asks in v1alpha3 and gets the same objects.
    FakeIstiod older = istiod(Profile.ISTIO_1_23);
    await().atMost(CONVERGE).until(older::synced);
    assertThat(ours(older).keySet()).isEqualTo(ours(current).keySet());

    workloads.stop(v1);
    workloads.stop(v2);
    for (FakeIstiod istiod : List.of(current, older)) {
      await().atMost(CONVERGE).untilAsserted(
          () -> assertThat(ours(istiod).keySet()).containsExactly(ratingsName));
    }
    assertThat(ours(current).get(ratingsName).version()).isEqualTo(ratingsVersion);

    await().atMost(CONVERGE).untilAsserted(() -> assertThat(get("/readyz").statusCode())
        .isEqualTo(200));
    String metrics = get("/metrics").body();
    assertThat(metrics).contains("registry_bridge_xds_streams{sink=\"mesh-xds\"} 2.0")
        .contains("registry_bridge_mesh_held_services{sink=\"mesh-xds\"} 0.0")
        .contains("registry_bridge_xds_nacks_total{sink=\"mesh-xds\",type=\"ServiceEntry\"}"
            + " 0.0");
    assertThat(current.errors()).isEmpty();
  }
}
