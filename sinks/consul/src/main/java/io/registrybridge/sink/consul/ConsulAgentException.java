package io.registrybridge.sink.consul;

import java.util.Locale;

/**
 * A request to the Consul agent failed.
 *
 * <p>{@link #status()} is the HTTP status Consul answered with, or {@link #NO_RESPONSE} when it
 * did not answer (connection refused, timeout, TLS failure).
 */
final class ConsulAgentException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  static final int NO_RESPONSE = 0;

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
   * Whether Consul refused this one registration for a reason that repeating the same request
   * will not fix: an invalid registration (400), a token without write access to this service
   * name (403), or script checks that the agent does not allow (Consul 1.x answers 500 for that,
   * so it is recognized by its message).
   */
  boolean rejectsRegistration() {
    return status == 400
        || status == 403
        || (status == 500
            && String.valueOf(getMessage()).toLowerCase(Locale.ROOT)
                .contains("scripts are disabled"));
  }
}
