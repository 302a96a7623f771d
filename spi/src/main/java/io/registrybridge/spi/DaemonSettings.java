package io.registrybridge.spi;

import static java.util.Objects.requireNonNull;

import io.registrybridge.retry.RetryPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The settings that are the daemon's, not one plugin's: Registrator's global flags that several
 * back ends read, and the environment. Secrets stay in {@code env}; they never pass through argv.
 *
 * @param env the process environment, where tokens and certificate paths come from
 * @param forcedTags {@code -tags}: appended to every instance, whatever its source
 * @param ttl {@code -ttl}: a TTL the sink keeps alive, for stores that have one
 * @param ttlRefresh {@code -ttl-refresh}: how often it is kept alive; present with {@code ttl}
 * @param cleanup {@code -cleanup}: also remove what an old Registrator on this host left behind
 * @param verifyInterval {@code -verify-interval}: how often a sink reads back all it owns
 * @param retry {@code -retry-*}: how long to wait for a control plane that has not answered yet
 * @param kubeContext {@code -k8s-context}: the kubeconfig context, for every plugin that talks to
 *     a cluster (the Kubernetes source, {@code istio-k8s://}) and for leader election
 */
public record DaemonSettings(Map<String, String> env, List<String> forcedTags,
    Optional<Duration> ttl, Optional<Duration> ttlRefresh, boolean cleanup,
    Optional<Duration> verifyInterval, RetryPolicy retry, Optional<String> kubeContext) {

  public DaemonSettings {
    env = Map.copyOf(env);
    forcedTags = List.copyOf(forcedTags);
    requireNonNull(ttl, "ttl");
    requireNonNull(ttlRefresh, "ttlRefresh");
    requireNonNull(verifyInterval, "verifyInterval");
    requireNonNull(retry, "retry");
    requireNonNull(kubeContext, "kubeContext");
    if (ttl.isPresent() != ttlRefresh.isPresent()) {
      throw new IllegalArgumentException("-ttl and -ttl-refresh come together");
    }
  }
}
