package io.registrybridge.sink.mesh;

import static io.registrybridge.sink.mesh.Fixtures.bookinfo;
import static io.registrybridge.sink.mesh.Fixtures.instance;
import static io.registrybridge.sink.mesh.Fixtures.state;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.registrybridge.core.LogCapture;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.Sink;
import io.registrybridge.retry.RetryPolicy;
import io.registrybridge.spi.DaemonSettings;
import io.registrybridge.spi.DebugView;
import io.registrybridge.spi.SinkHost;
import io.registrybridge.spi.SinkPlan;
import io.registrybridge.spi.SinkProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code istio-k8s} and {@code istio-dir} through the plugin seam alone. */
class MeshSinkProviderTest {
  static final DaemonSettings SETTINGS = new DaemonSettings(Map.of(), List.of(),
      Optional.empty(), Optional.empty(), false, Optional.empty(),
      RetryPolicy.forever(Duration.ofSeconds(1), Duration.ofSeconds(10)), Optional.empty());

  @TempDir
  Path temp;
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

  static SinkProvider provider(String scheme) {
    return ServiceLoader.load(SinkProvider.class).stream().map(ServiceLoader.Provider::get)
        .filter(p -> p.schemes().contains(scheme)).findFirst().orElseThrow();
  }

  private SinkHost host(String sinkName) {
    return new SinkHost(sinkName, Fixtures.OWNER, SETTINGS, Clock.systemUTC(),
        Executors::newSingleThreadScheduledExecutor, meters);
  }

  @Test
  void theProviderIsFoundByItsSchemesAndNamesEachSinkByKindAndInstance() {
    SinkProvider provider = provider("istio-dir");
    assertThat(provider.schemes()).containsExactlyInAnyOrder("istio-k8s", "istio-dir");
    assertThat(provider).isSameAs(provider).isInstanceOf(MeshSinkProvider.class);

    SinkPlan dir = provider.plan("istio-dir://" + temp.resolve("a"), SETTINGS);
    assertThat(dir.kind()).isEqualTo("mesh-dir");
    assertThat(dir.instance()).isEqualTo(temp.resolve("a").toString());
    SinkPlan k8s = provider.plan("istio-k8s://?namespace=istio-config", SETTINGS);
    assertThat(k8s.kind()).isEqualTo("mesh-k8s");
    assertThat(k8s.instance()).isEqualTo("istio-config");
    assertThat(provider.plan("istio-k8s://?context=prod", SETTINGS).instance())
        .isEqualTo("prod/istio-system");
  }

  @Test
  void twoDirectorySinksKeepTheirNamesInMetricsAndLogs() throws Exception {
    SinkProvider provider = provider("istio-dir");
    Path a = temp.resolve("a");
    Path b = temp.resolve("b");
    Sink first = provider.plan("istio-dir://" + a, SETTINGS).prepare(host("mesh-dir:" + a))
        .create().sink();
    Sink second = provider.plan("istio-dir://" + b, SETTINGS).prepare(host("mesh-dir:" + b))
        .create().sink();
    assertThat(first.name()).isEqualTo("mesh-dir:" + a);
    assertThat(second.name()).isEqualTo("mesh-dir:" + b);

    List<ServiceInstance> conflicting = new ArrayList<>(bookinfo("http"));
    conflicting.add(instance("details-tcp", "details", "172.18.0.9", 9080).protocol("tcp")
        .build());
    try (LogCapture log = new LogCapture(ReportLog.class)) {
      first.sync(state(conflicting));
      assertThat(log.lines()).anyMatch(l -> l.startsWith("WARN mesh-dir:" + a + ": "));
    }
    second.sync(state(bookinfo("http")));

    for (Path dir : List.of(a, b)) {
      for (String name : List.of("registry.bridge.mesh.collisions",
          "registry.bridge.mesh.collisions.detected", "registry.bridge.mesh.held.services",
          "registry.bridge.mesh.rejected.objects")) {
        assertThat(meters.find(name).tag("sink", "mesh-dir:" + dir).meters()).as(name)
            .hasSize(1);
      }
    }
    assertThat(meters.get("registry.bridge.mesh.problems").tag("sink", "mesh-dir:" + a)
        .tag("kind", "protocol_conflict").counter().count()).isEqualTo(1);
    assertThat(meters.find("registry.bridge.mesh.problems").tag("sink", "mesh-dir:" + b)
        .counters()).isEmpty();
    first.close();
    second.close();
  }

  @Test
  void aDirectoryThatCannotBeCreatedIsRefusedAtPrepareNamingIt() throws Exception {
    SinkProvider provider = provider("istio-dir");
    Path file = Files.writeString(temp.resolve("a-file"), "x");
    Path below = file.resolve("istio");
    SinkPlan plan = provider.plan("istio-dir://" + below, SETTINGS);
    assertThatThrownBy(() -> plan.prepare(host("mesh-dir")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("sink istio-dir://" + below + ": directory " + below
            + " does not exist and cannot be created");
    assertThatThrownBy(() -> provider.plan("istio-dir:///proc/registry-bridge-x", SETTINGS)
        .prepare(host("mesh-dir")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("directory /proc/registry-bridge-x ");

    Path readOnly = Files.createDirectory(temp.resolve("read-only"));
    assertThat(readOnly.toFile().setWritable(false)).isTrue();
    try {
      if (!Files.isWritable(readOnly)) { // root writes anywhere: nothing to refuse then
        assertThatThrownBy(() -> provider.plan("istio-dir://" + readOnly, SETTINGS)
            .prepare(host("mesh-dir")))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("cannot write files into directory " + readOnly);
      }
    } finally {
      readOnly.toFile().setWritable(true);
    }
    // A directory that is missing but can be made is made, and nothing is left in it.
    Path fresh = temp.resolve("fresh/istio");
    provider.plan("istio-dir://" + fresh, SETTINGS).prepare(host("mesh-dir"));
    try (var listing = Files.list(fresh)) {
      assertThat(listing).isEmpty();
    }
  }

  @Test
  void theDebugPageShowsTheFilesAsWrittenAndWhatIsHeldBackAndWhy() throws Exception {
    Path dir = temp.resolve("istio");
    Sink sink = provider("istio-dir").plan("istio-dir://" + dir, SETTINGS)
        .prepare(host("mesh-dir")).create().sink();
    List<ServiceInstance> instances = new ArrayList<>(bookinfo("http"));
    instances.add(instance("details-tcp", "details", "172.18.0.9", 9080).protocol("tcp")
        .build());
    instances.add(instance("bad", "bad_name!", "172.18.0.10", 80).build());
    sink.sync(state(instances));
    // A source has not listed yet: the rewrite of reviews waits for it.
    List<ServiceInstance> partial = new ArrayList<>(instances);
    partial.removeIf(i -> i.id().equals("reviews-v3"));
    sink.sync(state(partial, false));

    DebugView view = (DebugView) sink;
    assertThat(view.path()).isEqualTo("/debug/mesh");
    JsonNode page = new ObjectMapper().readTree(view.json(Map.of()));
    assertThat(page.get("transport").asText()).isEqualTo("mesh-dir");
    assertThat(page.get("apiVersion").asText()).isEqualTo("networking.istio.io/v1alpha3");
    assertThat(page.get("format").asText()).isEqualTo("yaml");
    JsonNode entries = page.get("serviceEntries");
    assertThat(entries.size()).isEqualTo(4);
    assertThat(entries.get("reviews.service.consul").asText())
        .isEqualTo(Files.readString(dir.resolve("reviews.service.consul.yaml")));
    List<String> reasons = new ArrayList<>();
    page.get("heldBack").forEach(h -> reasons.add(h.get("reason").asText() + " "
        + h.get("service").asText()));
    assertThat(reasons).contains("protocol conflict details", "invalid bad_name!",
        "incomplete state reviews.service.consul");

    JsonNode one = new ObjectMapper().readTree(view.json(Map.of("name",
        List.of("ratings.service.consul"))));
    assertThat(one.get("serviceEntries").size()).isEqualTo(1);
    assertThat(one.get("heldBack")).isEmpty();
    sink.close();
  }
}
