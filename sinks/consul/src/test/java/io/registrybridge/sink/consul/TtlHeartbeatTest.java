package io.registrybridge.sink.consul;

import io.registrybridge.core.LogCapture;
import static io.registrybridge.sink.consul.FakeConsulAgent.unreachable;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.registrybridge.core.DesiredState;
import io.registrybridge.core.ServiceInstance;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TtlHeartbeatTest {
  private final FakeConsulAgent agent = new FakeConsulAgent();
  private final ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1);
  private final LogCapture log = new LogCapture(TtlHeartbeat.class);

  {
    executor.setRemoveOnCancelPolicy(true);
  }

  @AfterEach
  void stop() {
    executor.shutdownNow();
    log.close();
  }

  private ConsulSink sinkWith(ConsulSinkConfig config) {
    ConsulSink sink = new ConsulSink(agent, config, Clock.systemUTC());
    ServiceInstance web = ServiceInstance.builder("web-1", "web").port(80).build();
    sink.sync(DesiredState.of(Map.of("web-1", web), true, 1));
    agent.takeCalls();
    return sink;
  }

  private static ConsulSinkConfig config() {
    return ConsulSinkConfig.fromUri("consul://", Map.of(), "host-a");
  }

  @Test
  void passesEveryRefreshIntervalUntilClosed() {
    ConsulSink sink = sinkWith(
        config().toBuilder().ttl(Duration.ofSeconds(5), Duration.ofMillis(50)).build());
    TtlHeartbeat heartbeat = new TtlHeartbeat(sink, executor);
    heartbeat.start();
    heartbeat.start(); // idempotent
    assertThat(executor.getQueue()).hasSize(1);

    await().atMost(Duration.ofSeconds(5)).until(() -> agent.calls.size() >= 3);
    heartbeat.close();
    assertThat(executor.getQueue()).isEmpty(); // cancelled tasks leave the queue
    assertThat(agent.calls).allMatch(call -> call.equals("pass service:web-1:ttl"));
  }

  @Test
  void doesNothingWithoutTtl() {
    TtlHeartbeat heartbeat = new TtlHeartbeat(sinkWith(config()), executor);
    heartbeat.start();

    assertThat(executor.getQueue()).isEmpty();
    assertThat(agent.calls).isEmpty();
  }

  @Test
  void aFailingRoundIsLoggedOnceAndNeverEscapes() {
    ConsulSink sink = sinkWith(
        config().toBuilder().ttl(Duration.ofSeconds(5), Duration.ofSeconds(1)).build());
    TtlHeartbeat heartbeat = new TtlHeartbeat(sink, executor);
    agent.passFailures.put("service:web-1:ttl", unreachable());

    heartbeat.beat();
    heartbeat.beat();
    agent.passFailures.clear();
    heartbeat.beat();

    assertThat(log.lines()).containsExactly(
        "WARN consul: cannot pass TTL checks, retrying every 1s: Consul does not answer: "
            + "Consul request to [http://127.0.0.1:8500/v1/agent/service/register] failed due "
            + "to IOException",
        "INFO consul: TTL checks pass again (1 services)");
  }

  @Test
  void anErrorInARoundIsLoggedOnceAndTheHeartbeatKeepsBeating() {
    ConsulSink sink = sinkWith(
        config().toBuilder().ttl(Duration.ofSeconds(5), Duration.ofMillis(50)).build());
    // A bug thrown as an Error, which would end a periodic task for good, in silence.
    agent.passError = new StackOverflowError("a bug");
    TtlHeartbeat heartbeat = new TtlHeartbeat(sink, executor);
    heartbeat.start();

    await().atMost(Duration.ofSeconds(5)).until(() -> agent.calls.size() >= 2);
    agent.passError = null;
    await().atMost(Duration.ofSeconds(5)).until(() -> log.lines().size() >= 2);
    heartbeat.close();
    assertThat(log.lines()).containsExactly(
        "ERROR consul: passing TTL checks failed unexpectedly; trying again next round",
        "INFO consul: TTL checks pass again (1 services)");
  }
}
