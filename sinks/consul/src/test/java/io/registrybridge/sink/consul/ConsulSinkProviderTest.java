package io.registrybridge.sink.consul;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.registrybridge.retry.RetryPolicy;
import io.registrybridge.spi.DaemonSettings;
import io.registrybridge.spi.PreparedSink;
import io.registrybridge.spi.SinkHost;
import io.registrybridge.spi.SinkPlan;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The Consul sink's provider: its URIs, and what the daemon's settings become in the sink it
 * builds. Nothing here contacts Consul: building a sink does not.
 */
class ConsulSinkProviderTest {
  private final ScheduledExecutorService side = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void stopSide() {
    side.shutdownNow();
  }

  /** {@code -k8s-consul-node} is the Kubernetes source's: each instance names its node. */
  @Test
  void hasNoFlagsOfItsOwn() {
    assertThat(new ConsulSinkProvider().options()).isNull();
  }

  @Test
  void aWrongUriIsRejectedWhenPlannedNamingIt() {
    assertThatThrownBy(() -> plan(settings(Optional.empty()), "consul://host:notaport"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("consul://host:notaport");
  }

  @Test
  void aMissingTokenFileIsRejectedWhenPlanned() {
    DaemonSettings settings = new DaemonSettings(Map.of("CONSUL_HTTP_TOKEN_FILE",
        "/nonexistent/token"), List.of(), Optional.empty(), Optional.empty(), false,
        Optional.empty(), retry(), Optional.empty());
    assertThatThrownBy(() -> plan(settings, "consul://x:8500"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("/nonexistent/token");
  }

  @Test
  void kindAndInstanceTellTwoAgentsApart() {
    assertThat(new ConsulSinkProvider().schemes())
        .containsExactlyInAnyOrder("consul", "consul-tls", "consul-unix");
    SinkPlan tcp = plan(settings(Optional.empty()), "consul://x:8500");
    assertThat(tcp.kind()).isEqualTo("consul");
    assertThat(tcp.instance()).isEqualTo("x:8500");
    assertThat(plan(settings(Optional.empty()), "consul-unix:///run/consul.sock").instance())
        .isEqualTo("/run/consul.sock");
  }

  @Test
  void theDaemonsSettingsReachTheSink() {
    DaemonSettings settings = new DaemonSettings(Map.of(), List.of("t"),
        Optional.of(Duration.ofSeconds(30)), Optional.of(Duration.ofSeconds(10)), true,
        Optional.of(Duration.ofSeconds(2)), retry(), Optional.empty());
    PreparedSink.Built built = plan(settings, "consul://x:8500").prepare(host("consul:x:8500",
        settings)).create();
    try {
      ConsulSink sink = (ConsulSink) built.sink();
      assertThat(sink.name()).isEqualTo("consul:x:8500");
      assertThat(sink.config().ownerId()).isEqualTo("owner-1");
      assertThat(sink.config().ttl()).contains(new ConsulSinkConfig.Ttl(Duration.ofSeconds(30),
          Duration.ofSeconds(10)));
      assertThat(sink.config().verifyInterval()).isEqualTo(Duration.ofSeconds(2));
      assertThat(sink.config().cleanupLegacy()).isTrue();
      assertThat(sink.config().legacyIdPrefix()).isEqualTo("owner-1:");
      assertThat(built.companions()).as("the TTL heartbeat")
          .singleElement().isInstanceOf(TtlHeartbeat.class);
    } finally {
      close(built);
    }
  }

  @Test
  void withoutTtlThereIsNoHeartbeat() {
    PreparedSink.Built built = plan(settings(Optional.empty()), "consul://x:8500")
        .prepare(host("consul", settings(Optional.empty()))).create();
    try {
      assertThat(built.companions()).isEmpty();
      assertThat(((ConsulSink) built.sink()).config().cleanupLegacy()).isFalse();
    } finally {
      close(built);
    }
  }

  @Test
  void theSinksRejectionMetersAreRegisteredUnderItsName() {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    PreparedSink.Built built = plan(settings(Optional.empty()), "consul://x:8500")
        .prepare(new SinkHost("consul-b", "owner-1", settings(Optional.empty()),
            Clock.systemUTC(), () -> side, meters)).create();
    try {
      assertThat(meters.get("registry.bridge.consul.rejected.services").tag("sink", "consul-b")
          .gauge().value()).isZero();
      assertThat(meters.get("registry.bridge.consul.rejections").tag("sink", "consul-b")
          .functionCounter().count()).isZero();
    } finally {
      close(built);
    }
  }

  private static SinkPlan plan(DaemonSettings settings, String uri) {
    return new ConsulSinkProvider().plan(uri, settings);
  }

  private SinkHost host(String sinkName, DaemonSettings settings) {
    return new SinkHost(sinkName, "owner-1", settings, Clock.systemUTC(), () -> side,
        new SimpleMeterRegistry());
  }

  private static DaemonSettings settings(Optional<Duration> ttl) {
    return new DaemonSettings(Map.of(), List.of(), ttl, ttl.map(t -> t.dividedBy(2)), false,
        Optional.empty(), retry(), Optional.empty());
  }

  private static RetryPolicy retry() {
    return RetryPolicy.forever(Duration.ofMillis(10), Duration.ofMillis(20));
  }

  private static void close(PreparedSink.Built built) {
    for (AutoCloseable companion : built.companions()) {
      try {
        companion.close();
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }
    built.sink().close();
  }
}
