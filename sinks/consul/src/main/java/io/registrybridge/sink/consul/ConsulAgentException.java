package io.registrybridge.sink.consul;

import io.registrybridge.core.ControlPlaneUnavailableException;
import java.util.Locale;

/**
 * A request to Consul failed.
 *
 * <p>{@link #status()} is the HTTP status Consul answered with, or {@link #NO_RESPONSE} when it
 * did not answer (connection refused, timeout, TLS failure). {@link ConsulAgent} throws this
 * exception itself only when Consul refused the one request ({@link #unavailable()} false); when
 * Consul as a whole cannot take requests it throws a {@link ControlPlaneUnavailableException}
 * with this exception as its cause (see {@link #surfaced()}).
 */
final class ConsulAgentException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  static final int NO_RESPONSE = 0;
  private static final int TOO_MANY_REQUESTS = 429;

  /**
   * What Consul 1.x answers with HTTP 500 although only this one request is at fault: a script
   * check on an agent that does not allow them, and a TTL update of a check the agent does not
   * have (a lost check), and a catalog registration whose meta Consul refuses (a reserved or
   * malformed key; the agent API answers 400 for the same). Anything else with a 5xx says the
   * agent is in trouble as a whole.
   */
  private static final String[] REQUEST_FAULTS_AS_500 = {
      "scripts are disabled", "does not have associated ttl", "invalid service meta"};

  private final int status;

  ConsulAgentException(int status, String message, Throwable cause) {
    super(message, cause);
    this.status = status;
  }

  int status() {
    return status;
  }

  boolean answered() {
    return status != NO_RESPONSE;
  }

  /**
   * Whether Consul as a whole cannot take requests now: no answer, 429, or a 5xx that is not
   * about this request alone. Only this backs the whole sink off; anything else concerns one
   * service ID.
   */
  boolean unavailable() {
    if (!answered() || status == TOO_MANY_REQUESTS) {
      return true;
    }
    if (status < 500) {
      return false;
    }
    String message = String.valueOf(getMessage()).toLowerCase(Locale.ROOT);
    for (String fault : REQUEST_FAULTS_AS_500) {
      if (message.contains(fault)) {
        return false;
      }
    }
    return true;
  }

  /** What {@link ConsulAgent} throws for this failure: itself, or wrapped as unavailability. */
  RuntimeException surfaced() {
    if (!unavailable()) {
      return this;
    }
    String why = answered() ? "Consul answered HTTP " + status : "Consul does not answer";
    return new ControlPlaneUnavailableException(why + ": " + getMessage(), this);
  }
}
