package io.registrybridge.spi;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What the running daemon gives a source.
 *
 * @param ownerId the bridge's owner mark and the {@code <hostname>} of service IDs
 * @param settings the daemon-wide settings
 * @param executor the source's supervised loop thread
 * @param clock the daemon's clock
 * @param meters the daemon's registry, for the source's own meters
 * @param gaveUp called when the backend never answered within {@code -retry-attempts} (the
 *     daemon exits 1)
 */
public record SourceHost(String ownerId, DaemonSettings settings,
    ScheduledExecutorService executor, Clock clock, MeterRegistry meters, Runnable gaveUp) {}
