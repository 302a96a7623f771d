package io.registrybridge.core.attributes;

import static java.util.Objects.requireNonNull;

/**
 * Something about a container or object worth a log line: a malformed or contradictory setting
 * (a problem, logged as a warning) or an expected skip (a note, for debugging). It names the
 * object and the key as its user wrote them, and never holds a value that may be a secret.
 *
 * @param kind what the object is: {@code container}, {@code service}
 * @param object its name: {@code web-1}, {@code shop/web}
 * @param key the key as written ({@code SERVICE_80_CHECK_HTTP}, an annotation's name), or a
 *     word such as {@code port 53} when no key is at fault
 * @param message what was wrong and what was done about it
 */
public record Finding(String kind, String object, String key, String message) {
  public Finding {
    requireNonNull(kind, "kind");
    requireNonNull(object, "object");
    requireNonNull(key, "key");
    requireNonNull(message, "message");
  }

  /** {@code container web-1, SERVICE_PROTOCOL: 'soap' is not a known protocol (...); ...}. */
  @Override
  public String toString() {
    return kind + " " + object + ", " + key + ": " + message;
  }
}
