package io.registrybridge.spi;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;

/**
 * What the running daemon gives a sink.
 *
 * @param sinkName the sink's name in logs, metrics and {@code /readyz}; the sink's {@code
 *     name()} returns it
 * @param ownerId the bridge's owner mark and the {@code <hostname>} of service IDs
 * @param settings the daemon-wide settings
 * @param clock the daemon's clock
 * @param sideExecutor makes a supervised thread for work beside the sink's loop (a TTL
 *     heartbeat), so that it never waits behind the sink's writes
 * @param meters the daemon's registry, for the sink's own meters; tag them with {@code sink}
 */
public record SinkHost(String sinkName, String ownerId, DaemonSettings settings, Clock clock,
    Supplier<ScheduledExecutorService> sideExecutor, MeterRegistry meters) {}
