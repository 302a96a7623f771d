package io.registrybridge.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.registrybridge.retry.Backoff;
import io.registrybridge.retry.RetryPolicy;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SinkReconcilerTest {
  private static final Duration LONG = Duration.ofHours(1);

  private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
  private final AtomicReference<DesiredState> desired =
      new AtomicReference<>(state(1, "a"));
  private final RecordingSink sink = new RecordingSink();
  private final AtomicInteger gaveUp = new AtomicInteger();
  private final SinkReconciler.Listener listener = new SinkReconciler.Listener() {
    @Override
    public void gaveUp(String sinkName, Exception lastError) {
      gaveUp.incrementAndGet();
    }
  };

  @AfterEach
  void stop() {
    executor.shutdownNow();
  }

  private static DesiredState state(long version, String... ids) {
    Map<String, ServiceInstance> services = new java.util.TreeMap<>();
    for (String id : ids) {
      services.put(id, ServiceInstance.builder(id, "svc").port(1).build());
    }
    return DesiredState.of(services, true, version);
  }

  private static RetryPolicy retry(int attempts, Duration interval) {
    return new RetryPolicy(attempts, new Backoff(interval, interval, 1.0, 0.0, new Random(1)));
  }

  private SinkReconciler reconciler(RetryPolicy retry, SinkReconciler.Timing timing) {
    return new SinkReconciler(sink, desired::get, retry, timing, executor, Clock.systemUTC(),
        listener);
  }

  @Test
  void syncsAtStartAndAfterEachChange() {
    SinkReconciler loop = reconciler(retry(-1, Duration.ofMillis(10)),
        new SinkReconciler.Timing(LONG, Duration.ofMillis(5), Duration.ofMillis(50)));
    loop.start();
    await().atMost(Duration.ofSeconds(5)).until(() -> sink.versions.equals(List.of(1L)));

    desired.set(state(2, "a", "b"));
    loop.desiredStateChanged();

    await().atMost(Duration.ofSeconds(5)).until(() -> sink.versions.equals(List.of(1L, 2L)));
    assertThat(loop.status().syncedVersion()).isEqualTo(2);
    assertThat(loop.status().convergedOnce()).isTrue();
  }

  @Test
  void coalescesABurstIntoFewSyncsOfTheNewestState() {
    SinkReconciler loop = reconciler(retry(-1, Duration.ofMillis(10)),
        new SinkReconciler.Timing(LONG, Duration.ofMillis(200), Duration.ofSeconds(2)));
    loop.start();
    await().atMost(Duration.ofSeconds(5)).until(() -> sink.versions.size() == 1);

    for (int v = 2; v <= 100; v++) {
      desired.set(state(v, "a"));
      loop.desiredStateChanged();
    }

    await().atMost(Duration.ofSeconds(5)).until(() -> sink.versions.contains(100L));
    assertThat(sink.versions.size()).isLessThan(10);
  }

  @Test
  void retriesAFailingSinkAndThenWritesTheNewestState() {
    sink.failing.set(true);
    SinkReconciler loop = reconciler(retry(-1, Duration.ofMillis(20)),
        new SinkReconciler.Timing(LONG, Duration.ofMillis(5), Duration.ofMillis(50)));
    loop.start();
    await().atMost(Duration.ofSeconds(5)).until(() -> sink.attempts.get() >= 3);
    assertThat(loop.status().consecutiveFailures()).isGreaterThanOrEqualTo(3);

    desired.set(state(7, "a", "b", "c"));
    loop.desiredStateChanged();
    sink.failing.set(false);

    await().atMost(Duration.ofSeconds(5)).until(() -> sink.versions.contains(7L));
    assertThat(sink.versions).containsOnly(7L);
    assertThat(loop.status().consecutiveFailures()).isZero();
    assertThat(gaveUp).hasValue(0);
  }

  @Test
  void changesDuringBackoffDoNotShortenIt() throws Exception {
    sink.failing.set(true);
    SinkReconciler loop = reconciler(retry(-1, LONG),
        new SinkReconciler.Timing(LONG, Duration.ZERO, Duration.ZERO));
    loop.start();
    await().atMost(Duration.ofSeconds(5)).until(() -> sink.attempts.get() == 1);

    for (int v = 2; v < 50; v++) {
      desired.set(state(v, "a"));
      loop.desiredStateChanged();
    }
    // Let the executor drain the submitted change notifications, then check nothing ran.
    executor.submit(() -> { }).get();
    assertThat(sink.attempts).hasValue(1);
  }

  @Test
  void givesUpWhenTheControlPlaneNeverAnsweredWithinTheAttempts() {
    sink.failing.set(true);
    SinkReconciler loop = reconciler(retry(2, Duration.ofMillis(5)),
        new SinkReconciler.Timing(LONG, Duration.ZERO, Duration.ZERO));
    loop.start();

    await().atMost(Duration.ofSeconds(5)).until(() -> gaveUp.get() == 1);
    assertThat(sink.attempts).hasValue(3);
  }

  @Test
  void afterOneSuccessFailuresAreRetriedForeverWhateverTheAttempts() {
    SinkReconciler loop = reconciler(retry(0, Duration.ofMillis(5)),
        new SinkReconciler.Timing(LONG, Duration.ZERO, Duration.ZERO));
    loop.start();
    await().atMost(Duration.ofSeconds(5)).until(() -> sink.versions.size() == 1);

    sink.failing.set(true);
    desired.set(state(2, "b"));
    loop.desiredStateChanged();
    await().atMost(Duration.ofSeconds(5)).until(() -> sink.attempts.get() >= 5);
    sink.failing.set(false);

    await().atMost(Duration.ofSeconds(5)).until(() -> sink.versions.contains(2L));
    assertThat(gaveUp).hasValue(0);
  }

  @Test
  void reSyncsPeriodicallyToRepairWhatTheControlPlaneLost() {
    SinkReconciler loop = reconciler(retry(-1, Duration.ofMillis(5)),
        new SinkReconciler.Timing(Duration.ofMillis(20), Duration.ZERO, Duration.ZERO));
    loop.start();

    await().atMost(Duration.ofSeconds(5)).until(() -> sink.versions.size() >= 3);
    assertThat(sink.versions).containsOnly(1L);
  }

  @Test
  void closeStopsTheLoop() throws Exception {
    SinkReconciler loop = reconciler(retry(-1, Duration.ofMillis(5)),
        new SinkReconciler.Timing(Duration.ofMillis(10), Duration.ZERO, Duration.ZERO));
    loop.start();
    await().atMost(Duration.ofSeconds(5)).until(() -> sink.versions.size() >= 1);
    loop.close();
    executor.submit(() -> { }).get();
    int after = sink.attempts.get();
    // Any sync already scheduled is cancelled; a change after close schedules nothing.
    loop.desiredStateChanged();
    executor.submit(() -> { }).get();
    assertThat(sink.attempts.get()).isEqualTo(after);
  }

  /** Records the versions it synced; fails with IOException while {@code failing} is set. */
  private static final class RecordingSink implements Sink {
    final List<Long> versions = new CopyOnWriteArrayList<>();
    final AtomicInteger attempts = new AtomicInteger();
    final AtomicBoolean failing = new AtomicBoolean();

    @Override
    public String name() {
      return "recording";
    }

    @Override
    public SyncResult sync(DesiredState state) throws IOException {
      attempts.incrementAndGet();
      if (failing.get()) {
        throw new IOException("control plane down");
      }
      versions.add(state.version());
      return SyncResult.NOTHING;
    }

    @Override
    public void close() {}
  }
}
