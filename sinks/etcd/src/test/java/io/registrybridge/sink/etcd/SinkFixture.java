package io.registrybridge.sink.etcd;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.registrybridge.core.DesiredState;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.retry.RetryPolicy;
import io.registrybridge.spi.DaemonSettings;
import io.registrybridge.spi.PreparedSink;
import io.registrybridge.spi.SinkHost;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Builds sinks the way the daemon does: provider, plan, prepare with a host, create. */
final class SinkFixture implements AutoCloseable, BeforeEachCallback, AfterEachCallback {
  static final String OWNER = "host1";

  final ScheduledExecutorService side = Executors.newSingleThreadScheduledExecutor();
  private String testName = "test";

  /** As {@code @RegisterExtension} on an instance field: knows the test, closes after it. */
  @Override
  public void beforeEach(ExtensionContext context) {
    testName = context.getRequiredTestMethod().getName();
  }

  @Override
  public void afterEach(ExtensionContext context) {
    close();
  }

  /** A key prefix of this test's own, so that tests sharing one server never meet. */
  String prefix(String kind) {
    return "/" + kind + "-" + testName;
  }

  static DaemonSettings settings(Map<String, String> env, Optional<Duration> ttl,
      Optional<Duration> refresh) {
    return new DaemonSettings(env, List.of(), ttl, refresh, false, Optional.empty(),
        RetryPolicy.forever(Duration.ofMillis(50), Duration.ofMillis(500)), Optional.empty());
  }

  static DaemonSettings settings() {
    return settings(Map.of(), Optional.empty(), Optional.empty());
  }

  /** The sink and its companions, as the daemon gets them. */
  PreparedSink.Built build(String uri, DaemonSettings settings) {
    EtcdSinkPlan plan = (EtcdSinkPlan) new EtcdSinkProvider().plan(uri, settings);
    SinkHost host = new SinkHost("etcd-test", OWNER, settings, Clock.systemUTC(), () -> side,
        new SimpleMeterRegistry());
    return plan.prepare(host).create();
  }

  EtcdSink sink(String uri, DaemonSettings settings) {
    return (EtcdSink) build(uri, settings).sink();
  }

  /** An instance of this host: ID {@code host1:<container>:<port>}. */
  static ServiceInstance own(String container, String name, String address, int port) {
    return ServiceInstance.builder(OWNER + ":" + container + ":" + port, name).address(address)
        .port(port).origin("docker:" + container).source("docker").build();
  }

  static DesiredState state(boolean complete, ServiceInstance... instances) {
    Map<String, ServiceInstance> byId = Arrays.stream(instances)
        .collect(Collectors.toMap(ServiceInstance::id, Function.identity()));
    return DesiredState.of(byId, complete, 1, complete ? Set.of("docker") : Set.of());
  }

  @Override
  public void close() {
    side.shutdownNow();
  }
}
