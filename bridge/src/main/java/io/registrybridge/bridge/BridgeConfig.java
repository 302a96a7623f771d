package io.registrybridge.bridge;

import static java.util.Objects.requireNonNull;

import io.registrybridge.bridge.leader.LeaseName;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The daemon's validated command line, built by {@link BridgeOptions}: the daemon-wide settings,
 * and the {@link Plugins} whose own flags the same command line filled (they are validated when
 * {@link Bridge#create} plans the sources and sinks, with the environment). {@code sources}
 * holds source names in command-line order, without duplicates. Secrets (the Consul token, TLS
 * keys) are not here: they come from the environment when the sinks are planned, so they never
 * pass through argv or this record's {@code toString}.
 */
public record BridgeConfig(
    List<String> sources,
    List<String> sinkUris,
    Optional<String> kubeContext,
    Optional<LeaseName> leaderElect,
    List<String> forcedTags,
    Optional<Duration> ttl,
    Optional<Duration> ttlRefresh,
    Optional<Duration> resync,
    int retryAttempts,
    Duration retryInterval,
    Duration retryMaxInterval,
    boolean cleanup,
    Optional<String> hostname,
    Optional<Duration> verifyInterval,
    Optional<String> httpListen,
    boolean deregisterOnShutdown,
    Plugins plugins) {

  /**
   * Parses a command line (without the program name) the way the daemon does, with the
   * providers on the class path.
   *
   * @throws IllegalArgumentException naming the flag or value that is wrong
   */
  public static BridgeConfig fromArgs(String... args) {
    Plugins plugins = Plugins.load();
    BridgeOptions options = new BridgeOptions();
    picocli.CommandLine commandLine = new picocli.CommandLine(options)
        .setAbbreviatedOptionsAllowed(false).setOverwrittenOptionsAllowed(true);
    plugins.addOptionsTo(commandLine);
    try {
      commandLine.parseArgs(args);
    } catch (picocli.CommandLine.ParameterException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    return options.toConfig(plugins);
  }

  public BridgeConfig {
    sources = List.copyOf(sources);
    sinkUris = List.copyOf(sinkUris);
    requireNonNull(kubeContext, "kubeContext");
    requireNonNull(leaderElect, "leaderElect");
    forcedTags = List.copyOf(forcedTags);
    requireNonNull(ttl, "ttl");
    requireNonNull(ttlRefresh, "ttlRefresh");
    requireNonNull(resync, "resync");
    requireNonNull(retryInterval, "retryInterval");
    requireNonNull(retryMaxInterval, "retryMaxInterval");
    requireNonNull(hostname, "hostname");
    requireNonNull(verifyInterval, "verifyInterval");
    requireNonNull(httpListen, "httpListen");
    requireNonNull(plugins, "plugins");
    if (sources.isEmpty()) {
      throw new IllegalArgumentException("at least one source is required");
    }
    if (sinkUris.isEmpty()) {
      throw new IllegalArgumentException("at least one sink URI is required");
    }
  }

  /** The policy for a control plane that has not answered yet ({@code -retry-*}). */
  public io.registrybridge.retry.RetryPolicy retry() {
    return new io.registrybridge.retry.RetryPolicy(retryAttempts,
        io.registrybridge.retry.Backoff.exponential(retryInterval, retryMaxInterval));
  }

  /** What every plugin reads: Registrator's global flags and the environment. */
  public io.registrybridge.spi.DaemonSettings settings(Map<String, String> env) {
    return new io.registrybridge.spi.DaemonSettings(env, forcedTags, ttl, ttlRefresh, cleanup,
        verifyInterval, retry(), kubeContext);
  }
}
