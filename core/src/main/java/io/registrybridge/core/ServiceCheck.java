package io.registrybridge.core;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Optional;

/**
 * A health check attached to a service, in a sink-neutral form.
 *
 * <p>{@code target} depends on the type: the full URL for {@link Type#HTTP}, {@code host:port}
 * for {@link Type#TCP} and {@link Type#GRPC}, the command line for {@link Type#SCRIPT}, and empty
 * for {@link Type#TTL}. Sources resolve placeholders such as {@code $SERVICE_IP} before they build
 * a check, so sinks never interpret user text.
 */
public record ServiceCheck(
    Type type,
    String target,
    Optional<Duration> interval,
    Optional<Duration> timeout,
    Optional<Duration> ttl,
    Optional<Duration> deregisterCriticalAfter,
    Optional<String> httpMethod,
    boolean tlsSkipVerify,
    Optional<InitialStatus> initialStatus) {

  /**
   * Stands, inside a {@code target}, for the address a sink gives a service that has none of its
   * own (Consul: the agent's node address). A Docker container published on {@code 0.0.0.0} has
   * no address the bridge can know, yet its HTTP check must name one: the source writes this
   * placeholder and the sink, which knows its control plane's address, replaces it.
   */
  public static final String NODE_ADDRESS = "${NODE_ADDRESS}";

  /** What the check does. */
  public enum Type {
    HTTP,
    TCP,
    GRPC,
    TTL,
    SCRIPT
  }

  /** The status Consul gives a check before its first run. */
  public enum InitialStatus {
    PASSING,
    WARNING,
    CRITICAL
  }

  public ServiceCheck {
    requireNonNull(type, "type");
    requireNonNull(target, "target");
    requireNonNull(interval, "interval");
    requireNonNull(timeout, "timeout");
    requireNonNull(ttl, "ttl");
    requireNonNull(deregisterCriticalAfter, "deregisterCriticalAfter");
    requireNonNull(httpMethod, "httpMethod");
    requireNonNull(initialStatus, "initialStatus");
    if (type == Type.TTL && ttl.isEmpty()) {
      throw new IllegalArgumentException("a TTL check needs a ttl");
    }
  }

  /** A check of the given type and target with every option unset. */
  public static ServiceCheck of(Type type, String target) {
    return new ServiceCheck(type, target, Optional.empty(), Optional.empty(), Optional.empty(),
        Optional.empty(), Optional.empty(), false, Optional.empty());
  }

  /** A TTL check: the service (or the bridge) must report in within {@code ttl}. */
  public static ServiceCheck ttl(Duration ttl) {
    return new ServiceCheck(Type.TTL, "", Optional.empty(), Optional.empty(), Optional.of(ttl),
        Optional.empty(), Optional.empty(), false, Optional.empty());
  }
}
