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
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
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
  private SourceListener listener;
  private EventStream stream;
  private long generation;
  private int failures;
  private boolean connected;
  private volatile boolean closed;

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
    meters.counter("registry.bridge.source.reconnects", "source", name()).increment();
    log.warn("docker: engine not reachable ({}), retrying in {} ms", describe(cause), delay);
    executor.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
  }

  /**
   * Lists running containers and reports all of them at once, replacing what came before. A
   * periodic re-listing ({@code -resync}) logs at DEBUG: it is routine and usually finds nothing.
   */
  private void relist(boolean afterConnect) {
    Map<String, List<ServiceInstance>> all = new HashMap<>();
    List<Container> running = docker.listContainersCmd().exec();
    meters.counter("registry.bridge.source.listings", "source", name()).increment();
    for (Container container : running) {
      List<ServiceInstance> instances = desiredFor(container.getId());
      if (!instances.isEmpty()) {
        all.put(container.getId(), instances);
      }
    }
    // Stopped containers whose services the deregister policy keeps are not in the listing.
    for (Map.Entry<String, List<ServiceInstance>> kept : Map.copyOf(reported).entrySet()) {
      if (!all.containsKey(kept.getKey())) {
        List<ServiceInstance> instances = desiredFor(kept.getKey());
        if (!instances.isEmpty()) {
          all.put(kept.getKey(), instances);
        }
      }
    }
    reported.clear();
    reported.putAll(all);
    listener.replaceAll(Map.copyOf(all));
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
    meters.counter("registry.bridge.source.events", "source", name(), "type",
        verb(event.getAction())).increment();
    try {
      List<ServiceInstance> instances = "destroy".equals(event.getAction())
          ? List.of()
          : desiredFor(containerId);
      List<ServiceInstance> before = instances.isEmpty()
          ? reported.remove(containerId)
          : reported.put(containerId, instances);
      if (!instances.equals(before == null ? List.of() : before)) {
        listener.update(containerId, instances);
      }
    } catch (RuntimeException e) {
      // The engine went away between the event and the inspect: the stream will end too.
      log.warn("docker: could not inspect {} after {} event: {}", shortId(containerId),
          event.getAction(), describe(e));
    }
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
  private List<ServiceInstance> desiredFor(String containerId) {
    Optional<InspectContainerResponse> inspected =
        InspectedContainers.inspect(docker, containerId);
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
