package io.registrybridge.bridge;

import io.registrybridge.bridge.leader.LeaseName;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The daemon-wide part of the command line, flag for flag compatible with Registrator: every
 * flag is accepted with one dash or two, as {@code -flag=value} or {@code -flag value}. Each
 * source and sink brings its own flags ({@link Plugins}). Fields are filled by picocli; {@link
 * #toConfig} validates them into an immutable {@link BridgeConfig}.
 */
final class BridgeOptions {

  @Parameters(paramLabel = "SINK-URI", arity = "1..*",
      description = "Where to register services: one or more URIs of the sinks below.")
  List<String> sinkUris = new ArrayList<>();

  @Option(names = {"-source", "--source"}, paramLabel = "KIND",
      description = "Where services come from: one of the sources below, by name. Repeat it to"
          + " run several. Default: docker.")
  List<String> sources = new ArrayList<>();

  @Option(names = {"-k8s-context", "--k8s-context"}, paramLabel = "NAME",
      description = "The kubeconfig context of the cluster. The cluster is found as kubectl"
          + " finds it: KUBECONFIG, else ~/.kube/config, else the in-cluster service account."
          + " Default: the current context.")
  String k8sContext;

  @Option(names = {"-leader-elect", "--leader-elect"}, paramLabel = "NAMESPACE/NAME",
      description = "Elect one writer among the replicas with this coordination.k8s.io/v1"
          + " Lease; the others watch and stand by. Needs -source=kubernetes alone. Default:"
          + " off (this replica writes).")
  String leaderElect;

  @Option(names = {"-tags", "--tags"}, paramLabel = "TAGS",
      description = "Comma-separated tags appended to every service. Default: none.")
  String tags;

  @Option(names = {"-ttl", "--ttl"}, paramLabel = "SECONDS",
      description = "Give every service a TTL check of this many seconds that the bridge keeps"
          + " passing. Default: 0 (none).")
  int ttl;

  @Option(names = {"-ttl-refresh", "--ttl-refresh"}, paramLabel = "SECONDS",
      description = "How often the bridge passes the TTL checks; must be below -ttl."
          + " Default: half of -ttl.")
  int ttlRefresh;

  @Option(names = {"-resync", "--resync"}, paramLabel = "SECONDS",
      description = "Re-list all containers this often. Only differences are written, so this"
          + " adds no writes at steady state. Default: 0 (never; the event stream suffices).")
  int resync;

  @Option(names = {"-retry-attempts", "--retry-attempts"}, paramLabel = "N",
      defaultValue = "-1",
      description = "How many times to retry a control plane that has not answered yet before"
          + " exiting with status 1; -1 retries forever. Once it has answered, failed writes"
          + " are always retried. Default: ${DEFAULT-VALUE} (Registrator: 0).")
  int retryAttempts;

  @Option(names = {"-retry-interval", "--retry-interval"}, paramLabel = "MILLIS",
      defaultValue = "2000",
      description = "First retry delay in milliseconds; later delays double, with jitter, up to"
          + " -retry-max-interval. Default: ${DEFAULT-VALUE}.")
  long retryIntervalMillis;

  @Option(names = {"-retry-max-interval", "--retry-max-interval"}, paramLabel = "MILLIS",
      defaultValue = "30000",
      description = "Longest retry delay in milliseconds. Default: ${DEFAULT-VALUE}.")
  long retryMaxIntervalMillis;

  @Option(names = {"-cleanup", "--cleanup"}, arity = "0..1", fallbackValue = "true",
      paramLabel = "BOOL",
      description = "Also remove services that an old Registrator on this host left behind"
          + " (ID <hostname>:<container>:<port>, no owner mark) when no container runs for"
          + " them. The bridge's own orphans are always removed. Default: off.")
  boolean cleanup;

  @Option(names = {"-hostname", "--hostname"}, paramLabel = "NAME",
      description = "The <hostname> part of service IDs and this bridge's owner mark. Default:"
          + " the Docker engine's host name, which survives restarts and recreation of the"
          + " bridge container.")
  String hostname;

  @Option(names = {"-verify-interval", "--verify-interval"}, paramLabel = "SECONDS",
      description = "How often each sink reads back everything it owns, in full, to repair what"
          + " was changed behind its back. Reads only. Changes never wait for it, and a Consul"
          + " agent that lost its services is noticed within seconds by a blocking query."
          + " Default: 300.")
  int verifyInterval;

  @Option(names = {"-http-listen", "--http-listen"}, paramLabel = "HOST:PORT",
      description = "Serve /healthz, /readyz and /metrics (Prometheus) on this address; :8080"
          + " means every interface. Default: off (the container image turns it on at :8080).")
  String httpListen;

  @Option(names = {"-deregister-on-shutdown", "--deregister-on-shutdown"}, arity = "0..1",
      paramLabel = "BOOL",
      fallbackValue = "true",
      description = "On SIGTERM, remove every service this bridge registered before exiting."
          + " Not with -leader-elect. Default: keep them, as Registrator does, so a restart"
          + " changes nothing.")
  boolean deregisterOnShutdown;

  /**
   * Validates the daemon-wide flags; the plugins' own flags are validated when the bridge plans
   * its sources and sinks ({@link Bridge#create}).
   *
   * @throws IllegalArgumentException naming the flag and what is wrong with it
   */
  BridgeConfig toConfig(Plugins plugins) {
    if (ttl < 0 || ttlRefresh < 0 || resync < 0) {
      throw new IllegalArgumentException("-ttl, -ttl-refresh and -resync must not be negative");
    }
    if (ttl == 0 && ttlRefresh > 0) {
      throw new IllegalArgumentException("-ttl must be greater than 0 when -ttl-refresh is set");
    }
    if (ttl > 0 && ttlRefresh == 0) {
      // Registrator accepted -ttl alone (its Consul adapter ignored it); a TTL check nobody
      // passes would turn critical, so refresh at half the TTL.
      ttlRefresh = Math.max(1, ttl / 2);
    }
    if (ttl > 0 && ttl <= ttlRefresh) {
      throw new IllegalArgumentException("-ttl must be greater than -ttl-refresh");
    }
    if (retryIntervalMillis <= 0 || retryMaxIntervalMillis < retryIntervalMillis) {
      throw new IllegalArgumentException(
          "-retry-interval must be positive and not above -retry-max-interval");
    }
    if (retryAttempts < -1) {
      throw new IllegalArgumentException(
          "-retry-attempts must be -1 (forever) or >= 0, not " + retryAttempts);
    }
    if (verifyInterval < 0) {
      throw new IllegalArgumentException("-verify-interval must be positive");
    }
    if (httpListen != null && !httpListen.isBlank()) {
      HealthServer.parseListen(httpListen.trim());
    }
    List<String> kinds = plugins.sourceNames(sources);
    Optional<LeaseName> lease = Optional.ofNullable(blankToNull(leaderElect))
        .map(LeaseName::parse);
    if (lease.isPresent() && !kinds.equals(List.of("kubernetes"))) {
      // A Docker source sees one host: electing one writer among hosts would leave the other
      // hosts' containers unregistered.
      throw new IllegalArgumentException("-leader-elect needs -source=kubernetes alone");
    }
    if (lease.isPresent() && deregisterOnShutdown) {
      // Every replica shares one owner ID, so "what this bridge registered" is the whole
      // catalog: a leader stopped by a rolling update would remove it all, and one that lost
      // its Lease would remove what the new leader holds.
      throw new IllegalArgumentException("-deregister-on-shutdown cannot be used with"
          + " -leader-elect: the replicas share one owner ID, so every rolling update would"
          + " deregister the whole catalog, and a leader that lost its Lease could delete what"
          + " the new leader holds; without it, a new leader adopts the registrations as they"
          + " are");
    }
    return new BridgeConfig(
        kinds,
        List.copyOf(sinkUris),
        Optional.ofNullable(blankToNull(k8sContext)),
        lease,
        tags == null ? List.of() : io.registrybridge.core.TagParser.parse(tags),
        ttl == 0 ? Optional.empty() : Optional.of(Duration.ofSeconds(ttl)),
        ttlRefresh == 0 ? Optional.empty() : Optional.of(Duration.ofSeconds(ttlRefresh)),
        resync == 0 ? Optional.empty() : Optional.of(Duration.ofSeconds(resync)),
        retryAttempts,
        Duration.ofMillis(retryIntervalMillis),
        Duration.ofMillis(retryMaxIntervalMillis),
        cleanup,
        Optional.ofNullable(blankToNull(hostname)),
        verifyInterval == 0 ? Optional.empty() : Optional.of(Duration.ofSeconds(verifyInterval)),
        Optional.ofNullable(blankToNull(httpListen)),
        deregisterOnShutdown,
        plugins);
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value.trim();
  }
}
