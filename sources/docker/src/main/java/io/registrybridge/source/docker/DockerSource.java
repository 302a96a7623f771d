package io.registrybridge.source.docker;

import static io.registrybridge.source.docker.ContainerEvents.containerOf;
import static io.registrybridge.source.docker.ContainerEvents.verb;
import static io.registrybridge.source.docker.LogText.describe;
import static io.registrybridge.source.docker.LogText.shortId;
import static java.util.Objects.requireNonNull;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.command.InspectContainerResponse.ContainerState;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.EventType;
import com.github.dockerjava.core.DockerClientConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.Source;
import io.registrybridge.core.SourceListener;
import io.registrybridge.retry.Backoff;
import io.registrybridge.source.docker.ContainerRetries.NormalizationFailed;
import io.registrybridge.source.docker.EngineCalls.SourceClosed;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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
 * source is closed, so a hung engine never holds up shutdown ({@link EngineCalls}).
 * docker-java's callback threads only hand events over ({@link EventStream}).
 *
 * <p>This class is the lifecycle: connect, list, events to refresh to report, reconnect, close.
 * Whether the stream lives is {@link EventStreamWatch}'s; a container that fails is retried by
 * {@link ContainerRetries}.
 */
public final class DockerSource implements Source {
  private static final Logger log = LoggerFactory.getLogger(DockerSource.class);

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
  private final MeterRegistry meters;
  private final Timing timing;
  private final EngineCalls engine;
  private final EngineClock engineClock;
  private final EventStreamWatch watch;
  private final ContainerRetries retries;

  // Thread-safe: filled by docker-java's callback threads, drained on the executor.
  private final PendingContainers pending = new PendingContainers();
  private final AtomicBoolean drainScheduled = new AtomicBoolean();
  private final ContainerNames names = new ContainerNames();
  private volatile long generation;
  private volatile boolean closed;

  // Confined to the executor thread.
  private final Map<String, List<ServiceInstance>> reported = new HashMap<>();
  /** {@code reported}'s keys, for {@link #objects} on other threads. */
  private final Set<String> reportedIds = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private SourceListener listener;
  private EventStream stream;
  private ScheduledFuture<?> streamCheck;
  private int failures;
  private boolean connected;
  private boolean listedOnce;

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
    requireNonNull(clock, "clock");
    this.meters = requireNonNull(meters, "meters");
    this.timing = requireNonNull(timing, "timing");
    this.engine = new EngineCalls(docker, timing.request(), () -> closed);
    this.engineClock = new EngineClock(clock);
    this.watch = new EventStreamWatch(docker, engine, engineClock, clock, timing.streamGrace());
    // At zero from the start, so that increase() sees the first one.
    reconnects();
    listings();
    this.retries = new ContainerRetries(reconnect, executor, meters, name(), names, id -> {
      if (pending.add(id)) {
        scheduleDrain();
      }
    });
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
    return watch.aliveAt();
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

  /**
   * Each running container the mapper read: what it gave, or why nothing. A container that gave
   * services before and does not run now is shown as not running until it is removed.
   */
  @Override
  public List<io.registrybridge.core.SourceObject> objects() {
    List<io.registrybridge.core.SourceObject> all = new java.util.ArrayList<>();
    mapper.objects().forEach((id, object) -> {
      if (reportedIds.contains(id) || object.ignored().isPresent()) {
        all.add(object);
      } else if (names.known(id)) {
        all.add(new io.registrybridge.core.SourceObject(object.origin(), object.object(),
            object.attributes(), object.problems(), Optional.of("the container does not run"
                + " (stopped, or kept out by -deregister)")));
      }
    });
    return all;
  }

  @Override
  public void close() {
    closed = true;
    engine.wake();
    try {
      executor.execute(this::closeStream);
    } catch (RejectedExecutionException e) {
      closeStream(); // the executor is gone: nothing else touches the stream any more
    }
    engine.shutdown();
  }

  private void connect() {
    if (closed) {
      return;
    }
    closeStream();
    try {
      String systemTime = engine.call("asking for the engine's clock",
          () -> docker.infoCmd().exec().getSystemTime());
      String since = engineClock.sync(systemTime);
      long streamGeneration = generation + 1;
      generation = streamGeneration;
      stream = new EventStream(streamGeneration, this::onEvent, this::streamEnded, executor,
          () -> closed);
      watch.opening(since);
      docker.eventsCmd()
          .withSince(since)
          .withEventTypeFilter(EventType.CONTAINER, EventType.NETWORK)
          .exec(stream);
      // An engine that accepts the request and never answers it would leave us without a stream.
      engine.await(stream.opened(), "opening the event stream");
      watch.opened();
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
    List<Container> running = engine.call("listing containers",
        () -> docker.listContainersCmd().exec());
    listings().increment();
    for (Container c : running) {
      if (c.getNames() != null && c.getNames().length > 0) {
        names.putListed(c.getId(), c.getNames()[0]);
      }
    }
    boolean early = !listedOnce;
    Set<String> failed = new HashSet<>();
    engine.inspectAll(running.stream().map(Container::getId).toList(), (id, inspected) -> {
      List<ServiceInstance> instances;
      try {
        instances = desiredFor(id, inspected.orElseThrow());
      } catch (SourceClosed e) {
        throw e;
      } catch (RuntimeException e) {
        failed.add(id);
        retries.itemFailed(id, "the listing", e);
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
          instances = desiredFor(id, engine.call("inspecting " + shortId(id),
              () -> InspectedContainers.inspect(docker, id)));
        } catch (SourceClosed e) {
          throw e;
        } catch (RuntimeException e) {
          failed.add(id);
          retries.itemFailed(id, "the listing", e);
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
    retries.recoveredAllBut(failed);
    Set<String> known = new HashSet<>(all.keySet());
    running.forEach(c -> known.add(c.getId()));
    known.addAll(retries.failing());
    names.retainAll(known);
    mapper.retainOnly(known);
    reportedIds.retainAll(all.keySet());
    reportedIds.addAll(all.keySet());
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
    watch.delivered(event);
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
    if (pending.add(containerId, PendingContainers.Says.of(event.getType() == EventType.CONTAINER
        ? verb(event.getAction()) : ""))) {
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
    Boolean foundRunning = null;
    try {
      foundRunning = refresh(containerId);
    } finally {
      pending.done(containerId, foundRunning);
      if (pending.hasWaiting()) {
        scheduleDrain();
      }
    }
  }

  /**
   * Inspects a container and reports what it now serves. When the inspect or the normalization
   * fails, the container keeps what it had and is tried again with backoff rather than left
   * stale until its next event; nothing that fails here escapes to the executor.
   *
   * @return whether the inspect found the container running and not paused; null when it found
   *     no container or did not answer
   */
  private Boolean refresh(String containerId) {
    if (closed || !connected) {
      return null; // the listing that comes with the next connection sees it
    }
    List<ServiceInstance> instances;
    Boolean foundRunning;
    try {
      Optional<InspectContainerResponse> inspected = engine.call(
          "inspecting " + shortId(containerId),
          () -> InspectedContainers.inspect(docker, containerId));
      foundRunning = inspected.map(DockerSource::runningNotPaused).orElse(null);
      instances = desiredFor(containerId, inspected);
      if (inspected.isEmpty()) {
        names.remove(containerId);
        mapper.forget(containerId);
      }
    } catch (SourceClosed e) {
      return null;
    } catch (RuntimeException e) {
      retries.itemFailed(containerId, "an event", e);
      return null;
    }
    retries.recovered(containerId);
    report(containerId, instances);
    return foundRunning;
  }

  private static boolean runningNotPaused(InspectContainerResponse container) {
    ContainerState state = container.getState();
    return state != null && Boolean.TRUE.equals(state.getRunning())
        && !Boolean.TRUE.equals(state.getPaused());
  }

  private void report(String containerId, List<ServiceInstance> instances) {
    List<ServiceInstance> before = instances.isEmpty()
        ? reported.remove(containerId)
        : reported.put(containerId, instances);
    if (instances.isEmpty()) {
      reportedIds.remove(containerId);
    } else {
      reportedIds.add(containerId);
    }
    if (!instances.equals(before == null ? List.of() : before)) {
      listener.update(containerId, instances);
    }
  }

  /**
   * Decodes a canned inspect answer (a running container with {@code SERVICE_*} variables, a
   * published port and a check) with docker-java's own JSON mapper, and normalizes it without
   * reporting or recording it: the per-event code's first run, off the data path.
   */
  @Override
  public void warmUp() {
    mapper.warmUp(warmUpSample());
  }

  /** The canned inspect answer, decoded as the client decodes one. */
  static InspectContainerResponse warmUpSample() {
    try (InputStream json = DockerSource.class.getResourceAsStream("warm-up-inspect.json")) {
      if (json == null) {
        throw new IllegalStateException("warm-up-inspect.json is missing from the jar");
      }
      // The mapper every docker-java client copies; no client configuration is built for it.
      return DockerClientConfig.getDefaultObjectMapper()
          .readValue(json, InspectContainerResponse.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Checks a stream that was silent since the last check against the engine's own record of
   * its events (see {@link Timing}); reopens it when it missed one or the check fails.
   */
  private void checkStream(long streamGeneration) {
    if (closed || streamGeneration != generation || !connected) {
      return;
    }
    boolean missed;
    try {
      missed = watch.missedEvents(() -> streamGeneration == generation);
    } catch (SourceClosed e) {
      return;
    } catch (RuntimeException e) {
      log.warn("docker: could not check the event stream ({}); reopening it and listing again",
          describe(e));
      reopen(streamGeneration);
      return;
    }
    if (missed) {
      log.warn("docker: the event stream was silent, but the engine had events it did not"
          + " deliver (half-open connection?); reopening it and listing again");
      reopen(streamGeneration);
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
    if (runningNotPaused(inspected.get())) {
      try {
        return mapper.instancesOf(inspected.get());
      } catch (SourceClosed e) {
        throw e;
      } catch (RuntimeException e) {
        throw new NormalizationFailed(e);
      }
    }
    ContainerState state = inspected.get().getState();
    if (state == null || !Boolean.TRUE.equals(state.getRunning())) {
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
      current.markClosing();
      try {
        current.close();
      } catch (IOException | RuntimeException e) {
        log.debug("docker: closing event stream", e);
      }
    }
  }
}
