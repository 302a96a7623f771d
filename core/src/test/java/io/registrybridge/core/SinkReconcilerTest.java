package io.registrybridge.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.registrybridge.retry.Backoff;
import io.registrybridge.retry.RetryPolicy;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The work queue in front of a sink, on a scheduler whose time the test moves by hand. */
class SinkReconcilerTest {
  private static final Duration RETRY = Duration.ofSeconds(1);
  private static final Duration VERIFY = Duration.ofMinutes(5);

  private final ManualScheduler scheduler = new ManualScheduler();
  private final DesiredIndex index = new DesiredIndex(Set.of("docker"));
  private final SourceListener docker = index.listenerFor("docker");
  private final RecordingSink sink = new RecordingSink();
  private final AtomicInteger gaveUp = new AtomicInteger();
  private final List<String> converged = new java.util.ArrayList<>();

  private SinkReconciler reconciler(int attempts) {
    RetryPolicy retry = new RetryPolicy(attempts, new Backoff(RETRY, RETRY, 1.0, 0.0,
        new Random(1)));
    SinkReconciler loop = new SinkReconciler(sink, index, retry, scheduler, scheduler.clock(),
        new SinkReconciler.Listener() {
          @Override
          public void gaveUp(String name, Exception lastError) {
            gaveUp.incrementAndGet();
          }

          @Override
          public void convergedFirst(String name) {
            converged.add(name);
          }
        });
    index.addListener(loop);
    return loop;
  }

  private static ServiceInstance instance(String id) {
    return ServiceInstance.builder(id, "web").port(80).origin(id).build();
  }

  private void up(String... ids) {
    for (String id : ids) {
      docker.update(id, List.of(instance(id)));
    }
  }

  private SinkReconciler started() {
    SinkReconciler loop = reconciler(-1);
    docker.replaceAll(Map.of());
    loop.start();
    scheduler.runDue();
    sink.calls.clear();
    return loop;
  }

  @Test
  void startsTheSinkThenSyncsInFull() {
    SinkReconciler loop = reconciler(-1);
    up("a");
    loop.start();
    scheduler.runDue();

    assertThat(sink.started).isTrue();
    assertThat(sink.calls).containsExactly("sync[a] incomplete");
    assertThat(loop.status().convergedOnce()).isFalse();
  }

  @Test
  void theFirstCompleteListingRunsAFullSync() {
    SinkReconciler loop = reconciler(-1);
    loop.start();
    scheduler.runDue();

    docker.replaceAll(Map.of("a", List.of(instance("a"))));
    scheduler.runDue();

    assertThat(sink.calls).containsExactly("sync[] incomplete", "sync[a]");
    assertThat(loop.status().convergedOnce()).isTrue();
    assertThat(converged).containsExactly(sink.name());

    // Only the first time: later full syncs and changes do not say it again.
    up("b");
    loop.requestFullSync("test");
    scheduler.runDue();
    assertThat(sink.calls).contains("sync[a, b]");
    assertThat(converged).containsExactly(sink.name());
  }

  @Test
  void aChangeWhenIdleIsAppliedAtOnceWithoutWaiting() {
    started();
    up("a");
    scheduler.runDue(); // no time passes

    assertThat(sink.calls).containsExactly("apply[a]");
  }

  @Test
  void changesWhileAWriteIsInFlightGoOutTogetherInTheirNewestState() {
    started();
    sink.duringNextCall = () -> {
      up("b", "c");
      docker.update("a", List.of(instance("a").toBuilder().port(81).build()));
      docker.update("c", List.of(instance("c").toBuilder().port(82).build()));
    };
    up("a");
    scheduler.runDue();

    assertThat(sink.calls).containsExactly("apply[a]", "apply[a, b, c]");
    assertThat(sink.portsSeen.get("c")).isEqualTo(82);
  }

  @Test
  void aLongBacklogGoesOutInBoundedBatches() {
    started();
    for (int i = 0; i < SinkReconciler.MAX_BATCH + 10; i++) {
      up(String.format("s%04d", i));
    }
    scheduler.runDue();

    assertThat(sink.calls).hasSize(2);
    assertThat(sink.batchSizes).containsExactly(SinkReconciler.MAX_BATCH, 10);
  }

  @Test
  void aFailureBacksOffKeepsTheChangesAndStartsOverWithAFullSync() {
    SinkReconciler loop = started();
    sink.failures = 1;
    up("a");
    scheduler.runDue();
    assertThat(sink.calls).containsExactly("apply[a] failed");
    assertThat(loop.status().consecutiveFailures()).isEqualTo(1);

    up("b"); // arrives while backing off: waits for the retry
    scheduler.runDue();
    assertThat(sink.calls).hasSize(1);
    assertThat(loop.status().backlog()).isEqualTo(2);

    scheduler.advance(RETRY);
    assertThat(sink.calls).containsExactly("apply[a] failed", "sync[a, b]");
    assertThat(loop.status().consecutiveFailures()).isZero();
    assertThat(loop.status().backlog()).isZero();
  }

  @Test
  void aProbeThatAnswersEndsTheBackoffAtOnce() {
    SinkReconciler loop = started();
    sink.probe = Duration.ofMillis(100);
    sink.failures = 1;
    up("a");
    scheduler.runDue();
    assertThat(sink.calls).containsExactly("apply[a] failed");

    scheduler.advance(Duration.ofMillis(300)); // three probes, no answer: still backing off
    assertThat(sink.probes).isEqualTo(3);
    assertThat(sink.calls).hasSize(1);

    sink.answering = true;
    scheduler.advance(Duration.ofMillis(100)); // the next probe answers: the retry runs now,
    assertThat(sink.calls).containsExactly("apply[a] failed", "sync[a]"); // not after 1 s
    assertThat(loop.status().consecutiveFailures()).isZero();

    scheduler.advance(RETRY); // the backoff's own timer, when it fires, changes nothing
    assertThat(sink.calls).hasSize(2);
    assertThat(sink.probes).isEqualTo(4);
  }

  @Test
  void withoutAProbeTheBackoffRunsItsCourse() {
    started();
    sink.failures = 1;
    up("a");
    scheduler.runDue();
    scheduler.advance(RETRY.minusMillis(1));
    assertThat(sink.calls).containsExactly("apply[a] failed");
    assertThat(sink.probes).isZero();
    scheduler.advance(Duration.ofMillis(1));
    assertThat(sink.calls).containsExactly("apply[a] failed", "sync[a]");
  }

  @Test
  void idsTheSinkCouldNotWriteComeBackAfterABackoff() {
    started();
    sink.retryNext = Set.of("b");
    up("a", "b");
    scheduler.runDue();
    assertThat(sink.calls).containsExactly("apply[a, b]");

    scheduler.advance(RETRY.minusMillis(1));
    assertThat(sink.calls).hasSize(1);
    scheduler.advance(Duration.ofMillis(1));
    assertThat(sink.calls).containsExactly("apply[a, b]", "apply[b]");
  }

  @Test
  void verifiesInFullPeriodicallyAndWhenTheSinkAsks() {
    started();
    scheduler.advance(VERIFY.minusMillis(1));
    assertThat(sink.calls).isEmpty();
    scheduler.advance(Duration.ofMillis(1));
    assertThat(sink.calls).containsExactly("sync[]");

    sink.context.requestFullSync("lost state");
    scheduler.runDue();
    assertThat(sink.calls).containsExactly("sync[]", "sync[]");

    // The verify timer restarts after each full sync.
    scheduler.advance(VERIFY.minusMillis(1));
    assertThat(sink.calls).hasSize(2);
  }

  @Test
  void nothingRunsAfterTheFinalSyncOfShutdown() {
    SinkReconciler loop = started();
    sink.retryNext = Set.of("a");
    up("a");
    scheduler.runDue(); // a retry timer is now pending, and the verify timer

    CompletableFuture<SyncResult> done = loop.finish(DesiredState.of(Map.of(), true, 99));
    scheduler.runDue();
    assertThat(done).isCompleted();
    int calls = sink.calls.size();

    up("b");
    sink.context.requestFullSync("late");
    scheduler.advance(VERIFY.multipliedBy(2));
    assertThat(sink.calls).hasSize(calls);
    assertThat(sink.calls.get(calls - 1)).isEqualTo("sync[]");
  }

  @Test
  void givesUpWhenTheControlPlaneNeverAnsweredWithinTheAttempts() {
    SinkReconciler loop = reconciler(2);
    docker.replaceAll(Map.of());
    sink.failures = Integer.MAX_VALUE;
    loop.start();
    scheduler.advance(RETRY.multipliedBy(10));

    assertThat(sink.calls).containsExactly("sync[] failed", "sync[] failed", "sync[] failed");
    assertThat(gaveUp).hasValue(1);
  }

  @Test
  void neverGivesUpOnceTheControlPlaneAnswered() {
    SinkReconciler loop = reconciler(1);
    docker.replaceAll(Map.of());
    loop.start();
    scheduler.runDue();
    sink.failures = 5;
    up("a");
    scheduler.advance(RETRY.multipliedBy(10));

    assertThat(gaveUp).hasValue(0);
    assertThat(sink.calls).last().isEqualTo("sync[a]");
  }

  @Test
  void anErrorForOneIdIsIsolatedToItWhileEveryOtherIdIsWritten() {
    SinkReconciler loop = started();
    sink.poison = Set.of("b");
    up("a", "b", "c");
    scheduler.runDue();

    assertThat(sink.written).containsExactlyInAnyOrder("a", "c");
    assertThat(loop.status().quarantined()).isEqualTo(1);
    assertThat(loop.status().consecutiveFailures()).as("not taken for an outage").isZero();
    assertThat(loop.stalled(Duration.ofMinutes(10))).isEmpty();

    // The loop is not backed off: the next change goes out at once.
    up("d");
    scheduler.runDue();
    assertThat(sink.written).contains("d");

    // The poisoned ID is tried again on its own after a backoff, and again fails alone.
    int calls = sink.calls.size();
    scheduler.advance(RETRY);
    assertThat(sink.calls.subList(calls, sink.calls.size())).containsExactly("apply[b] threw");
    assertThat(loop.stalled(Duration.ofMinutes(10))).isEmpty();

    // Once it no longer fails, it is written and leaves the quarantine.
    sink.poison = Set.of();
    scheduler.advance(RETRY.multipliedBy(4));
    assertThat(sink.written).contains("b");
    assertThat(loop.status().quarantined()).isZero();
  }

  @Test
  void aFullSyncThatFailsUnexpectedlyStillWritesEveryOtherIdAndIsTriedAgain() {
    SinkReconciler loop = reconciler(-1);
    sink.poison = Set.of("b");
    docker.replaceAll(Map.of("a", List.of(instance("a")), "b", List.of(instance("b"))));
    loop.start();
    scheduler.runDue();

    assertThat(sink.written).containsExactly("a");
    assertThat(sink.calls).startsWith("sync[a, b] threw");

    sink.poison = Set.of();
    scheduler.advance(RETRY.multipliedBy(2));
    assertThat(sink.calls).contains("sync[a, b]");
    assertThat(loop.status().convergedOnce()).isTrue();
  }

  @Test
  void aSinkThatFailsUnexpectedlyOnEveryCallIsReportedAsStalled() {
    SinkReconciler loop = reconciler(-1);
    sink.poison = Set.of("*");
    docker.replaceAll(Map.of("a", List.of(instance("a")), "b", List.of(instance("b"))));
    loop.start();
    scheduler.advance(RETRY.multipliedBy(10));

    assertThat(sink.written).isEmpty();
    assertThat(loop.stalled(Duration.ofMinutes(10))).hasValueSatisfying(why ->
        assertThat(why).contains("calls in a row failed unexpectedly")
            .contains("IllegalStateException: poisoned"));
    assertThat(loop.status().consecutiveFailures()).as("not an outage").isZero();

    sink.poison = Set.of();
    scheduler.advance(RETRY.multipliedBy(10));
    assertThat(loop.stalled(Duration.ofMinutes(10))).isEmpty();
    assertThat(loop.status().convergedOnce()).isTrue();
  }

  @Test
  void aChronicallyFailingIdDoesNotDelayAFirstFailureOfAnother() {
    RetryPolicy growing = new RetryPolicy(-1, new Backoff(RETRY, Duration.ofSeconds(30), 2.0,
        0.0, new Random(1)));
    SinkReconciler loop = new SinkReconciler(sink, index, growing, scheduler, scheduler.clock(),
        new SinkReconciler.Listener() {});
    index.addListener(loop);
    docker.replaceAll(Map.of());
    loop.start();
    scheduler.runDue();
    sink.retryAlways = Set.of("old");
    up("old");
    scheduler.advance(Duration.ofSeconds(20)); // old has failed 5 times by now
    sink.calls.clear();

    sink.retryNext = Set.of("new");
    up("new");
    scheduler.runDue();
    scheduler.advance(RETRY);
    assertThat(sink.calls).containsExactly("apply[new]", "apply[new]");
  }

  @Test
  void aCallThatNeverReturnsIsReportedAsStalled() {
    SinkReconciler loop = started();
    sink.duringNextCall = () -> {
      scheduler.clockAdvance(Duration.ofMinutes(11));
      assertThat(loop.stalled(Duration.ofMinutes(10))).hasValueSatisfying(why ->
          assertThat(why).contains("one call to the sink has run for 660 s"));
    };
    up("a");
    scheduler.runDue();
    assertThat(sink.calls).startsWith("apply[a]");
    assertThat(loop.stalled(Duration.ofMinutes(10))).isEmpty();
  }

  /** Records calls as text: {@code apply[a, b]}, {@code sync[a] incomplete}. */
  @Test
  void theFirstSummaryCountsTheWritesMadeWhileTheFirstListingCameIn() {
    try (LogCapture log = new LogCapture(SinkReconciler.class)) {
      SinkReconciler loop = reconciler(-1);
      loop.start();
      scheduler.runDue(); // the start's full sync: nothing listed yet, nothing written

      // Reported as inspected, before the listing ends: written (and logged) by the sink at once.
      sink.nextResult = new SyncResult(1, 1, 0);
      up("a", "b");
      scheduler.runDue();
      assertThat(sink.calls).containsExactly("sync[] incomplete", "apply[a, b]");

      sink.nextResult = new SyncResult(7, 1, 0);
      docker.replaceAll(Map.of("a", List.of(instance("a")), "b", List.of(instance("b")),
          "c", List.of(instance("c"))));
      scheduler.runDue();

      assertThat(log.take()).contains("INFO recording: synced 3 services: 8 created, 2 updated,"
          + " 0 deleted (2 of these writes while the sources were still listing)");

      // Later full syncs count their own writes only.
      sink.nextResult = new SyncResult(0, 1, 0);
      up("d");
      scheduler.runDue();
      sink.nextResult = new SyncResult(1, 0, 0);
      loop.requestFullSync("test");
      scheduler.runDue();
      assertThat(log.take()).contains(
          "INFO recording: synced 4 services: 1 created, 0 updated, 0 deleted");
    }
  }

  private final class RecordingSink implements Sink {
    final List<String> calls = new ArrayList<>();
    final Map<String, Integer> portsSeen = new java.util.HashMap<>();
    final List<Integer> batchSizes = new ArrayList<>();
    boolean started;
    SinkContext context;
    int failures;
    Set<String> retryNext = Set.of();
    Set<String> retryAlways = Set.of();
    /** A call that includes one of these IDs throws (a bug); {@code *} means every call. */
    Set<String> poison = Set.of();
    /** What the next successful call returns instead of "every ID created". */
    SyncResult nextResult;
    final List<String> written = new ArrayList<>();
    Runnable duringNextCall;
    /** With a probe: asked while backing off; answers once {@code answering} is set. */
    Duration probe;
    boolean answering;
    int probes;

    @Override
    public java.util.Optional<Duration> probeInterval() {
      return java.util.Optional.ofNullable(probe);
    }

    @Override
    public boolean answers() {
      probes++;
      return answering;
    }

    @Override
    public String name() {
      return "recording";
    }

    @Override
    public SinkTiming timing() {
      return new SinkTiming(VERIFY);
    }

    @Override
    public void start(SinkContext context) {
      this.started = true;
      this.context = context;
    }

    @Override
    public SyncResult apply(Set<String> ids, DesiredView desired) throws IOException {
      String call = "apply" + new java.util.TreeSet<>(ids);
      batchSizes.add(ids.size());
      ids.forEach(id -> desired.get(id).ifPresent(i -> portsSeen.put(id, i.port())));
      return record(call, ids);
    }

    @Override
    public SyncResult sync(DesiredState desired) throws IOException {
      return record("sync" + desired.services().keySet()
          + (desired.complete() ? "" : " incomplete"), desired.services().keySet());
    }

    private SyncResult record(String call, Set<String> ids) throws IOException {
      Runnable during = duringNextCall;
      duringNextCall = null;
      if (during != null) {
        during.run();
      }
      if (failures > 0) {
        failures--;
        calls.add(call + " failed");
        throw new IOException("control plane down");
      }
      if (poison.contains("*") || ids.stream().anyMatch(poison::contains)) {
        calls.add(call + " threw");
        if (poison.contains("*")) {
          throw new IllegalStateException("poisoned");
        }
        throw new AssertionError("poisoned ID"); // an Error, not an Exception
      }
      calls.add(call);
      Set<String> retry = new java.util.HashSet<>(retryNext);
      retry.addAll(retryAlways);
      retry.retainAll(ids);
      retryNext = Set.of();
      ids.stream().filter(id -> !retry.contains(id)).forEach(written::add);
      SyncResult result = nextResult;
      nextResult = null;
      return result != null ? result : new SyncResult(ids.size(), 0, 0, retry);
    }

    @Override
    public void close() {}
  }
}
