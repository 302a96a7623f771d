package io.registrybridge.spi;

import io.registrybridge.core.Source;
import java.util.Optional;

/** A validated source: connects, may name the host, then builds the {@link Source}. */
public interface SourcePlan {

  /**
   * Opens the client; does not wait for the backend. Called once, before anything else of it.
   */
  void open();

  /**
   * The name of the host this source watches, when it knows one that survives restarts (the
   * Docker engine's), waiting for the backend as {@code retry} says; empty when it has none.
   *
   * @param wait when to stop waiting: the daemon stops, or the retries ran out
   * @throws InterruptedException when the daemon stops while waiting
   */
  default Optional<String> hostName(HostNameWait wait) throws InterruptedException {
    return Optional.empty();
  }

  /** What {@code /readyz} says until the source runs, e.g. "waiting for the Docker engine". */
  String waitingFor();

  /**
   * Builds the source; the daemon starts it. Called once, after {@link #open}.
   *
   * @throws IllegalArgumentException when the settings do not hold with the owner ID
   */
  Source create(SourceHost host);

  /** Releases the client; never throws. */
  void close();

  /**
   * How long {@link #hostName} may wait.
   *
   * @param stopping true once the daemon stops
   * @param gaveUp called when the retries ran out
   */
  record HostNameWait(java.util.function.BooleanSupplier stopping, Runnable gaveUp) {}
}
