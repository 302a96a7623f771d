package io.registrybridge.sink.consul;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Registrations Consul refused, or that failed for this ID alone (an exception while planning or
 * sending it), so that the same body is not sent again every few seconds. A rejected
 * registration is retried when its content changes, and otherwise once per {@code retryAfter},
 * in case the agent's configuration or the token's ACL policy changed in the meantime. Not
 * thread-safe but for {@link #why}: used by the sync thread.
 */
final class RejectedRegistrations {
  private record Rejection(String hash, Instant at, String why) {}

  private final Duration retryAfter;
  // Concurrent only for why(), which /debug/services calls from the HTTP thread.
  private final Map<String, Rejection> byId = new java.util.concurrent.ConcurrentHashMap<>();

  RejectedRegistrations(Duration retryAfter) {
    this.retryAfter = requireNonNull(retryAfter, "retryAfter");
  }

  void remember(String serviceId, String hash, Instant now, String why) {
    byId.put(serviceId, new Rejection(hash, now, why));
  }

  /** Why a service was rejected, while it is; any thread. */
  java.util.Optional<String> why(String serviceId) {
    return java.util.Optional.ofNullable(byId.get(serviceId)).map(Rejection::why);
  }

  /** Whether this exact registration was rejected recently enough not to send it again. */
  boolean shouldSkip(String serviceId, String hash, Instant now) {
    Rejection rejection = byId.get(serviceId);
    return rejection != null
        && rejection.hash().equals(hash)
        && now.isBefore(rejection.at().plus(retryAfter));
  }

  boolean contains(String serviceId) {
    return byId.containsKey(serviceId);
  }

  void forget(String serviceId) {
    byId.remove(serviceId);
  }

  /** Drops services that are no longer desired. */
  void retainOnly(Set<String> serviceIds) {
    byId.keySet().retainAll(serviceIds);
  }

  int size() {
    return byId.size();
  }
}
