package io.registrybridge.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.EventType;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.SourceListener;
import io.registrybridge.retry.Backoff;
import io.registrybridge.source.docker.DeregisterPolicy;
import io.registrybridge.source.docker.DockerSource;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Docker source's event stream against the real engine: a stream that goes silent without
 * ending is found dead and reopened, and a burst of events costs one inspect per container.
 */
class EngineStreamIT {
  /** The bound the issue sets for finding a half-open stream, plus the reopening's slack. */
  private static final Duration HALF_OPEN_BOUND = Duration.ofSeconds(60 + 15);
  private final String host = "it-" + UUID.randomUUID().toString().substring(0, 8);
  private Workloads workloads;
  private ConsulAgent consul;
  private EngineProxy engine;
  private RunningBridge bridge;

  @BeforeEach
  void setUp() {
    workloads = new Workloads();
    engine = new EngineProxy(EngineProxy.engineSocket());
  }

  @AfterEach
  void tearDown() throws Exception {
    if (bridge != null) {
      bridge.close();
    }
    engine.close();
    workloads.close();
    if (consul != null) {
      consul.close();
    }
  }

  @Test
  void aHalfOpenEventStreamIsReopenedAndTheContainersListedAgain() throws Exception {
    consul = ConsulAgent.started();
    String name = workloads.prefix("halfopen");
    workloads.start(new Workloads.Spec(name + "-before").publish(80)
        .env("SERVICE_NAME", name + "-before"));
    engine.up();
    // Default timings: the bound checked is the daemon's own.
    bridge = RunningBridge.start(Map.of("DOCKER_HOST", engine.dockerHost()),
        "-hostname", host, "-retry-interval", "200", "-retry-max-interval", "1000",
        consul.uri());
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
        consul.servicesNamed(name).keySet()).containsExactly(host + ":" + name + "-before:80"));

    engine.stall();
    workloads.start(new Workloads.Spec(name + "-after").publish(80)
        .env("SERVICE_NAME", name + "-after"));

    // Only a new stream and a new listing can tell the bridge about the container.
    await().atMost(HALF_OPEN_BOUND).untilAsserted(() -> assertThat(
        consul.servicesNamed(name).keySet()).containsExactlyInAnyOrder(
            host + ":" + name + "-before:80", host + ":" + name + "-after:80"));
  }

  /** Follows the engine's events and keeps the containers they are about. */
  private static final class ContainersWithEvents extends ResultCallback.Adapter<Event> {
    final Set<String> ids = ConcurrentHashMap.newKeySet();

    @Override
    public void onNext(Event event) {
      if (event.getType() == EventType.CONTAINER) {
        ids.add(event.getId());
      } else if (event.getActor() != null && event.getActor().getAttributes() != null
          && event.getActor().getAttributes().get("container") != null) {
        ids.add(event.getActor().getAttributes().get("container"));
      }
    }
  }

  @Test
  void aBurstOfEventsCostsOneInspectPerContainer() throws Exception {
    String name = workloads.prefix("burst");
    List<String> ours = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      ours.add(workloads.start(new Workloads.Spec(name + "-" + i)));
    }
    Map<String, AtomicInteger> inspected = new ConcurrentHashMap<>();
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1);
    CountDownLatch listed = new CountDownLatch(1);
    DockerSource source = new DockerSource(workloads.docker(), (InspectContainerResponse c) -> {
      if (ours.contains(c.getId())) {
        inspected.computeIfAbsent(c.getId(), id -> new AtomicInteger()).incrementAndGet();
      }
      return List.<ServiceInstance>of();
    }, DeregisterPolicy.ALWAYS, Backoff.exponential(Duration.ofMillis(200), Duration.ofSeconds(1)),
        executor, Clock.systemUTC(), meters);
    ExecutorService senders = Executors.newFixedThreadPool(8);
    // Other tests share the engine: their containers may wait too, one entry each. The engine
    // keeps only its last 256 events, so the bound is taken from a stream of our own, opened
    // from before the source's own (which replays a second).
    long sourceStart = OffsetDateTime.parse(workloads.docker().infoCmd().exec().getSystemTime())
        .toEpochSecond() - 2;
    ContainersWithEvents withEvents = workloads.docker().eventsCmd()
        .withSince(String.valueOf(sourceStart)).withEventTypeFilter("container", "network")
        .exec(new ContainersWithEvents());
    try {
      source.start(new SourceListener() {
        @Override
        public void replaceAll(Map<String, List<ServiceInstance>> all) {
          listed.countDown();
        }

        @Override
        public void update(String origin, List<ServiceInstance> instances) {}
      });
      assertThat(listed.await(30, TimeUnit.SECONDS)).isTrue();
      await().atMost(Duration.ofSeconds(10)).until(() -> executor.getQueue().size() <= 1);
      inspected.clear();
      Counter kills = meters.counter("registry.bridge.source.events", "source", "docker",
          "type", "kill");
      double killsBefore = kills.count();

      // The source's thread is busy (a listing, a slow engine) while the burst arrives.
      CountDownLatch busy = new CountDownLatch(1);
      executor.execute(() -> {
        try {
          busy.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      List<Future<?>> sent = new ArrayList<>();
      for (int round = 0; round < 100; round++) {
        for (String id : ours) {
          // SIGWINCH: a real "kill" event, and busybox carries on.
          sent.add(senders.submit(() -> workloads.docker().killContainerCmd(id)
              .withSignal("SIGWINCH").exec()));
        }
      }
      for (Future<?> f : sent) {
        f.get(60, TimeUnit.SECONDS);
      }
      int[] mostPending = {0};
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        mostPending[0] = Math.max(mostPending[0], source.pendingInspects());
        return kills.count() - killsBefore >= 2000;
      });
      mostPending[0] = Math.max(mostPending[0], source.pendingInspects());
      // Keys, not events: the executor holds one drain task at most (and the stream check).
      assertThat(executor.getQueue().size()).isLessThanOrEqualTo(2);
      busy.countDown();

      await().atMost(Duration.ofSeconds(30)).until(() -> source.pendingInspects() == 0
          && executor.getQueue().size() <= 1 && inspected.keySet().containsAll(ours));
      assertThat(mostPending[0]).isBetween(20, withEvents.ids.size());
      int total = inspected.values().stream().mapToInt(AtomicInteger::get).sum();
      assertThat(total).as("inspects for 2,000 events").isLessThanOrEqualTo(40);
    } finally {
      withEvents.close();
      senders.shutdownNow();
      source.close();
      executor.shutdownNow();
    }
  }

  @Test
  void aContainerThatCannotBeNormalizedCostsOnlyItselfAndIsRetried() throws Exception {
    String name = workloads.prefix("isolated");
    String good1 = workloads.start(new Workloads.Spec(name + "-good1"));
    String good2 = workloads.start(new Workloads.Spec(name + "-good2"));
    String bad = workloads.start(new Workloads.Spec(name + "-bad"));
    Set<String> ours = Set.of(good1, good2, bad);
    AtomicBoolean broken = new AtomicBoolean(true);
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1);
    List<Map<String, List<ServiceInstance>>> listings = new CopyOnWriteArrayList<>();
    Map<String, List<ServiceInstance>> updates = new ConcurrentHashMap<>();
    DockerSource source = new DockerSource(workloads.docker(), (InspectContainerResponse c) -> {
      if (!ours.contains(c.getId())) {
        return List.of();
      }
      if (c.getId().equals(bad) && broken.get()) {
        throw new IllegalStateException("a normalizer bug");
      }
      return List.of(ServiceInstance.builder(c.getId(), name).origin("docker:" + c.getName())
          .build());
    }, DeregisterPolicy.ALWAYS, Backoff.exponential(Duration.ofMillis(200), Duration.ofSeconds(1)),
        executor, Clock.systemUTC(), meters);
    try {
      source.start(new SourceListener() {
        @Override
        public void replaceAll(Map<String, List<ServiceInstance>> all) {
          listings.add(all);
        }

        @Override
        public void update(String origin, List<ServiceInstance> instances) {
          updates.put(origin, instances);
        }
      });

      // The listing completes, with every container but the broken one.
      await().atMost(Duration.ofSeconds(30)).until(() -> !listings.isEmpty());
      assertThat(listings.get(0)).containsKeys(good1, good2).doesNotContainKey(bad);
      assertThat(meters.counter("registry.bridge.source.item.failures", "source", "docker",
          "stage", "normalize").count()).isGreaterThanOrEqualTo(1);
      assertThat(meters.counter("registry.bridge.source.reconnects", "source", "docker")
          .count()).isZero();

      broken.set(false);
      // Retried on its own, without a new listing.
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(updates.get(bad))
          .extracting(ServiceInstance::id).containsExactly(bad));
      assertThat(listings).hasSize(1);
    } finally {
      source.close();
      executor.shutdownNow();
    }
  }

  @Test
  void closeDoesNotWaitForAHungEngine() throws Exception {
    engine.up();
    engine.hang();
    URI proxy = URI.create(engine.dockerHost());
    // A client without any timeout: the source's own deadline and close() must do.
    DockerClient hung = DockerClientImpl.getInstance(
        DefaultDockerClientConfig.createDefaultConfigBuilder().withDockerHost(proxy.toString())
            .build(),
        new ApacheDockerHttpClient.Builder().dockerHost(proxy).build());
    ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1);
    DockerSource source = new DockerSource(hung, c -> List.of(), DeregisterPolicy.ALWAYS,
        Backoff.exponential(Duration.ofMillis(200), Duration.ofSeconds(1)), executor,
        Clock.systemUTC(), new SimpleMeterRegistry());
    try {
      source.start(new SourceListener() {
        @Override
        public void replaceAll(Map<String, List<ServiceInstance>> all) {}

        @Override
        public void update(String origin, List<ServiceInstance> instances) {}
      });
      // The source is waiting for the engine's clock, which never comes.
      await().atMost(Duration.ofSeconds(5)).until(() -> engine.accepted() >= 1);
      await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
          .until(() -> source.streamAliveAt().isEmpty());

      long started = System.nanoTime();
      source.close();
      executor.shutdown();

      assertThat(executor.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(1));
    } finally {
      executor.shutdownNow();
      hung.close();
    }
  }
}
