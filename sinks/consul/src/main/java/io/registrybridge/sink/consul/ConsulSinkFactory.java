package io.registrybridge.sink.consul;

import java.time.Clock;

/**
 * Creates {@link ConsulSink}s; the one entry point for the daemon's wiring.
 *
 * <pre>{@code
 * ConsulSinkConfig config = ConsulSinkConfig.fromUri(uri, System.getenv(), hostName);
 * ConsulSink sink = ConsulSinkFactory.create(config);
 * TtlHeartbeat heartbeat = new TtlHeartbeat(sink, scheduler); // only does work with a TTL
 * heartbeat.start();
 * }</pre>
 */
public final class ConsulSinkFactory {
  private ConsulSinkFactory() {}

  /**
   * Builds the HTTP client and the sink. Does not contact Consul: the first {@link
   * ConsulSink#sync} does, so an agent that is still starting is handled by the reconciler's
   * retries.
   *
   * @throws IllegalArgumentException when the TLS certificate or key files cannot be used
   */
  public static ConsulSink create(ConsulSinkConfig config) {
    return create(config, Clock.systemUTC());
  }

  /** Like {@link #create(ConsulSinkConfig)}, with the clock that times rejected registrations. */
  public static ConsulSink create(ConsulSinkConfig config, Clock clock) {
    return new ConsulSink(KiwiConsulAgent.create(config), config, clock);
  }
}
