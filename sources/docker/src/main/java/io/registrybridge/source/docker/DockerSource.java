package io.registrybridge.source.docker;

import static java.util.Objects.requireNonNull;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.command.InspectContainerResponse.ContainerState;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.EventType;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.Source;
import io.registrybridge.core.SourceListener;
import io.registrybridge.retry.Backoff;
import java.io.Closeable;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the Docker engine: an event stream for changes, a full listing to start from.
 *
 * <p>The order matters: the event stream is opened first (from the engine's own clock, a second
 * back), then containers are listed, so a container started in between is seen by one or the
 * other, and seeing it twice is harmless because every event re-inspects the container.
 *
 * <p>When the stream ends (engine restart, socket gone) the source keeps what it last reported,
 * reconnects with backoff and lists everything again; an engine that is unreachable at start is
 * waited for the same way. It never gives up. Only engine-level failures (the clock, the listing,
 * the stream) reconnect: a container that cannot be inspected or normalized is reported, keeps
 * what it had, and is retried on its own with backoff.
 *
 * <p>Events are kept as keys, not as tasks ({@link PendingContainers}): at most one inspect waits
 * per container, whatever the rate of events.
 *
 * <p>All work runs on the single-threaded {@code executor} given to it, in order, so the state
 * below needs no locks. Requests to the engine run on {@code docker-inspect-N} threads and the
 * executor waits for them with a deadline ({@link Timing#request}), and wakes at once when the
 * source is closed, so a hung engine never holds up shutdown. docker-java's callback threads
 * only hand events over.
 */
public final class DockerSource implements Source {
  private static final Logger log = LoggerFactory.getLogger(DockerSource.class);

  /** Engine requests in flight at once (inspects of a listing); the engine answers in parallel. */
  private static final int INSPECT_CONCURRENCY = 8;

  /** Container events that can change what a container serves; all others are ignored. */
  private static final Set<String> CONTAINER_ACTIONS = Set.of("start", "restart", "unpause",
      "pause", "die", "stop", "kill", "oom", "destroy", "rename", "update", "health_status");

  /**
   * How long the source waits for the engine, and how it checks that the event stream lives.
   *
   * <p>The engine's event stream has no heartbeat, so a half-open stream (a socket proxy
   * restarted, a dropped conntrack entry) looks exactly like an idle engine. Every {@code
   * streamCheck} without an event, the source asks the engine for the events of the time since
   * its last check, up to {@code streamGrace} ago ({@code since}/{@code until}: a short request
   * that ends by itself). An event the stream did not deliver, or a check that fails or hangs,
   * means the stream is dead: it is reopened and everything listed again. The grace covers the
   * delivery delay of a live stream, so a live one is never taken for dead. A silent stream with
   * nothing missed needs no repair: nothing it should have said went unsaid.
   *
   * <p>The defaults bound the detection of a dead stream after a missed event by {@code
   * streamGrace + streamCheck + request} = 37 s, leaving the reopening and the listing well
   * within a minute. {@code request} is above the HTTP client's own response timeout (see the
   * bridge's {@code DockerClients}), so that the client, which drops its pooled connections on a
   * timeout, fails first; it is the backstop for a client without one.
   *
   * @param request the longest wait for one answer from the engine (inspect, listing, clock,
   *     the opening of the stream, a stream check)
   * @param streamCheck how often a silent stream is checked
   * @param streamGrace how far back a check looks, at least; above the stream's delivery delay
   */
  public record Timing(Duration request, Duration streamCheck, Duration streamGrace) {
    public static final Timing DEFAULT =
        new Timing(Duration.ofSeconds(15), Duration.ofSeconds(20), Duration.ofSeconds(2));

    public Timing {
      for (Duration d : List.of(requireNonNull(request, "request"),
          requireNonNull(streamCheck, "streamCheck"), requireNonNull(streamGrace, "streamGrace"))) {
        if (d.isNegative() || d.isZero()) {
          throw new IllegalArgumentException("durations must be positive: " + d);
        }
      }
    }
  }

  private final DockerClient docker;
  private final ContainerMapper mapper;
  private final DeregisterPolicy deregister;
  private final Backoff reconnect;
  private final ScheduledExecutorService executor;
  private final Clock clock;
  private final MeterRegistry meters;
  private final Timing timing;

  // Thread-safe: filled by docker-java's callback threads, drained on the executor.
  private final PendingContainers pending = new PendingContainers();
  private final AtomicBoolean drainScheduled = new AtomicBoolean();
  // Container names for log lines, from listings and events; entries go with their container.
  private final Map<String, String> names = new ConcurrentHashMap<>();
  private final AtomicLong delivered = new AtomicLong();
  private final AtomicLong newestDeliveredNanos = new AtomicLong();
  private volatile long generation;
  private volatile Instant streamAlive;
  private volatile boolean closed;
  /** Wakes the executor's thread out of a wait for the engine when the source is closed. */
  private volatile Runnable wakeOnClose;

  // Confined to the executor thread.
  private final Map<String, List<ServiceInstance>> reported = new HashMap<>();
  // Containers whose inspect or normalization failed, with the attempts so far.
  private final Map<String, Integer> attempts = new HashMap<>();
  private final Set<String> retryScheduled = new HashSet<>();
  private SourceListener listener;
  private EventStream stream;
  private ScheduledFuture<?> streamCheck;
  private Duration engineOffset = Duration.ZERO;
  private long checkedUntilNanos;
  private long deliveredAtLastCheck;
  private int failures;
  private boolean connected;
  private boolean listedOnce;
  private ExecutorService inspectPool; // guarded by this; created for the first request

  /**
   * With {@link Timing#DEFAULT}.
   *
   * @param meters receives {@code registry.bridge.source.events} (by event type), {@code
   *     registry.bridge.source.listings}, {@code registry.bridge.source.reconnects}, {@code
   *     registry.bridge.source.item.failures} (by stage) and {@code
   *     registry.bridge.source.pending}
   */
  public DockerSource(DockerClient docker, ContainerMapper mapper, DeregisterPolicy deregister,
      Backoff reconnect, ScheduledExecutorService executor, Clock clock, MeterRegistry meters) {
    this(docker, mapper, deregister, reconnect, executor, clock, meters, Timing.DEFAULT);
  }

  public DockerSource(DockerClient docker, ContainerMapper mapper, DeregisterPolicy deregister,
      Backoff reconnect, ScheduledExecutorService executor, Clock clock, MeterRegistry meters,
      Timing timing) {
    this.docker = requireNonNull(docker, "docker");
    this.mapper = requireNonNull(mapper, "mapper");
    this.deregister = requireNonNull(deregister, "deregister");
    this.reconnect = requireNonNull(reconnect, "reconnect");
    this.executor = requireNonNull(executor, "executor");
    this.clock = requireNonNull(clock, "clock");
    this.meters = requireNonNull(meters, "meters");
    this.timing = requireNonNull(timing, "timing");
    // At zero from the start, so that increase() sees the first one.
    reconnects();
    listings();
    itemFailures("inspect");
    itemFailures("normalize");
    Gauge.builder("registry.bridge.source.pending", pending, PendingContainers::size)
        .description("Containers waiting for an inspect after an event (at most one each)")
        .tag("source", name()).register(meters);
  }

  private Counter reconnects() {
    return Counter.builder("registry.bridge.source.reconnects")
        .description("Times the source lost its backend and connected again")
        .tag("source", name()).register(meters);
  }

  private Counter listings() {
    return Counter.builder("registry.bridge.source.listings")
        .description("Full listings of running containers").tag("source", name())
        .register(meters);
  }

  private Counter itemFailures(String stage) {
    return Counter.builder("registry.bridge.source.item.failures")
        .description("Containers that could not be inspected or normalized (each is retried on"
            + " its own)").tag("source", name()).tag("stage", stage).register(meters);
  }

  @Override
  public String name() {
    return "docker";
  }

  /**
   * When the event stream was last known to be alive: opened, delivering an event, or found by a
   * check to have missed nothing. Empty until it was opened once. A stream found dead is reopened
   * within a minute, so a value older than a few minutes means the engine is gone or the source
   * is stuck.
   */
  public Optional<Instant> streamAliveAt() {
    return Optional.ofNullable(streamAlive);
  }

  /** Containers waiting for an inspect (at most one entry each). */
  public int pendingInspects() {
    return pending.size();
  }

  @Override
  public void start(SourceListener listener) {
    requireNonNull(listener, "listener");
    executor.execute(() -> {
      this.listener = listener;
      connect();
    });
  }

  @Override
  public void resync() {
    executor.execute(() -> {
      if (connected && !closed) {
        try {
          relist(false);
        } catch (SourceClosed e) {
          // closing
        } catch (RuntimeException e) {
          streamEnded(generation, e);
        }
      }
    });
  }

  @Override
  public void close() {
    closed = true;
    Runnable wake = wakeOnClose;
    if (wake != null) {
      wake.run();
    }
    try {
      executor.execute(this::closeStream);
    } catch (RejectedExecutionException e) {
      closeStream(); // the executor is gone: nothing else touches the stream any more
    }
    synchronized (this) {
      if (inspectPool != null) {
        inspectPool.shutdownNow();
      }
    }
  }

  private void connect() {
    if (closed) {
      return;
    }
    closeStream();
    try {
      String systemTime = call("asking for the engine's clock",
          () -> docker.infoCmd().exec().getSystemTime());
      engineOffset = engineOffset(systemTime);
      String since = sinceFromEngineClock(systemTime);
      long streamGeneration = generation + 1;
      generation = streamGeneration;
      stream = new EventStream(streamGeneration);
      newestDeliveredNanos.set(0);
      checkedUntilNanos = nanos(since);
      deliveredAtLastCheck = delivered.get();
      docker.eventsCmd()
          .withSince(since)
          .withEventTypeFilter(EventType.CONTAINER, EventType.NETWORK)
          .exec(stream);
      // An engine that accepts the request and never answers it would leave us without a stream.
      await(stream.opened, "opening the event stream");
      streamAlive = clock.instant();
      relist(true);
      if (failures > 0) {
        log.info("docker: engine is back after {} failed attempt(s)", failures);
      }
      failures = 0;
      connected = true;
      long every = timing.streamCheck().toMillis();
      streamCheck = executor.scheduleWithFixedDelay(() -> checkStream(streamGeneration), every,
          every, TimeUnit.MILLISECONDS);
    } catch (SourceClosed e) {
      closeStream();
    } catch (RuntimeException e) {
      connected = false;
      generation++; // what the failed stream still reports is stale
      closeStream();
      scheduleReconnect(e);
    }
  }

  private void scheduleReconnect(Throwable cause) {
    if (closed) {
      return;
    }
    long delay = reconnect.delay(Math.min(failures, 30)).toMillis();
    failures++;
    reconnects().increment();
    log.warn("docker: engine not reachable ({}), retrying in {} ms", describe(cause), delay);
    executor.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
  }

  /**
   * Lists running containers and reports all of them at once, replacing what came before. A
   * periodic re-listing ({@code -resync}) logs at DEBUG: it is routine and usually finds nothing.
   *
   * <p>The very first listing also reports each container as soon as it is inspected, so that the
   * sinks start writing while the rest is still being inspected; nothing is deleted before the
   * closing {@link SourceListener#replaceAll}, so reporting early is safe.
   *
   * <p>A container that cannot be inspected or normalized keeps what it reported before (so the
   * listing does not delete it), is named in a warning and retried on its own; the listing
   * completes for every other one.
   *
   * @throws RuntimeException only when the engine cannot list: the source reconnects
   */
  private void relist(boolean afterConnect) {
    Map<String, List<ServiceInstance>> all = new HashMap<>();
    List<Container> running = call("listing containers",
        () -> docker.listContainersCmd().exec());
    listings().increment();
    for (Container c : running) {
      if (c.getNames() != null && c.getNames().length > 0) {
        names.put(c.getId(), stripSlash(c.getNames()[0]));
      }
    }
    boolean early = !listedOnce;
    Set<String> failed = new HashSet<>();
    inspectAll(running.stream().map(Container::getId).toList(), (id, inspected) -> {
      List<ServiceInstance> instances;
      try {
        instances = desiredFor(id, inspected.orElseThrow());
      } catch (SourceClosed e) {
        throw e;
      } catch (RuntimeException e) {
        failed.add(id);
        itemFailed(id, "the listing", e);
        instances = reported.getOrDefault(id, List.of());
      }
      if (!instances.isEmpty()) {
        all.put(id, instances);
        if (early) {
          listener.update(id, instances);
        }
      }
    });
    // Stopped containers whose services the deregister policy keeps are not in the listing.
    for (Map.Entry<String, List<ServiceInstance>> kept : Map.copyOf(reported).entrySet()) {
      String id = kept.getKey();
      if (!all.containsKey(id) && !failed.contains(id)) {
        List<ServiceInstance> instances;
        try {
          instances = desiredFor(id, call("inspecting " + shortId(id),
              () -> InspectedContainers.inspect(docker, id)));
        } catch (SourceClosed e) {
          throw e;
        } catch (RuntimeException e) {
          failed.add(id);
          itemFailed(id, "the listing", e);
          instances = kept.getValue();
        }
        if (!instances.isEmpty()) {
          all.put(id, instances);
        }
      }
    }
    reported.clear();
    reported.putAll(all);
    // The listing saw everything else as it is now.
    for (String id : List.copyOf(attempts.keySet())) {
      if (!failed.contains(id)) {
        recovered(id);
      }
    }
    Set<String> known = new HashSet<>(all.keySet());
    running.forEach(c -> known.add(c.getId()));
    known.addAll(attempts.keySet());
    names.keySet().retainAll(known);
    listener.replaceAll(Map.copyOf(all));
    listedOnce = true;
    if (afterConnect || log.isDebugEnabled()) {
      String line = "docker: listed {} running containers, {} with services, {} services";
      Object[] counts = {running.size(), all.size(),
          all.values().stream().mapToInt(List::size).sum()};
      if (afterConnect) {
        log.info(line, counts);
      } else {
        log.debug(line, counts);
      }
    }
  }

  /** On docker-java's callback thread: notes the event and queues its container. */
  private void onEvent(long streamGeneration, Event event) {
    if (closed || streamGeneration != generation) {
      return;
    }
    delivered.incrementAndGet();
    newestDeliveredNanos.accumulateAndGet(eventNanos(event), Math::max);
    streamAlive = clock.instant();
    String containerId = containerOf(event);
    if (containerId == null) {
      return;
    }
    log.debug("docker: {} {} {}", event.getType(), event.getAction(), shortId(containerId));
    Counter.builder("registry.bridge.source.events")
        .description("Engine events the source acted on, by type").tag("source", name())
        .tag("type", verb(event.getAction())).register(meters).increment();
    if (event.getType() == EventType.CONTAINER && event.getActor() != null
        && event.getActor().getAttributes() != null) {
      String name = event.getActor().getAttributes().get("name");
      if (name != null && !"destroy".equals(event.getAction())) {
        names.put(containerId, name);
      }
    }
    if (pending.add(containerId)) {
      scheduleDrain();
    }
  }

  private void scheduleDrain() {
    if (!closed && drainScheduled.compareAndSet(false, true)) {
      try {
        executor.execute(this::drainOne);
      } catch (RejectedExecutionException e) {
        drainScheduled.set(false); // shutting down
      }
    }
  }

  /** Inspects one waiting container; one per task, so that other work interleaves. */
  private void drainOne() {
    drainScheduled.set(false);
    String containerId = pending.take();
    if (containerId == null) {
      return;
    }
    try {
      refresh(containerId);
    } finally {
      pending.done(containerId);
      if (pending.hasWaiting()) {
        scheduleDrain();
      }
    }
  }

  /**
   * Inspects a container and reports what it now serves. When the inspect or the normalization
   * fails, the container keeps what it had and is tried again with backoff rather than left
   * stale until its next event; nothing that fails here escapes to the executor.
   */
  private void refresh(String containerId) {
    if (closed || !connected) {
      return; // the listing that comes with the next connection sees it
    }
    List<ServiceInstance> instances;
    try {
      Optional<InspectContainerResponse> inspected = call("inspecting " + shortId(containerId),
          () -> InspectedContainers.inspect(docker, containerId));
      instances = desiredFor(containerId, inspected);
      if (inspected.isEmpty()) {
        names.remove(containerId);
      }
    } catch (SourceClosed e) {
      return;
    } catch (RuntimeException e) {
      itemFailed(containerId, "an event", e);
      return;
    }
    recovered(containerId);
    report(containerId, instances);
  }

  private void report(String containerId, List<ServiceInstance> instances) {
    List<ServiceInstance> before = instances.isEmpty()
        ? reported.remove(containerId)
        : reported.put(containerId, instances);
    if (!instances.equals(before == null ? List.of() : before)) {
      listener.update(containerId, instances);
    }
  }

  /**
   * One container could not be inspected or normalized: named in one warning (later attempts
   * log at DEBUG), counted, and queued again after a backoff. A normalizer failure is a bug, so
   * its stack trace is logged.
   */
  private void itemFailed(String containerId, String during, RuntimeException error) {
    boolean normalize = error instanceof NormalizationFailed;
    itemFailures(normalize ? "normalize" : "inspect").increment();
    int attempt = attempts.merge(containerId, 1, Integer::sum);
    long delay = reconnect.delay(Math.min(attempt - 1, 30)).toMillis();
    String what = normalize ? "could not be normalized" : "could not be inspected";
    Throwable cause = normalize ? error.getCause() : error;
    if (attempt == 1) {
      String line = "docker: container {} {} after {} ({}); it keeps what it had, trying again"
          + " in {} ms";
      if (normalize) {
        log.warn(line, describeContainer(containerId), what, during, describe(cause), delay,
            cause);
      } else {
        log.warn(line, describeContainer(containerId), what, during, describe(cause), delay);
      }
    } else {
      log.debug("docker: container {} {} again (attempt {}: {}), trying again in {} ms",
          describeContainer(containerId), what, attempt, describe(cause), delay);
    }
    if (retryScheduled.add(containerId)) {
      executor.schedule(() -> {
        retryScheduled.remove(containerId);
        if (attempts.containsKey(containerId) && pending.add(containerId)) {
          scheduleDrain();
        }
      }, delay, TimeUnit.MILLISECONDS);
    }
  }

  private void recovered(String containerId) {
    Integer failed = attempts.remove(containerId);
    if (failed != null) {
      log.info("docker: container {} is read again after {} failed attempt(s)",
          describeContainer(containerId), failed);
    }
  }

  /**
   * Inspects containers a few at a time and hands each result to {@code each} on this thread, in
   * the order they complete: a listing of hundreds of containers is bounded by the engine's
   * answers, not by one round trip after another. Only the inspects run in parallel; what is
   * made of them is made on the source's thread. A container whose inspect fails or does not
   * answer in time is handed over as a failure (an empty result of {@code orElseThrow}), so it
   * costs only itself.
   */
  private void inspectAll(List<String> ids, InspectResult each) {
    BlockingQueue<Inspected> done = new LinkedBlockingQueue<>();
    List<Future<?>> running = new ArrayList<>(ids.size());
    Set<String> outstanding = new HashSet<>(ids);
    wakeOnClose = () -> done.add(Inspected.CLOSED);
    try {
      if (closed) {
        throw new SourceClosed();
      }
      for (String id : ids) {
        running.add(inspectPool().submit(() -> {
          try {
            done.add(new Inspected(id, InspectedContainers.inspect(docker, id), null));
          } catch (RuntimeException e) {
            done.add(new Inspected(id, null, e));
          }
        }));
      }
      while (!outstanding.isEmpty()) {
        Inspected result = done.poll(timing.request().toMillis(), TimeUnit.MILLISECONDS);
        if (result == Inspected.CLOSED || closed) {
          throw new SourceClosed();
        }
        if (result == null) {
          // Nothing answered for a whole request deadline: the rest fail, one by one.
          for (String id : List.copyOf(outstanding)) {
            outstanding.remove(id);
            each.accept(id, new Failed(new EngineTimeoutException("inspecting " + shortId(id)
                + ": no answer from the engine within " + timing.request().toMillis() + " ms")));
          }
          break;
        }
        if (outstanding.remove(result.id())) {
          each.accept(result.id(), result.error() == null
              ? new Answer(result.container()) : new Failed(result.error()));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SourceClosed();
    } catch (RejectedExecutionException e) {
      throw new SourceClosed();
    } finally {
      wakeOnClose = null;
      running.forEach(f -> f.cancel(true));
    }
  }

  /** What one inspect of a listing gave: a container (or its absence), or the failure. */
  private sealed interface InspectOutcome permits Answer, Failed {
    Optional<InspectContainerResponse> orElseThrow();
  }

  private record Answer(Optional<InspectContainerResponse> container) implements InspectOutcome {
    @Override
    public Optional<InspectContainerResponse> orElseThrow() {
      return container;
    }
  }

  private record Failed(RuntimeException error) implements InspectOutcome {
    @Override
    public Optional<InspectContainerResponse> orElseThrow() {
      throw error;
    }
  }

  @FunctionalInterface
  private interface InspectResult {
    void accept(String id, InspectOutcome outcome);
  }

  private record Inspected(String id, Optional<InspectContainerResponse> container,
      RuntimeException error) {
    static final Inspected CLOSED = new Inspected("", Optional.empty(), null);
  }

  /**
   * Runs one request on an inspect thread and waits for it, at most {@link Timing#request}, or
   * until the source is closed.
   */
  private <T> T call(String what, Callable<T> request) {
    CompletableFuture<T> answer = new CompletableFuture<>();
    Future<?> running;
    try {
      running = inspectPool().submit(() -> {
        try {
          answer.complete(request.call());
        } catch (Throwable t) {
          answer.completeExceptionally(t);
        }
      });
    } catch (RejectedExecutionException e) {
      throw new SourceClosed();
    }
    try {
      return await(answer, what);
    } finally {
      running.cancel(true);
    }
  }

  private <T> T await(CompletableFuture<T> answer, String what) {
    wakeOnClose = () -> answer.completeExceptionally(new SourceClosed());
    try {
      if (closed) {
        throw new SourceClosed();
      }
      return answer.get(timing.request().toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new EngineTimeoutException(what + ": no answer from the engine within "
          + timing.request().toMillis() + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SourceClosed();
    } catch (ExecutionException | CompletionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(what + ": " + describe(cause), cause);
    } finally {
      wakeOnClose = null;
    }
  }

  private synchronized ExecutorService inspectPool() {
    if (closed) {
      throw new SourceClosed();
    }
    if (inspectPool == null) {
      AtomicInteger n = new AtomicInteger();
      inspectPool = Executors.newFixedThreadPool(INSPECT_CONCURRENCY, runnable -> {
        Thread thread = new Thread(runnable, "docker-inspect-" + n.incrementAndGet());
        thread.setDaemon(true);
        return thread;
      });
    }
    return inspectPool;
  }

  /**
   * Checks a stream that was silent since the last check against the engine's own record of
   * its events (see {@link Timing}); reopens it when it missed one or the check fails.
   */
  private void checkStream(long streamGeneration) {
    if (closed || streamGeneration != generation || !connected) {
      return;
    }
    long count = delivered.get();
    if (count != deliveredAtLastCheck) {
      deliveredAtLastCheck = count;
      checkedUntilNanos = Math.max(checkedUntilNanos, newestDeliveredNanos.get());
      return; // it spoke since the last check
    }
    Instant now = clock.instant();
    long untilNanos = nanos(now.plus(engineOffset).minus(timing.streamGrace()));
    if (untilNanos <= checkedUntilNanos) {
      return;
    }
    long newest;
    try {
      newest = newestEventBetween(checkedUntilNanos, untilNanos);
    } catch (SourceClosed e) {
      return;
    } catch (RuntimeException e) {
      log.warn("docker: could not check the event stream ({}); reopening it and listing again",
          describe(e));
      reopen(streamGeneration);
      return;
    }
    if (streamGeneration != generation) {
      return;
    }
    if (newest > newestDeliveredNanos.get()) {
      log.warn("docker: the event stream was silent, but the engine had events it did not"
          + " deliver (half-open connection?); reopening it and listing again");
      reopen(streamGeneration);
      return;
    }
    checkedUntilNanos = untilNanos;
    streamAlive = now;
  }

  /** The engine time of the newest container or network event in (since, until], or 0. */
  private long newestEventBetween(long sinceNanos, long untilNanos) {
    StreamCheck check = new StreamCheck();
    try {
      docker.eventsCmd()
          .withSince(format(sinceNanos))
          .withUntil(format(untilNanos))
          .withEventTypeFilter(EventType.CONTAINER, EventType.NETWORK)
          .exec(check);
      return await(check.newest, "checking the event stream");
    } finally {
      try {
        check.close();
      } catch (IOException | RuntimeException e) {
        log.debug("docker: closing the stream check", e);
      }
    }
  }

  /** A stream found dead on a live engine is replaced at once, then everything is listed. */
  private void reopen(long streamGeneration) {
    if (closed || streamGeneration != generation) {
      return;
    }
    connected = false;
    generation++;
    closeStream();
    reconnects().increment();
    executor.execute(this::connect);
  }

  /** The container ID an event is about, or null for events we do not act on. */
  private static String containerOf(Event event) {
    String action = event.getAction() == null ? "" : event.getAction();
    if (event.getType() == EventType.NETWORK) {
      boolean membership = action.equals("connect") || action.equals("disconnect");
      Map<String, String> attributes = event.getActor() == null
          ? Map.of()
          : event.getActor().getAttributes();
      return membership && attributes != null ? attributes.get("container") : null;
    }
    return CONTAINER_ACTIONS.contains(verb(action)) ? event.getId() : null;
  }

  /** "health_status: healthy" and the like carry their detail after a colon. */
  private static String verb(String action) {
    if (action == null) {
      return "";
    }
    int colon = action.indexOf(':');
    return colon < 0 ? action : action.substring(0, colon);
  }

  /**
   * What a container should have registered now: its services while it runs and is not paused;
   * after it stopped, what it had if the deregister policy keeps them; nothing once it is gone.
   *
   * @throws NormalizationFailed when the mapper throws (a bug: it must not, for any input)
   */
  private List<ServiceInstance> desiredFor(String containerId,
      Optional<InspectContainerResponse> inspected) {
    if (inspected.isEmpty()) {
      return List.of();
    }
    ContainerState state = inspected.get().getState();
    boolean running = state != null && Boolean.TRUE.equals(state.getRunning());
    boolean paused = state != null && Boolean.TRUE.equals(state.getPaused());
    if (running && !paused) {
      try {
        return mapper.instancesOf(inspected.get());
      } catch (SourceClosed e) {
        throw e;
      } catch (RuntimeException e) {
        throw new NormalizationFailed(e);
      }
    }
    if (!running) {
      Long exitCode = state == null ? null : state.getExitCodeLong();
      if (exitCode != null && deregister.keepsServicesAfterExit(exitCode)) {
        return reported.getOrDefault(containerId, List.of());
      }
    }
    return List.of(); // paused containers cannot answer, stopped ones are gone
  }

  private void streamEnded(long streamGeneration, Throwable cause) {
    if (closed || streamGeneration != generation) {
      return;
    }
    connected = false;
    generation++; // the stream's onError and onComplete both report its end: act once
    closeStream();
    scheduleReconnect(cause == null ? new IOException("event stream ended") : cause);
  }

  private void closeStream() {
    ScheduledFuture<?> check = streamCheck;
    streamCheck = null;
    if (check != null) {
      check.cancel(false);
    }
    EventStream current = stream;
    stream = null;
    if (current != null) {
      current.closing = true;
      try {
        current.close();
      } catch (IOException | RuntimeException e) {
        log.debug("docker: closing event stream", e);
      }
    }
  }

  /**
   * Events are requested from a second before the engine's current time, so events that happen
   * while the stream is being set up are replayed rather than lost. The engine's clock is used
   * because a remote engine's clock may differ from ours.
   */
  String sinceFromEngineClock(String engineSystemTime) {
    Instant engineNow;
    try {
      engineNow = OffsetDateTime.parse(engineSystemTime).toInstant();
    } catch (RuntimeException e) {
      engineNow = clock.instant().minusSeconds(5);
    }
    return format(nanos(engineNow.minusSeconds(1)));
  }

  /** The engine's clock minus ours, so that a stream check asks in the engine's time. */
  private Duration engineOffset(String engineSystemTime) {
    try {
      return Duration.between(clock.instant(),
          OffsetDateTime.parse(engineSystemTime).toInstant());
    } catch (RuntimeException e) {
      return Duration.ZERO;
    }
  }

  private static long nanos(Instant instant) {
    return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
  }

  private static long nanos(String engineTime) {
    int dot = engineTime.indexOf('.');
    return Long.parseLong(engineTime.substring(0, dot)) * 1_000_000_000L
        + Long.parseLong(engineTime.substring(dot + 1));
  }

  /** The engine's {@code since}/{@code until} form: seconds, a dot, nine digits of nanos. */
  private static String format(long nanos) {
    return nanos / 1_000_000_000L + "." + String.format("%09d", nanos % 1_000_000_000L);
  }

  private static long eventNanos(Event event) {
    if (event.getTimeNano() != null) {
      return event.getTimeNano();
    }
    return event.getTime() == null ? 0 : event.getTime() * 1_000_000_000L;
  }

  private String describeContainer(String id) {
    String name = names.get(id);
    return shortId(id) + (name == null ? "" : " (" + name + ")");
  }

  private static String stripSlash(String name) {
    return name.startsWith("/") ? name.substring(1) : name;
  }

  private static String shortId(String id) {
    return id.length() > 12 ? id.substring(0, 12) : id;
  }

  private static String describe(Throwable e) {
    String message = e.getMessage();
    return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  /** The source was closed while it waited for the engine: the task ends without a word. */
  private static final class SourceClosed extends RuntimeException {
    SourceClosed() {
      super("docker source closed", null, false, false);
    }
  }

  /** The engine did not answer one request in time. */
  private static final class EngineTimeoutException extends RuntimeException {
    EngineTimeoutException(String message) {
      super(message);
    }
  }

  /** The mapper threw for one container: a bug, isolated to that container. */
  private static final class NormalizationFailed extends RuntimeException {
    NormalizationFailed(RuntimeException cause) {
      super(cause.getMessage(), cause);
    }
  }

  /** Hands docker-java's callbacks over to the executor, tagged with the stream's generation. */
  private final class EventStream extends ResultCallback.Adapter<Event> {
    private final long streamGeneration;
    /** Completes when the engine answered the request: the subscription is in place. */
    private final CompletableFuture<Void> opened = new CompletableFuture<>();
    // Closing a stream yields onError(ClosedByInterruptException): not an engine failure.
    private volatile boolean closing;

    EventStream(long streamGeneration) {
      this.streamGeneration = streamGeneration;
    }

    @Override
    public void onStart(Closeable closeable) {
      super.onStart(closeable);
      opened.complete(null);
    }

    @Override
    public void onNext(Event event) {
      onEvent(streamGeneration, event);
    }

    @Override
    public void onError(Throwable error) {
      opened.completeExceptionally(error);
      if (closing || closed) {
        try {
          close();
        } catch (IOException e) {
          // closing anyway
        }
        return;
      }
      super.onError(error);
      execute(() -> streamEnded(streamGeneration, error));
    }

    @Override
    public void onComplete() {
      super.onComplete();
      opened.completeExceptionally(new IOException("event stream ended"));
      if (!closing && !closed) {
        execute(() -> streamEnded(streamGeneration, null));
      }
    }

    private void execute(Runnable task) {
      try {
        executor.execute(task);
      } catch (RejectedExecutionException e) {
        // shutting down
      }
    }
  }

  /** Collects the time of the newest event of a bounded request ({@code until}). */
  private static final class StreamCheck extends ResultCallback.Adapter<Event> {
    private final CompletableFuture<Long> newest = new CompletableFuture<>();
    private long newestNanos;

    @Override
    public void onNext(Event event) {
      newestNanos = Math.max(newestNanos, eventNanos(event));
    }

    @Override
    public void onError(Throwable error) {
      newest.completeExceptionally(error);
      try {
        close();
      } catch (IOException e) {
        // closing anyway
      }
    }

    @Override
    public void onComplete() {
      newest.complete(newestNanos);
      super.onComplete();
    }
  }
}
