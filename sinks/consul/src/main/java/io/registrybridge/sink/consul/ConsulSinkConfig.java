package io.registrybridge.sink.consul;

import static java.util.Objects.requireNonNull;

import io.registrybridge.core.MetaKeys;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Everything a {@link ConsulSink} needs to know, immutable. Build it from a sink URI:
 *
 * <pre>{@code
 * ConsulSinkConfig config = ConsulSinkConfig.builder("consul://localhost:8500", System.getenv(),
 *         hostName)
 *     .legacyCleanup(hostName + ":")                          // Registrator's -cleanup
 *     .ttl(Duration.ofSeconds(30), Duration.ofSeconds(10))    // -ttl 30 -ttl-refresh 10
 *     .build();
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
 * @param writeConcurrency how many registrations are sent at once when many are due (start-up,
 *     an agent that lost its state); 1 sends them one by one, in ID order
 * @param verifyInterval how often everything the bridge owns is read back in full; a lost agent
 *     state is noticed sooner, by a blocking query on one of our services
 * @param sinkName the sink's name in logs and metrics ({@code consul}; {@code consul:HOST:PORT}
 *     when the daemon writes to two agents)
 */
public record ConsulSinkConfig(
    ConsulEndpoint endpoint,
    Optional<ConsulToken> token,
    ConsulTls tls,
    String ownerId,
    boolean cleanupLegacy,
    String legacyIdPrefix,
    Optional<Ttl> ttl,
    Timeouts timeouts,
    int writeConcurrency,
    Duration verifyInterval,
    String sinkName) {

  public static final int DEFAULT_WRITE_CONCURRENCY = 4;
  public static final Duration DEFAULT_VERIFY_INTERVAL = Duration.ofMinutes(5);

  public ConsulSinkConfig {
    requireNonNull(endpoint, "endpoint");
    requireNonNull(token, "token");
    requireNonNull(tls, "tls");
    requireNonNull(ownerId, "ownerId");
    requireNonNull(legacyIdPrefix, "legacyIdPrefix");
    requireNonNull(ttl, "ttl");
    requireNonNull(timeouts, "timeouts");
    requireNonNull(verifyInterval, "verifyInterval");
    requireNonNull(sinkName, "sinkName");
    if (writeConcurrency < 1) {
      throw new IllegalArgumentException("the write concurrency must be at least 1");
    }
    if (verifyInterval.isNegative() || verifyInterval.isZero()) {
      throw new IllegalArgumentException("the verify interval must be positive");
    }
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
   * A builder for a sink URI, with the token and TLS files read from {@code env} the way Consul's
   * CLI does ({@link ConsulToken#fromEnvironment}, {@link ConsulTls#fromEnvironment}); by default
   * no legacy cleanup, no TTL, default timeouts.
   *
   * @param uri {@code consul://host:port}, {@code consul-tls://host:port} or {@code
   *     consul-unix:///path/to/socket}
   * @param env the process environment; pass {@code System.getenv()}
   * @param ownerId see {@link #ownerId()}
   * @throws IllegalArgumentException for a bad URI or environment; the message says what is wrong
   */
  public static Builder builder(String uri, Map<String, String> env, String ownerId) {
    ConsulEndpoint endpoint = ConsulEndpoint.parse(uri);
    return new Builder(new ConsulSinkConfig(endpoint, ConsulToken.fromEnvironment(env),
        ConsulTls.forEndpoint(endpoint, env), ownerId, false, "",
        Optional.empty(), Timeouts.DEFAULT, DEFAULT_WRITE_CONCURRENCY, DEFAULT_VERIFY_INTERVAL,
        "consul"));
  }

  /** The defaults for a sink URI; see {@link #builder}. */
  public static ConsulSinkConfig fromUri(String uri, Map<String, String> env, String ownerId) {
    return builder(uri, env, ownerId).build();
  }

  /** A builder starting from this configuration. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Builds a {@link ConsulSinkConfig}; every setter validates when {@link #build} runs. */
  public static final class Builder {
    private ConsulEndpoint endpoint;
    private Optional<ConsulToken> token;
    private ConsulTls tls;
    private String ownerId;
    private boolean cleanupLegacy;
    private String legacyIdPrefix;
    private Optional<Ttl> ttl;
    private Timeouts timeouts;
    private int writeConcurrency;
    private Duration verifyInterval;
    private String sinkName;

    private Builder(ConsulSinkConfig from) {
      endpoint = from.endpoint;
      token = from.token;
      tls = from.tls;
      ownerId = from.ownerId;
      cleanupLegacy = from.cleanupLegacy;
      legacyIdPrefix = from.legacyIdPrefix;
      ttl = from.ttl;
      timeouts = from.timeouts;
      writeConcurrency = from.writeConcurrency;
      verifyInterval = from.verifyInterval;
      sinkName = from.sinkName;
    }

    /** Turns on Registrator's {@code -cleanup} for IDs starting with {@code idPrefix}. */
    public Builder legacyCleanup(String idPrefix) {
      this.cleanupLegacy = true;
      this.legacyIdPrefix = idPrefix;
      return this;
    }

    /** Adds a bridge-maintained TTL check to every service. */
    public Builder ttl(Duration ttl, Duration refresh) {
      this.ttl = Optional.of(new Ttl(ttl, refresh));
      return this;
    }

    public Builder timeouts(Timeouts timeouts) {
      this.timeouts = timeouts;
      return this;
    }

    public Builder writeConcurrency(int writeConcurrency) {
      this.writeConcurrency = writeConcurrency;
      return this;
    }

    public Builder verifyInterval(Duration verifyInterval) {
      this.verifyInterval = verifyInterval;
      return this;
    }

    /** The sink's name in logs and metrics; {@code consul} by default. */
    public Builder sinkName(String sinkName) {
      this.sinkName = sinkName;
      return this;
    }

    public ConsulSinkConfig build() {
      return new ConsulSinkConfig(endpoint, token, tls, ownerId, cleanupLegacy, legacyIdPrefix,
          ttl, timeouts, writeConcurrency, verifyInterval, sinkName);
    }
  }

  /** The legacy prefix when cleanup is on. */
  Optional<String> legacyCleanupPrefix() {
    return cleanupLegacy ? Optional.of(legacyIdPrefix) : Optional.empty();
  }
}
