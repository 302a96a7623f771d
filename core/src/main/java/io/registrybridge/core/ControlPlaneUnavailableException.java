package io.registrybridge.core;

/**
 * A sink's control plane cannot take writes now: it does not answer (connection refused, a
 * timeout, TLS failure), or it answers that it is overloaded or broken as a whole (HTTP 5xx,
 * 429). This is the one failure that backs a whole sink off: the {@link SinkReconciler} keeps the
 * batch, waits ({@code -retry-*}) and starts over with a full sync.
 *
 * <p>Anything else a sink throws is a bug or one bad item, not an outage: the reconciler logs
 * it, counts it, and isolates it to the IDs that cause it, so that every other ID keeps flowing
 * (see {@link SinkReconciler}). Checked exceptions are taken as this one, for sinks written
 * before it existed.
 */
public class ControlPlaneUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ControlPlaneUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }

  public ControlPlaneUnavailableException(String message) {
    super(message);
  }
}
