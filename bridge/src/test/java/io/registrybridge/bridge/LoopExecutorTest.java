package io.registrybridge.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A loop's thread: every failure logged and counted, nothing stops, a stuck task is seen. */
class LoopExecutorTest {
  private final List<Throwable> unexpected = new CopyOnWriteArrayList<>();
  private final LoopExecutor loop =
      new LoopExecutor("source-test", Clock.systemUTC(), unexpected::add);

  @AfterEach
  void stop() {
    loop.shutdownNow();
  }

  @Test
  void aPeriodicTaskThatThrowsKeepsRunningAndEveryFailureIsCounted() {
    AtomicInteger runs = new AtomicInteger();
    loop.scheduleWithFixedDelay(() -> {
      if (runs.incrementAndGet() % 2 == 1) {
        throw new IllegalStateException("odd run");
      }
    }, 0, 5, TimeUnit.MILLISECONDS);

    // A plain ScheduledThreadPoolExecutor would never run it again after the first throw.
    await().atMost(Duration.ofSeconds(5)).until(() -> runs.get() >= 6);
    assertThat(unexpected).hasSizeGreaterThanOrEqualTo(3)
        .allSatisfy(e -> assertThat(e).hasMessage("odd run"));
  }

  @Test
  void anErrorInOneTaskDoesNotStopTheTasksBehindIt() throws Exception {
    CountDownLatch after = new CountDownLatch(1);
    loop.execute(() -> {
      throw new AssertionError("a bug");
    });
    loop.execute(after::countDown);

    assertThat(after.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(unexpected).singleElement().isInstanceOf(AssertionError.class);
  }

  @Test
  void aTaskThatRunsPastTheLimitIsReportedAndWatchdogNamesTheLoop() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch running = new CountDownLatch(1);
    loop.execute(() -> {
      running.countDown();
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    running.await();
    LoopWatchdog watchdog = new LoopWatchdog();
    watchdog.watch("source-test", () -> loop.stalled(Duration.ZERO));
    watchdog.watch("sink-0 (healthy)", Optional::empty);

    await().atMost(Duration.ofSeconds(5))
        .until(() -> watchdog.stalled().startsWith("source-test: one task has run for"));
    assertThat(watchdog.stalled()).doesNotContain("sink-0");

    release.countDown();
    await().atMost(Duration.ofSeconds(5)).until(() -> watchdog.stalled().isEmpty());
  }
}
