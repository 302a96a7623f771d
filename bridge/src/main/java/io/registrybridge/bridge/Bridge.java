package io.registrybridge.bridge;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.registrybridge.bridge.leader.LeaderElection;
import io.registrybridge.bridge.leader.LeaseName;
import io.registrybridge.bridge.leader.Leadership;
import io.registrybridge.core.DesiredIndex;
import io.registrybridge.core.DesiredState;
import io.registrybridge.core.Sink;
import io.registrybridge.core.Source;
import io.registrybridge.core.SinkReconciler;
import io.registrybridge.core.SyncResult;
import io.registrybridge.retry.RetryPolicy;
import io.registrybridge.source.kubernetes.KubernetesClients;
import io.registrybridge.spi.DaemonSettings;
import io.registrybridge.spi.DebugView;
import io.registrybridge.spi.PreparedSink;
import io.registrybridge.spi.SinkHost;
import io.registrybridge.spi.SinkPlan;
import io.registrybridge.spi.SourceHost;
import io.registrybridge.spi.SourcePlan;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon, wired along the data path: the sources report into the {@link DesiredIndex}; the
 * index tells each sink's {@link SinkReconciler} which service IDs changed; each reconciler
 * drives its sink on its own thread, so that one control plane being down never blocks another.
 * Sources and sinks come from {@link Plugins}; nothing here knows one by name.
 *
 * <p>With {@code -leader-elect}, the sources run on every replica (a new leader starts from a
 * warm cache) but the sinks are started only once this replica holds the Lease ({@link
 * Leadership}); their first full sync adopts what the previous leader registered under the same
 * owner ID, writing nothing for what is unchanged. Every replica checks its sinks' settings
 * before it competes, so one that cannot write never takes the Lease.
 */
public final class Bridge implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Bridge.class);
  /**
   * The whole shutdown, every step together: inside the 10 s that {@code docker stop} and
   * Kubernetes' default termination grace give before SIGKILL, with room for the JVM to exit.
   */
  static final Duration SHUTDOWN_BUDGET = Duration.ofSeconds(8);

  private final BridgeConfig config;
  private final Map<String, String> env;
  private final DaemonSettings settings;
  private final Clock clock;
  private final List<SourcePlan> sourcePlans;
  private final List<SinkPlan> sinkPlans;
  private final List<String> sinkNames;
  private final List<PreparedSink> preparedSinks = new ArrayList<>();
  private final PrometheusMeterRegistry meters =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final BridgeMetrics metrics;
  private final CompletableFuture<Integer> exit = new CompletableFuture<>();
  private final List<SinkReconciler> reconcilers = new ArrayList<>();
  private final List<Sink> sinks = new ArrayList<>();
  private final List<AutoCloseable> companions = new ArrayList<>();
  private final List<LoopExecutor> executors = new ArrayList<>();
  private final Object lifecycle = new Object();
  private HealthServer http;
  private final List<Source> sources = new ArrayList<>();
  private KubernetesClient kubernetes;
  private Leadership election;
  private DesiredIndex index;
  private final LoopWatchdog watchdog;
  private final StartupCompaction compaction;
  private String hostname;
  private final ColdPathWarmUp warmUp = new ColdPathWarmUp(this::warmUpParts);
  private boolean closed;

  private LeaderElection.Timing leaderTiming = LeaderElection.Timing.DEFAULT;

  private Bridge(BridgeConfig config, Map<String, String> env, Clock clock,
      List<SourcePlan> sourcePlans, List<SinkPlan> sinkPlans) {
    this.config = config;
    this.env = Map.copyOf(env);
    this.settings = config.settings(env);
    this.clock = clock;
    this.sourcePlans = List.copyOf(sourcePlans);
    this.sinkPlans = List.copyOf(sinkPlans);
    this.sinkNames = SinkNames.of(sinkPlans);
    this.metrics = new BridgeMetrics(meters, clock);
    this.watchdog = new LoopWatchdog();
    this.compaction = new StartupCompaction(sinkPlans.size(), this::settle);
  }

  /**
   * Plans every source and sink: validates everything that can be checked without a network,
   * their flags, URIs, TLS and token files.
   *
   * @throws IllegalArgumentException naming the flag or URI that is wrong
   */
  public static Bridge create(BridgeConfig config, Map<String, String> env, Clock clock) {
    requireNonNull(config, "config");
    requireNonNull(env, "env");
    requireNonNull(clock, "clock");
    DaemonSettings settings = config.settings(env);
    List<SourcePlan> sources = new ArrayList<>();
    for (String name : config.sources()) {
      sources.add(config.plugins().source(name).orElseThrow().plan(settings));
    }
    rejectDuplicateSinks(config.sinkUris());
    List<SinkPlan> sinks = new ArrayList<>();
    for (String uri : config.sinkUris()) {
      sinks.add(config.plugins().sinkFor(uri).plan(uri, settings));
    }
    return new Bridge(config, env, clock, sources, sinks);
  }

  /**
   * Two sink URIs that name one control plane would make every write twice, and the two sinks
   * would take each other's writes for another writer's: refused, naming both.
   */
  static void rejectDuplicateSinks(List<String> uris) {
    Map<String, String> seen = new java.util.HashMap<>();
    for (String uri : uris) {
      String before = seen.putIfAbsent(sameSinkKey(uri), uri);
      if (before != null) {
        throw new IllegalArgumentException("sink URIs '" + before + "' and '" + uri
            + "' name the same sink: every write would happen twice; give it once");
      }
    }
  }

  /** The URI without what does not change its meaning: the case of scheme and host, a final /. */
  private static String sameSinkKey(String uri) {
    try {
      java.net.URI parsed = new java.net.URI(uri.strip());
      String scheme = parsed.getScheme() == null ? ""
          : parsed.getScheme().toLowerCase(java.util.Locale.ROOT);
      String authority = parsed.getRawAuthority() == null ? ""
          : parsed.getRawAuthority().toLowerCase(java.util.Locale.ROOT);
      String path = parsed.getRawPath() == null ? "" : parsed.getRawPath();
      while (path.endsWith("/")) {
        path = path.substring(0, path.length() - 1);
      }
      String query = parsed.getRawQuery() == null ? "" : "?" + parsed.getRawQuery();
      return scheme + "://" + authority + path + query;
    } catch (java.net.URISyntaxException e) {
      return uri.strip(); // its provider names what is wrong with it
    }
  }

  /**
   * Serves the probes, binds the ports sinks serve, opens the sources' clients (waiting for the
   * Docker engine when it names the host), starts the sources, then the sinks.
   *
   * @throws IllegalArgumentException when the {@code -http-listen} address is taken
   * @throws IOException when the {@code -http-listen} address cannot be bound otherwise
   */
  public void start() throws InterruptedException, IOException {
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      log.info("registry-bridge starting with sinks {}", config.sinkUris());
      if (config.httpListen().isPresent()) {
        String listen = config.httpListen().get();
        try {
          http = HealthServer.start(HealthServer.parseListen(listen), this::alive, this::ready,
              meters, this::debugPage);
        } catch (java.net.BindException e) {
          throw new IllegalArgumentException("-http-listen=" + listen + ": " + e.getMessage()
              + " (another process listens there; pick another address or stop it)", e);
        }
      }
      if (config.leaderElect().isEmpty()) {
        // Before any source connects: a client started beside the bridge (istiod's xds://
        // config source exits if refused at its start) finds the port there.
        sinkPlans.forEach(SinkPlan::bindEarly);
      }
      sourcePlans.forEach(SourcePlan::open);
      if (config.leaderElect().isPresent()) {
        kubernetes = KubernetesClients.connect(env, config.kubeContext());
      }
    }
    String host = hostIdentity();
    synchronized (lifecycle) {
      if (closed || host == null) {
        return;
      }
      hostname = host;
      log.info("registering as '{}' (the <hostname> of service IDs and the owner mark)",
          hostname);
      prepareSinks();
      index = new DesiredIndex(Set.copyOf(config.sources()));
      metrics.watchIndex(index);
      // The sources first: their listing (on their own threads) overlaps with building the
      // sinks' clients here. Nothing is missed: each reconciler subscribes to the index before
      // its first full sync, which starts from the index's current state.
      for (int i = 0; i < sourcePlans.size(); i++) {
        startSource(config.sources().get(i), sourcePlans.get(i));
      }
      if (config.leaderElect().isPresent()) {
        startElection();
      } else {
        startSinks();
      }
    }
  }

  /**
   * The {@code <hostname>} of IDs and the owner mark: {@code -hostname}; else the name a source
   * knows for its host (the Docker engine's, waiting for it); else, with {@code -leader-elect},
   * one name for every replica (see {@link LeaseName#ownerId}); else this host's name.
   *
   * @return null when stopped, or when the source's backend never answered
   */
  private String hostIdentity() throws InterruptedException {
    if (config.hostname().isPresent()) {
      return config.hostname().get();
    }
    SourcePlan.HostNameWait wait = new SourcePlan.HostNameWait(this::isClosed,
        () -> exit.complete(1));
    for (SourcePlan source : sourcePlans) {
      java.util.Optional<String> name = source.hostName(wait);
      if (name.isPresent() || isClosed() || exit.isDone()) {
        return name.orElse(null);
      }
    }
    return config.leaderElect().map(LeaseName::ownerId)
        .orElseGet(() -> HostIdentity.localName(env));
  }

  /**
   * Checks every sink's settings with the owner ID, reading token and TLS files again: on every
   * replica, before it competes for the Lease.
   *
   * @throws IllegalArgumentException naming the sink URI and what is wrong (exit status 2)
   */
  private void prepareSinks() {
    for (int i = 0; i < sinkPlans.size(); i++) {
      String uri = config.sinkUris().get(i);
      String side = "sink-" + i + "-side";
      SinkHost host = new SinkHost(sinkNames.get(i), hostname, settings, clock,
          () -> singleThread(side), meters);
      try {
        preparedSinks.add(sinkPlans.get(i).prepare(host));
      } catch (IllegalArgumentException e) {
        String message = String.valueOf(e.getMessage());
        throw new IllegalArgumentException(message.contains(uri) ? message
            : "sink " + uri + ": " + message, e);
      }
    }
  }

  /**
   * Competes for the Lease; the sinks start on the {@code leadership} thread once it is held
   * (see {@link Leadership} for what a failed start and a lost Lease do).
   */
  private void startElection() {
    LeaseName lease = config.leaderElect().orElseThrow();
    election = new Leadership(kubernetes, lease.namespace(), lease.name(),
        HostIdentity.localName(env) + "-" + java.util.UUID.randomUUID().toString().substring(0, 8),
        leaderTiming, new Leadership.Writers() {
          @Override
          public void start() {
            startSinks();
          }

          @Override
          public void stop() {
            stopSinks();
          }
        }, singleThread("leadership"), exit::complete);
    election.start();
  }

  /**
   * Builds every sink, then starts them all: a sink that cannot be built (its port taken) fails
   * the start before any sink has written.
   *
   * @throws RuntimeException from a sink that cannot be built; the ones built are closed
   */
  private void startSinks() {
    synchronized (lifecycle) {
      if (closed || !reconcilers.isEmpty()) {
        return;
      }
      List<PreparedSink.Built> built = new ArrayList<>();
      try {
        for (PreparedSink sink : preparedSinks) {
          built.add(sink.create());
        }
      } catch (RuntimeException | Error e) {
        for (PreparedSink.Built done : built) {
          closeAll(done.companions());
          closeAll(List.of(done.sink()));
        }
        throw e;
      }
      built.forEach(this::addSink);
      reconcilers.forEach(SinkReconciler::start);
    }
  }

  /** Stops writing at once: the leader lost its Lease. */
  private void stopSinks() {
    synchronized (lifecycle) {
      closeAll(companions);
      reconcilers.forEach(SinkReconciler::close);
    }
  }

  /** Wires one built sink to its reconciler, on a thread of its own; starts nothing. */
  private void addSink(PreparedSink.Built built) {
    RetryPolicy retry = config.retry();
    String loop = "sink-" + sinks.size();
    LoopExecutor executor = singleThread(loop);
    SinkReconciler reconciler = new SinkReconciler(built.sink(), index, retry, executor, clock,
        new SinkEvents(loop));
    sinks.add(built.sink());
    companions.addAll(built.companions());
    reconcilers.add(reconciler);
    metrics.watchSink(reconciler);
    // The thread itself is watched as every loop is (singleThread); this is the queue's view.
    watchdog.watch(loop + " (" + built.sink().name() + ")",
        () -> reconciler.stalled(LoopWatchdog.STALL_LIMIT));
    index.addListener(reconciler);
  }

  private void startSource(String name, SourcePlan plan) {
    LoopExecutor sourceExecutor = singleThread("source-" + name);
    Source source = plan.create(new SourceHost(hostname, settings, sourceExecutor, clock, meters,
        () -> exit.complete(1)));
    startSource(source, sourceExecutor);
  }

  private void startSource(Source source, LoopExecutor sourceExecutor) {
    sources.add(source);
    source.start(index.listenerFor(source.name()));
    config.resync().ifPresent(every -> sourceExecutor.scheduleWithFixedDelay(source::resync,
        every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS));
  }

  /** Shorter Lease timings, for tests; call before {@link #start}. */
  public Bridge withLeaderTiming(LeaderElection.Timing timing) {
    this.leaderTiming = requireNonNull(timing, "timing");
    return this;
  }

  /** Whether this replica's sinks run: always without {@code -leader-elect}. */
  public boolean writing() {
    synchronized (lifecycle) {
      return !reconcilers.isEmpty();
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
      return index == null ? DesiredState.EMPTY_INCOMPLETE : index.snapshot();
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

  /** The port {@code -http-listen} bound, for {@code :0}; empty when it is off. */
  public java.util.OptionalInt httpPort() {
    synchronized (lifecycle) {
      return http == null ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(http.port());
    }
  }

  /**
   * Alive: not stopped, and no loop stuck (see {@link LoopWatchdog}): a loop that has not come
   * round for ten minutes will not without a restart.
   */
  HealthServer.Probe alive() {
    synchronized (lifecycle) {
      if (closed) {
        return new HealthServer.Probe(false, "stopping");
      }
    }
    String stalled = watchdog.stalled();
    return stalled.isEmpty() ? new HealthServer.Probe(true, "ok")
        : new HealthServer.Probe(false, stalled);
  }

  /**
   * Ready: every source listed once, every sink wrote a complete state once and is not failing,
   * and every mesh sink's consumers hold what it wrote (every istiod connected to {@code
   * istio-xds} acknowledged the current version).
   */
  HealthServer.Probe ready() {
    synchronized (lifecycle) {
      if (index == null) {
        return new HealthServer.Probe(false, sourcePlans.isEmpty()
            ? "starting" : sourcePlans.get(0).waitingFor());
      }
      if (!index.complete()) {
        return new HealthServer.Probe(false, "waiting for the first listing of "
            + String.join(" and ", config.sources()));
      }
      if (election != null && reconcilers.isEmpty()) {
        return new HealthServer.Probe(true, "standing by: another replica leads");
      }
      String pending = reconcilers.stream().map(SinkReconciler::status)
          .filter(s -> !s.convergedOnce()).map(SinkReconciler.Status::sink)
          .collect(Collectors.joining(", "));
      if (!pending.isEmpty()) {
        return new HealthServer.Probe(false, "waiting for sinks: " + pending);
      }
      // A sink whose control plane fails now is not doing its job, even if it did before.
      String failing = reconcilers.stream().map(SinkReconciler::status)
          .filter(s -> s.consecutiveFailures() > 0)
          .map(s -> s.sink() + " (" + s.consecutiveFailures() + " failed attempts)")
          .collect(Collectors.joining(", "));
      if (!failing.isEmpty()) {
        return new HealthServer.Probe(false, "sinks failing: " + failing);
      }
      String behind = sinks.stream()
          .flatMap(sink -> sink.notReady().map(why -> sink.name() + ": " + why).stream())
          .collect(Collectors.joining("; "));
      return behind.isEmpty()
          ? new HealthServer.Probe(true, "ok")
          : new HealthServer.Probe(false, behind);
    }
  }

  /**
   * Stops watching, lets in-flight writes finish, optionally removes what this bridge
   * registered ({@code -deregister-on-shutdown}), and releases connections. By default
   * registrations stay in place: a restarted bridge finds and keeps them.
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
    long deadline = System.nanoTime() + SHUTDOWN_BUDGET.toNanos();
    sources.forEach(Source::close);
    // The TTL heartbeat first: it must not pass checks of services about to be removed.
    closeAll(companions);
    if (config.deregisterOnShutdown()) {
      deregisterEverything(deadline);
    }
    reconcilers.forEach(SinkReconciler::close);
    List<LoopExecutor> loops;
    synchronized (executors) {
      loops = List.copyOf(executors);
    }
    loops.forEach(LoopExecutor::shutdown);
    for (LoopExecutor loop : loops) {
      try {
        if (!loop.awaitTermination(remainingNanos(deadline), TimeUnit.NANOSECONDS)) {
          log.warn("{}: still busy at the shutdown deadline; interrupting it", loop.loop());
          loop.shutdownNow();
        }
      } catch (InterruptedException e) {
        loop.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
    closeAll(sinks);
    // The Lease goes only now that nothing writes any more, so two leaders never overlap.
    if (election != null) {
      election.close();
    }
    sourcePlans.forEach(SourcePlan::close);
    closeAll(kubernetes == null ? List.of() : List.of(kubernetes));
    if (http != null) {
      http.close();
    }
    exit.complete(0);
  }

  private static long remainingNanos(long deadline) {
    return Math.max(0, deadline - System.nanoTime());
  }

  /** Syncs an empty, complete state into every sink: each removes only what it owns. */
  private void deregisterEverything(long deadline) {
    DesiredState nothing = DesiredState.of(Map.of(), true, Long.MAX_VALUE);
    List<CompletableFuture<SyncResult>> done = reconcilers.stream()
        .map(r -> r.finish(nothing)).toList();
    for (int i = 0; i < done.size(); i++) {
      String sink = reconcilers.get(i).sinkName();
      try {
        SyncResult result = done.get(i).get(remainingNanos(deadline), TimeUnit.NANOSECONDS);
        log.info("{}: removed {} services on shutdown", sink, result.deleted());
      } catch (ExecutionException | TimeoutException e) {
        log.warn("{}: could not remove services on shutdown: {}", sink,
            e instanceof TimeoutException ? "the shutdown deadline (" + SHUTDOWN_BUDGET.toSeconds()
                + " s) passed" : String.valueOf(e.getCause()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private static void closeAll(List<? extends AutoCloseable> closeables) {
    for (AutoCloseable closeable : closeables) {
      try {
        closeable.close();
      } catch (Exception e) {
        log.debug("closing {}", closeable, e);
      }
    }
  }

  private boolean isClosed() {
    synchronized (lifecycle) {
      return closed;
    }
  }

  /** {@code /debug/services}: see {@link ServicesPage}; under the lifecycle lock. */
  private String servicesPage(Map<String, List<String>> query) {
    Map<String, List<io.registrybridge.core.SourceObject>> objects = new java.util.TreeMap<>();
    for (Source source : sources) {
      objects.put(source.name(), source.objects());
    }
    return ServicesPage.render(index == null ? DesiredState.EMPTY_INCOMPLETE : index.snapshot(),
        objects, List.copyOf(reconcilers), query);
  }

  /**
   * A {@code /debug/} page: the views of every sink that shows one at {@code path}, by sink
   * name; empty when none does.
   */
  private java.util.Optional<String> debugPage(String path, Map<String, List<String>> query) {
    List<Sink> current;
    synchronized (lifecycle) {
      if (path.equals("/debug/services")) {
        return java.util.Optional.of(servicesPage(query));
      }
      current = List.copyOf(sinks);
    }
    StringBuilder json = new StringBuilder("{");
    for (Sink sink : current) {
      if (sink instanceof DebugView view && view.path().equals(path)) {
        json.append(json.length() > 1 ? "," : "").append('"')
            .append(com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance()
                .quoteAsString(sink.name()))
            .append("\":").append(view.json(query));
      }
    }
    return json.length() > 1 ? java.util.Optional.of(json.append('}').toString())
        : java.util.Optional.empty();
  }

  /**
   * A supervised loop thread: its unexpected failures are counted under its name, and {@code
   * /healthz} fails when one of its tasks runs for longer than the stall limit.
   */
  private LoopExecutor singleThread(String name) {
    io.micrometer.core.instrument.Counter failures = metrics.loopFailures(name);
    LoopExecutor executor = new LoopExecutor(name, clock, e -> failures.increment());
    watchdog.watch(name, () -> executor.stalled(LoopWatchdog.STALL_LIMIT));
    synchronized (executors) {
      executors.add(executor);
    }
    return executor;
  }

  /**
   * Once every sink converged for the first time: the cold path warmed up (unless a sink's
   * outage did it already, see {@link ColdPathWarmUp#runOnce}), then one full collection (which
   * also takes the warm-up's garbage), on a thread of their own so that no sink or source waits
   * for them.
   */
  private void settle() {
    Thread.ofPlatform().name("start-up-settle").daemon().start(() -> {
      warmUp.runOnce();
      StartupCompaction.collect();
    });
  }

  private ColdPathWarmUp.Parts warmUpParts() {
    synchronized (lifecycle) {
      return new ColdPathWarmUp.Parts(hostname + ":", List.copyOf(sources), List.copyOf(sinks));
    }
  }

  /** Counts writes and failures; a control plane that never answered ends the daemon with 1. */
  private final class SinkEvents implements SinkReconciler.Listener {
    private final io.micrometer.core.instrument.Counter unexpected;

    SinkEvents(String loop) {
      this.unexpected = metrics.loopFailures(loop);
    }

    @Override
    public void unexpected(String sink, Throwable error) {
      unexpected.increment();
    }

    @Override
    public void synced(String sink, SyncResult result) {
      metrics.synced(sink, result);
    }

    @Override
    public void convergedFirst(String sink) {
      compaction.converged();
    }

    @Override
    public void failed(String sink, Exception error, int consecutiveFailures) {
      metrics.failed(sink);
      if (consecutiveFailures == 1 && !warmUp.started()) {
        Thread.ofPlatform().name("warm-up").daemon().start(warmUp::runOnce);
      }
    }

    @Override
    public void gaveUp(String sink, Exception lastError) {
      log.error("{}: control plane not reachable after {} retries; exiting", sink,
          config.retryAttempts());
      exit.complete(1);
    }
  }
}
