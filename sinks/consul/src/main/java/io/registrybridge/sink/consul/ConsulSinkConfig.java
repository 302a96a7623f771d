package io.registrybridge.sink.consul;

import static java.util.Objects.requireNonNull;

import io.registrybridge.core.MetaKeys;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Everything a {@link ConsulSink} needs to know, immutable. Start from {@link #fromUri} and adjust
 * with the {@code with...} methods:
 *
 * <pre>{@code
 * ConsulSinkConfig config = ConsulSinkConfig.fromUri("consul://localhost:8500", System.getenv(),
 *         hostName)
 *     .withLegacyCleanup(hostName + ":")               // Registrator's -cleanup
 *     .withTtl(Duration.ofSeconds(30), Duration.ofSeconds(10)); // -ttl 30 -ttl-refresh 10
 * }</pre>
 *
 * <p>{@link #toString()} is safe to log: the token prints as {@code [redacted]}.
 *
 * @param endpoint where the agent's HTTP API listens
 * @param token ACL token, if any
 * @param tls certificates, used only for a TLS endpoint
 * @param ownerId identifies this bridge instance (e.g. the Docker host name); written to every
 *     registration as {@value ConsulMeta#OWNER} and the only services the sink ever changes are
 *     those carrying it. Must stay the same across restarts, or the bridge loses track of what it
 *     registered.
 * @param cleanupLegacy Registrator's {@code -cleanup}: also remove services WITHOUT an owner marker
 *     whose ID starts with {@code legacyIdPrefix} and that are not desired (registrations left
 *     behind by a real Registrator), and take over such services when they are desired
 * @param legacyIdPrefix Registrator's ID prefix, {@code <host>:}; must not be blank when {@code
 *     cleanupLegacy} is on, since an empty prefix would match every foreign service
 * @param ttl Registrator's {@code -ttl}/{@code -ttl-refresh}: when present, every service gets a
 *     TTL check that {@link TtlHeartbeat} passes
 * @param timeouts per request
 */
public record ConsulSinkConfig(
    ConsulEndpoint endpoint,
    Optional<ConsulToken> token,
    ConsulTls tls,
    String ownerId,
    boolean cleanupLegacy,
    String legacyIdPrefix,
    Optional<Ttl> ttl,
    Timeouts timeouts) {

  public ConsulSinkConfig {
    requireNonNull(endpoint, "endpoint");
    requireNonNull(token, "token");
    requireNonNull(tls, "tls");
    requireNonNull(ownerId, "ownerId");
    requireNonNull(legacyIdPrefix, "legacyIdPrefix");
    requireNonNull(ttl, "ttl");
    requireNonNull(timeouts, "timeouts");
    if (ownerId.isBlank()) {
      throw new IllegalArgumentException("the Consul owner ID must not be blank");
    }
    if (ownerId.length() > MetaKeys.MAX_VALUE_LENGTH) {
      throw new IllegalArgumentException("the Consul owner ID must not be longer than "
          + MetaKeys.MAX_VALUE_LENGTH + " characters");
    }
    if (cleanupLegacy && legacyIdPrefix.isBlank()) {
      throw new IllegalArgumentException(
          "legacy cleanup needs an ID prefix such as '<host>:'; an empty one matches everything");
    }
  }

  /**
   * Registrator's {@code -ttl} and {@code -ttl-refresh}.
   *
   * @param ttl how long Consul waits for a pass before it marks a service critical
   * @param refresh how often the bridge passes the check; shorter than {@code ttl}
   */
  public record Ttl(Duration ttl, Duration refresh) {
    public Ttl {
      requireNonNull(ttl, "ttl");
      requireNonNull(refresh, "refresh");
      if (refresh.isNegative() || refresh.isZero()) {
        throw new IllegalArgumentException("the TTL refresh interval must be positive");
      }
      if (refresh.compareTo(ttl) >= 0) {
        throw new IllegalArgumentException("the TTL refresh interval (" + refresh
            + ") must be shorter than the TTL (" + ttl + ")");
      }
    }
  }

  /**
   * @param connect to open a connection
   * @param request to read or write a response; also bounds a whole sync's single read
   */
  public record Timeouts(Duration connect, Duration request) {
    public static final Timeouts DEFAULT = new Timeouts(Duration.ofSeconds(5),
        Duration.ofSeconds(10));

    public Timeouts {
      requireNonNull(connect, "connect");
      requireNonNull(request, "request");
      if (connect.isNegative() || connect.isZero() || request.isNegative() || request.isZero()) {
        throw new IllegalArgumentException("Consul timeouts must be positive");
      }
    }
  }

  /**
   * The configuration for a sink URI, with the token and TLS files read from {@code env} the way
   * Consul's CLI does ({@link ConsulToken#fromEnvironment}, {@link ConsulTls#fromEnvironment}),
   * no legacy cleanup, no TTL and default timeouts.
   *
   * @param uri {@code consul://host:port}, {@code consul-tls://host:port} or {@code
   *     consul-unix:///path/to/socket}
   * @param env the process environment; pass {@code System.getenv()}
   * @param ownerId see {@link #ownerId()}
   * @throws IllegalArgumentException for a bad URI or environment; the message says what is wrong
   */
  public static ConsulSinkConfig fromUri(String uri, Map<String, String> env, String ownerId) {
    ConsulEndpoint endpoint = ConsulEndpoint.parse(uri);
    boolean usesTls = endpoint instanceof ConsulEndpoint.Tcp tcp && tcp.tls();
    return new ConsulSinkConfig(endpoint, ConsulToken.fromEnvironment(env),
        usesTls ? ConsulTls.fromEnvironment(env) : ConsulTls.DEFAULT, ownerId, false, "",
        Optional.empty(), Timeouts.DEFAULT);
  }

  /** Turns on Registrator's {@code -cleanup} for IDs starting with {@code idPrefix}. */
  public ConsulSinkConfig withLegacyCleanup(String idPrefix) {
    return new ConsulSinkConfig(endpoint, token, tls, ownerId, true, idPrefix, ttl, timeouts);
  }

  /** Adds a bridge-maintained TTL check to every service. */
  public ConsulSinkConfig withTtl(Duration ttl, Duration refresh) {
    return new ConsulSinkConfig(endpoint, token, tls, ownerId, cleanupLegacy, legacyIdPrefix,
        Optional.of(new Ttl(ttl, refresh)), timeouts);
  }

  public ConsulSinkConfig withTimeouts(Timeouts timeouts) {
    return new ConsulSinkConfig(endpoint, token, tls, ownerId, cleanupLegacy, legacyIdPrefix, ttl,
        timeouts);
  }

  /** The legacy prefix when cleanup is on. */
  Optional<String> legacyCleanupPrefix() {
    return cleanupLegacy ? Optional.of(legacyIdPrefix) : Optional.empty();
  }
}
