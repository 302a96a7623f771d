package io.registrybridge.source.docker;

import static java.util.Objects.requireNonNull;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.command.InspectContainerResponse.ContainerState;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.EventType;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.Source;
import io.registrybridge.core.SourceListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.registrybridge.retry.Backoff;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.ArrayList;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
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
 * waited for the same way. It never gives up.
 *
 * <p>All work runs on the single-threaded {@code executor} given to it, in event order, so the
 * state below needs no locks. docker-java's callback threads only hand events over.
 */
public final class DockerSource implements Source {
  private static final Logger log = LoggerFactory.getLogger(DockerSource.class);

  /** Container events that can change what a container serves; all others are ignored. */
  /** Inspects in flight at once during a listing; the engine answers several in parallel. */
  private static final int INSPECT_CONCURRENCY = 8;

  private static final Set<String> CONTAINER_ACTIONS = Set.of("start", "restart", "unpause",
      "pause", "die", "stop", "kill", "oom", "destroy", "rename", "update", "health_status");

  private final DockerClient docker;
  private final ContainerMapper mapper;
  private final DeregisterPolicy deregister;
  private final Backoff reconnect;
  private final ScheduledExecutorService executor;
  private final Clock clock;
  private final MeterRegistry meters;

  // Confined to the executor thread.
  private final Map<String, List<ServiceInstance>> reported = new HashMap<>();
  // Containers whose inspect after an event failed, with the attempts so far.
  private final Map<String, Integer> inspectRetries = new HashMap<>();
  private SourceListener listener;
  private EventStream stream;
  private long generation;
  private int failures;
  private boolean connected;
  private boolean listedOnce;
  private volatile boolean closed;
  private ExecutorService inspectPool; // guarded by this; created for the first listing

  /**
   * @param meters receives {@code registry.bridge.source.events} (by event type), {@code
   *     registry.bridge.source.listings} and {@code registry.bridge.source.reconnects}
   */
  public DockerSource(DockerClient docker, ContainerMapper mapper, DeregisterPolicy deregister,
      Backoff reconnect, ScheduledExecutorService executor, Clock clock, MeterRegistry meters) {
    this.docker = requireNonNull(docker, "docker");
    this.mapper = requireNonNull(mapper, "mapper");
    this.deregister = requireNonNull(deregister, "deregister");
    this.reconnect = requireNonNull(reconnect, "reconnect");
    this.executor = requireNonNull(executor, "executor");
    this.clock = requireNonNull(clock, "clock");
    this.meters = requireNonNull(meters, "meters");
    // At zero from the start, so that increase() sees the first reconnect or listing.
    reconnects();
    listings();
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
        } catch (RuntimeException e) {
          streamEnded(generation, e);
        }
      }
    });
  }

  @Override
  public void close() {
    closed = true;
    executor.execute(this::closeStream);
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
      String since = sinceFromEngineClock(docker.infoCmd().exec().getSystemTime());
      stream = new EventStream(++generation);
      docker.eventsCmd()
          .withSince(since)
          .withEventTypeFilter(EventType.CONTAINER, EventType.NETWORK)
          .exec(stream);
      relist(true);
      if (failures > 0) {
        log.info("docker: engine is back after {} failed attempt(s)", failures);
      }
      failures = 0;
      connected = true;
    } catch (RuntimeException e) {
      connected = false;
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
   */
  private void relist(boolean afterConnect) {
    Map<String, List<ServiceInstance>> all = new HashMap<>();
    List<Container> running = docker.listContainersCmd().exec();
    listings().increment();
    boolean early = !listedOnce;
    inspectAll(running.stream().map(Container::getId).toList(), (id, inspected) -> {
      List<ServiceInstance> instances = desiredFor(id, inspected);
      if (!instances.isEmpty()) {
        all.put(id, instances);
        if (early) {
          listener.update(id, instances);
        }
      }
    });
    // Stopped containers whose services the deregister policy keeps are not in the listing.
    for (Map.Entry<String, List<ServiceInstance>> kept : Map.copyOf(reported).entrySet()) {
      if (!all.containsKey(kept.getKey())) {
        List<ServiceInstance> instances = desiredFor(kept.getKey(),
            InspectedContainers.inspect(docker, kept.getKey()));
        if (!instances.isEmpty()) {
          all.put(kept.getKey(), instances);
        }
      }
    }
    reported.clear();
    reported.putAll(all);
    inspectRetries.clear(); // the listing saw everything as it is now
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

  private void onEvent(long streamGeneration, Event event) {
    if (closed || streamGeneration != generation) {
      return;
    }
    String containerId = containerOf(event);
    if (containerId == null) {
      return;
    }
    log.debug("docker: {} {} {}", event.getType(), event.getAction(), shortId(containerId));
    Counter.builder("registry.bridge.source.events")
        .description("Engine events the source acted on, by type").tag("source", name())
        .tag("type", verb(event.getAction())).register(meters).increment();
    if ("destroy".equals(event.getAction())) {
      inspectRetries.remove(containerId);
      report(containerId, List.of());
      return;
    }
    refresh(streamGeneration, containerId, event.getAction());
  }

  /**
   * Inspects a container and reports what it now serves. When the inspect fails (the engine is
   * busy or restarting), it is tried again with backoff rather than leaving the container stale
   * until its next event; a new listing (after a reconnect) makes the retry moot.
   */
  private void refresh(long streamGeneration, String containerId, String why) {
    if (closed || streamGeneration != generation) {
      return;
    }
    List<ServiceInstance> instances;
    try {
      instances = desiredFor(containerId, InspectedContainers.inspect(docker, containerId));
    } catch (RuntimeException e) {
      int attempt = inspectRetries.merge(containerId, 1, Integer::sum);
      long delay = reconnect.delay(Math.min(attempt - 1, 30)).toMillis();
      log.warn("docker: could not inspect {} after {} ({}), trying again in {} ms",
          shortId(containerId), why, describe(e), delay);
      executor.schedule(() -> {
        if (inspectRetries.containsKey(containerId)) {
          refresh(streamGeneration, containerId, why);
        }
      }, delay, TimeUnit.MILLISECONDS);
      return;
    }
    inspectRetries.remove(containerId);
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
   * Inspects containers a few at a time and hands each result to {@code each} on this thread, in
   * the order they complete: a listing of hundreds of containers is bounded by the engine's
   * answers, not by one round trip after another. Only the inspects run in parallel; what is
   * made of them is made on the source's thread.
   *
   * @throws RuntimeException the first inspect failure, like a failed listing: the source
   *     reconnects and lists again
   */
  private void inspectAll(List<String> ids,
      BiConsumer<String, Optional<InspectContainerResponse>> each) {
    if (ids.size() <= 1) {
      ids.forEach(id -> each.accept(id, InspectedContainers.inspect(docker, id)));
      return;
    }
    CompletionService<Map.Entry<String, Optional<InspectContainerResponse>>> done =
        new ExecutorCompletionService<>(inspectPool());
    List<Future<?>> pending = new ArrayList<>(ids.size());
    for (String id : ids) {
      pending.add(done.submit(() -> Map.entry(id, InspectedContainers.inspect(docker, id))));
    }
    try {
      for (int i = 0; i < ids.size(); i++) {
        Map.Entry<String, Optional<InspectContainerResponse>> result = done.take().get();
        each.accept(result.getKey(), result.getValue());
      }
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r
          : new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while listing containers", e);
    } finally {
      pending.forEach(f -> f.cancel(true));
    }
  }

  private synchronized ExecutorService inspectPool() {
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
      return mapper.instancesOf(inspected.get());
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
    closeStream();
    scheduleReconnect(cause == null ? new IOException("event stream ended") : cause);
  }

  private void closeStream() {
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
    Instant since = engineNow.minusSeconds(1);
    return since.getEpochSecond() + "." + String.format("%09d", since.getNano());
  }

  private static String shortId(String id) {
    return id.length() > 12 ? id.substring(0, 12) : id;
  }

  private static String describe(Throwable e) {
    String message = e.getMessage();
    return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  /** Hands docker-java's callbacks over to the executor, tagged with the stream's generation. */
  private final class EventStream extends ResultCallback.Adapter<Event> {
    private final long streamGeneration;
    // Closing a stream yields onError(ClosedByInterruptException): not an engine failure.
    private volatile boolean closing;

    EventStream(long streamGeneration) {
      this.streamGeneration = streamGeneration;
    }

    @Override
    public void onNext(Event event) {
      if (!closed) {
        executor.execute(() -> onEvent(streamGeneration, event));
      }
    }

    @Override
    public void onError(Throwable error) {
      super.onError(error);
      if (!closing && !closed) {
        executor.execute(() -> streamEnded(streamGeneration, error));
      }
    }

    @Override
    public void onComplete() {
      super.onComplete();
      if (!closing && !closed) {
        executor.execute(() -> streamEnded(streamGeneration, null));
      }
    }
  }
}
