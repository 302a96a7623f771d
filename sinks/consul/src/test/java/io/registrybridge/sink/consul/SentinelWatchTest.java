package io.registrybridge.sink.consul;

import io.registrybridge.core.LogCapture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The sentinel watch, against an agent whose answers the test scripts. */
class SentinelWatchTest {
  private final ScriptedAgent agent = new ScriptedAgent();
  private final List<String> requests = new CopyOnWriteArrayList<>();
  private final AtomicReference<String> held = new AtomicReference<>("svc-1");
  private final SentinelWatch watch = new SentinelWatch("test-watch", "the agent",
      agent::watchService, usable -> Optional.ofNullable(held.get()).filter(usable),
      id -> id.equals(held.get()));

  @AfterEach
  void close() {
    watch.close();
  }

  @Test
  void blocksOnTheSentinelWithItsLastHash() throws Exception {
    agent.answers.add(Optional.of("h1"));
    agent.answers.add(Optional.of("h2"));
    watch.start(requests::add);

    await().atMost(Duration.ofSeconds(5)).until(() -> agent.calls.size() >= 3);
    assertThat(agent.calls.subList(0, 3)).containsExactly("svc-1@", "svc-1@h1", "svc-1@h2");
    assertThat(requests).isEmpty();
  }

  @Test
  void aSentinelTheAgentLostAsksForAFullSync() {
    agent.answers.add(Optional.of("h1"));
    agent.answers.add(Optional.empty());
    watch.start(requests::add);

    await().atMost(Duration.ofSeconds(5)).until(() -> !requests.isEmpty());
    assertThat(requests).containsExactly("the agent lost svc-1");
  }

  @Test
  void aSentinelWeRemovedOurselvesIsNotALoss() {
    agent.answers.add(Optional.of("h1"));
    agent.onCall = () -> held.set(null); // the sink deregistered it meanwhile
    agent.answers.add(Optional.empty());
    watch.start(requests::add);

    await().atMost(Duration.ofSeconds(5)).until(() -> agent.calls.size() >= 2);
    assertThat(requests).isEmpty();
  }

  @Test
  void anAgentThatComesBackIsReadInFull() {
    agent.answers.add(Optional.of("h1"));
    agent.answers.add(Optional.of("h1"));
    agent.failNext = 2;
    watch.start(requests::add);

    await().atMost(Duration.ofSeconds(5)).until(() -> !requests.isEmpty());
    assertThat(requests).containsExactly("the Consul agent answers again");
  }

  @Test
  void anAgentThatStopsAnsweringIsReportedWithinASecondThenReadInFullWhenBack() {
    agent.answers.add(Optional.of("h1"));
    agent.answers.add(Optional.of("h1"));
    agent.failNext = 4;
    watch.start(requests::add);

    await().atMost(Duration.ofSeconds(5)).until(() -> requests.size() == 2);
    assertThat(requests).containsExactly("the Consul agent does not answer",
        "the Consul agent answers again");
  }

  @Test
  void aSentinelTheClientCannotAskForIsSwappedForAnotherWithoutAFullSync() {
    List<String> ours = List.of("bad", "good");
    List<String> calls = new CopyOnWriteArrayList<>();
    SentinelWatch swapping = new SentinelWatch("test-watch-2", "the agent",
        (id, hash, wait) -> {
          calls.add(id);
          if (id.equals("bad")) {
            throw new IllegalArgumentException("@Path parameters shouldn't perform path "
                + "traversal ('.' or '..')");
          }
          return agent.watchService(id, hash, wait);
        },
        usable -> ours.stream().filter(usable).findFirst(), ours::contains);
    try (swapping; LogCapture log = new LogCapture(SentinelWatch.class)) {
      swapping.start(requests::add);

      await().atMost(Duration.ofSeconds(5)).until(() -> calls.contains("good"));
      assertThat(calls.stream().filter("bad"::equals)).hasSize(1);
      assertThat(requests).isEmpty();
      assertThat(log.lines()).containsExactly("WARN consul: cannot watch bad on the agent "
          + "(java.lang.IllegalArgumentException: @Path parameters shouldn't perform path "
          + "traversal ('.' or '..')); watching another service");
    }
  }

  @Test
  void anUnexpectedErrorIsLoggedAndTheWatchCarriesOn() {
    java.util.concurrent.atomic.AtomicInteger picks = new java.util.concurrent.atomic
        .AtomicInteger();
    SentinelWatch failingOnce = new SentinelWatch("test-watch-3", "the agent",
        agent::watchService, usable -> {
          if (picks.incrementAndGet() == 1) {
            throw new AssertionError("a bug in the mirror");
          }
          return Optional.of("svc-1");
        }, id -> true);
    try (failingOnce; LogCapture log = new LogCapture(SentinelWatch.class)) {
      failingOnce.start(requests::add);

      await().atMost(Duration.ofSeconds(5)).until(() -> !agent.calls.isEmpty());
      assertThat(log.lines()).containsExactly(
          "ERROR consul: the watch of the agent failed unexpectedly; carrying on");
    }
  }

  /** Answers watch calls from a queue; an empty queue blocks like a quiet agent. */
  private static final class ScriptedAgent {
    final LinkedBlockingQueue<Optional<String>> answers = new LinkedBlockingQueue<>();
    final List<String> calls = new CopyOnWriteArrayList<>();
    volatile int failNext;
    volatile Runnable onCall;

    Optional<String> watchService(String serviceId, String hash, Duration wait) {
      calls.add(serviceId + "@" + hash);
      Runnable hook = onCall;
      if (hook != null && calls.size() == 2) {
        hook.run();
      }
      if (failNext > 0 && calls.size() > 1) {
        failNext--;
        throw FakeConsulAgent.unreachable();
      }
      try {
        Optional<String> answer = answers.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
        return answer == null ? Optional.of(hash) : answer;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw FakeConsulAgent.unreachable();
      }
    }
  }
}
