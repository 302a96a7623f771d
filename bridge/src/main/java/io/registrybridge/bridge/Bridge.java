package io.registrybridge.bridge;

import static java.util.Objects.requireNonNull;

import com.github.dockerjava.api.DockerClient;
import io.registrybridge.core.DesiredState;
import io.registrybridge.core.DesiredStateStore;
import io.registrybridge.core.Sink;
import io.registrybridge.core.SinkReconciler;
import io.registrybridge.retry.Backoff;
import io.registrybridge.retry.RetryPolicy;
import io.registrybridge.source.docker.ContainerNormalizer;
import io.registrybridge.source.docker.DockerSource;
import io.registrybridge.source.docker.NormalizerConfig;
import io.registrybridge.source.docker.NormalizingMapper;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon: one Docker source feeding a desired-state store, and one reconciler per sink, each
 * on its own thread so that one control plane being down never blocks another.
 */
public final class Bridge implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Bridge.class);

  private final BridgeConfig config;
  private final Map<String, String> env;
  private final Clock clock;
  private final List<SinkFactory.Spec> sinkSpecs;
  private final CompletableFuture<Integer> exit = new CompletableFuture<>();
  private final List<SinkReconciler> reconcilers = new ArrayList<>();
  private final List<Sink> sinks = new ArrayList<>();
  private final List<AutoCloseable> companions = new ArrayList<>();
  private final List<ScheduledExecutorService> executors = new ArrayList<>();
  private final Object lifecycle = new Object();
  private DockerClient docker;
  private DockerSource source;
  private DesiredStateStore store;
  private String hostname;
  private boolean closed;

  private Bridge(BridgeConfig config, Map<String, String> env, Clock clock,
      List<SinkFactory.Spec> sinkSpecs) {
    this.config = config;
    this.env = Map.copyOf(env);
    this.clock = clock;
    this.sinkSpecs = sinkSpecs;
  }

  /**
   * Validates everything that can be checked without a network: sink URIs, TLS and token files.
   *
   * @throws IllegalArgumentException naming the flag or URI that is wrong
   */
  public static Bridge create(BridgeConfig config, Map<String, String> env, Clock clock) {
    requireNonNull(config, "config");
    requireNonNull(env, "env");
    requireNonNull(clock, "clock");
    List<SinkFactory.Spec> specs = new ArrayList<>();
    for (String uri : config.sinkUris()) {
      specs.add(SinkFactory.parse(uri, env));
    }
    return new Bridge(config, env, clock, specs);
  }

  /** Connects to Docker (waiting for it if needed), starts the sinks, then the source. */
  public void start() throws InterruptedException {
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      docker = DockerClients.open(env);
    }
    String host = config.hostname().orElseGet(() -> HostIdentity.waitForEngineName(docker,
        backoff(), () -> isClosed()));
    synchronized (lifecycle) {
      if (closed || host == null) {
        return;
      }
      hostname = host;
      log.info("registry-bridge starting as '{}' with sinks {}", hostname, config.sinkUris());
      store = new DesiredStateStore(Set.of("docker"));
      RetryPolicy retry = new RetryPolicy(config.retryAttempts(), backoff());
      SinkFactory.Context context = new SinkFactory.Context(config, env, hostname, clock);
      for (SinkFactory.Spec spec : sinkSpecs) {
        ScheduledExecutorService executor = singleThread("sink-" + sinks.size());
        SinkFactory.Built built = spec.create(context, executor);
        Sink sink = built.sink();
        companions.addAll(built.companions());
        SinkReconciler reconciler = new SinkReconciler(sink, store::snapshot, retry,
            new SinkReconciler.Timing(config.verifyInterval(), Duration.ofMillis(100),
                Duration.ofSeconds(1)),
            executor, clock, new ExitOnGiveUp());
        sinks.add(sink);
        reconcilers.add(reconciler);
      }
      store.onChange(() -> reconcilers.forEach(SinkReconciler::desiredStateChanged));
      reconcilers.forEach(SinkReconciler::start);

      ScheduledExecutorService sourceExecutor = singleThread("source-docker");
      ContainerNormalizer normalizer = new ContainerNormalizer(normalizerConfig(hostname));
      source = new DockerSource(docker, new NormalizingMapper(normalizer, docker),
          config.deregister(), backoff(), sourceExecutor, clock);
      source.start(store.listenerFor(source.name()));
      config.resync().ifPresent(every -> sourceExecutor.scheduleWithFixedDelay(source::resync,
          every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS));
    }
  }

  /** Blocks until the daemon should exit; returns its exit status. */
  public int awaitExit() throws InterruptedException {
    try {
      return exit.get();
    } catch (ExecutionException e) {
      return 1;
    }
  }

  /** The services the sources currently see. */
  public DesiredState desiredState() {
    synchronized (lifecycle) {
      return store == null ? DesiredState.EMPTY_INCOMPLETE : store.snapshot();
    }
  }

  /** One status per sink, in the order of the command line. */
  public List<SinkReconciler.Status> sinkStatus() {
    synchronized (lifecycle) {
      return reconcilers.stream().map(SinkReconciler::status).toList();
    }
  }

  /** The {@code <hostname>} of service IDs and the owner mark, once known. */
  public String hostname() {
    synchronized (lifecycle) {
      return hostname;
    }
  }

  /**
   * Stops watching, lets in-flight writes finish, and releases connections. Registrations stay
   * in place: a restarted bridge finds and keeps them.
   */
  @Override
  public void close() {
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      closed = true;
    }
    log.info("registry-bridge stopping");
    if (source != null) {
      source.close();
    }
    reconcilers.forEach(SinkReconciler::close);
    for (AutoCloseable companion : companions) {
      try {
        companion.close();
      } catch (Exception e) {
        log.debug("closing {}", companion, e);
      }
    }
    for (ScheduledExecutorService executor : executors) {
      executor.shutdown();
    }
    for (ScheduledExecutorService executor : executors) {
      try {
        if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
          executor.shutdownNow();
        }
      } catch (InterruptedException e) {
        executor.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
    sinks.forEach(Sink::close);
    if (docker != null) {
      try {
        docker.close();
      } catch (IOException e) {
        log.debug("closing docker client", e);
      }
    }
    exit.complete(0);
  }

  private boolean isClosed() {
    synchronized (lifecycle) {
      return closed;
    }
  }

  private Backoff backoff() {
    return Backoff.exponential(config.retryInterval(), config.retryMaxInterval());
  }

  private NormalizerConfig normalizerConfig(String host) {
    NormalizerConfig.Builder builder = NormalizerConfig.builder(host)
        .internal(config.internal())
        .explicit(config.explicit())
        .forcedTags(config.forcedTags());
    config.hostIp().ifPresent(builder::hostIp);
    config.useIpFromLabel().ifPresent(builder::useIpFromLabel);
    config.network().ifPresent(builder::preferredNetwork);
    return builder.build();
  }

  private ScheduledExecutorService singleThread(String name) {
    ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
      Thread thread = new Thread(runnable, name);
      thread.setDaemon(true);
      return thread;
    });
    executors.add(executor);
    return executor;
  }

  /** A control plane that never answered within -retry-attempts ends the daemon with 1. */
  private final class ExitOnGiveUp implements SinkReconciler.Listener {
    @Override
    public void gaveUp(String sink, Exception lastError) {
      log.error("{}: control plane not reachable after {} retries; exiting", sink,
          config.retryAttempts());
      exit.complete(1);
    }
  }
}
