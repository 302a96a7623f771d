package io.registrybridge.bridge;

import static java.util.Objects.requireNonNull;

import io.registrybridge.source.docker.DeregisterPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The daemon's validated configuration, built from the command line by {@link BridgeOptions}.
 * {@code sources} holds {@link SourceKinds} in command-line order, without duplicates.
 * Secrets (the Consul token, TLS keys) are not here: they come from the environment when the
 * sinks are built, so they never pass through argv or this record's {@code toString}.
 */
public record BridgeConfig(
    List<String> sources,
    KubernetesOptions kubernetes,
    List<String> sinkUris,
    boolean internal,
    Optional<String> hostIp,
    boolean explicit,
    Optional<String> useIpFromLabel,
    List<String> forcedTags,
    Optional<Duration> ttl,
    Optional<Duration> ttlRefresh,
    Optional<Duration> resync,
    DeregisterPolicy deregister,
    int retryAttempts,
    Duration retryInterval,
    Duration retryMaxInterval,
    boolean cleanup,
    Optional<String> hostname,
    Optional<String> network,
    Optional<Duration> verifyInterval,
    Optional<String> httpListen,
    boolean deregisterOnShutdown,
    boolean dockerHealth,
    String k8sConsulNode) {

  /**
   * Parses a command line (without the program name) the way the daemon does.
   *
   * @throws IllegalArgumentException naming the flag or value that is wrong
   */
  public static BridgeConfig fromArgs(String... args) {
    BridgeOptions options = new BridgeOptions();
    try {
      new picocli.CommandLine(options).setAbbreviatedOptionsAllowed(false)
          .setOverwrittenOptionsAllowed(true).parseArgs(args);
    } catch (picocli.CommandLine.ParameterException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    return options.toConfig();
  }

  public BridgeConfig {
    sources = List.copyOf(sources);
    requireNonNull(kubernetes, "kubernetes");
    sinkUris = List.copyOf(sinkUris);
    forcedTags = List.copyOf(forcedTags);
    requireNonNull(hostIp, "hostIp");
    requireNonNull(useIpFromLabel, "useIpFromLabel");
    requireNonNull(ttl, "ttl");
    requireNonNull(ttlRefresh, "ttlRefresh");
    requireNonNull(resync, "resync");
    requireNonNull(deregister, "deregister");
    requireNonNull(retryInterval, "retryInterval");
    requireNonNull(retryMaxInterval, "retryMaxInterval");
    requireNonNull(hostname, "hostname");
    requireNonNull(network, "network");
    requireNonNull(verifyInterval, "verifyInterval");
    requireNonNull(httpListen, "httpListen");
    requireNonNull(k8sConsulNode, "k8sConsulNode");
    if (sources.isEmpty()) {
      throw new IllegalArgumentException("at least one source is required");
    }
    if (sinkUris.isEmpty()) {
      throw new IllegalArgumentException("at least one sink URI is required");
    }
  }

  /** Whether the Docker engine is watched (and so needed). */
  public boolean watchesDocker() {
    return sources.contains(SourceKinds.DOCKER);
  }

  /** Whether a Kubernetes cluster is watched. */
  public boolean watchesKubernetes() {
    return sources.contains(SourceKinds.KUBERNETES);
  }
}
