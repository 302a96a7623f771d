package io.registrybridge.spi;

import io.registrybridge.core.Sink;
import java.util.List;

/** A sink whose settings are checked, ready to build. */
public interface PreparedSink {

  /**
   * Builds the sink's clients and binds its ports; does not wait for its control plane.
   *
   * @throws IllegalArgumentException when a port cannot be bound or a file became unusable
   */
  Built create();

  /**
   * A sink and what runs beside it (a TTL heartbeat). The companions are closed first at
   * shutdown and when a leader loses its Lease, before the sink itself.
   */
  record Built(Sink sink, List<AutoCloseable> companions) {
    public Built {
      companions = List.copyOf(companions);
    }

    public Built(Sink sink) {
      this(sink, List.of());
    }
  }
}
