package io.registrybridge.core.attributes;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * One attribute of a service as its user wrote it: a container's {@code SERVICE_80_CHECK_HTTP}
 * label or environment entry, a Service's {@code registry-bridge.io/http.protocol} annotation.
 *
 * @param key the source-neutral, lower-case key without prefix and port ({@code check_http})
 * @param value as written, untrimmed
 * @param sourceKey the key as written on the container or object, for messages
 * @param portSpecific whether it applies to one port only
 */
public record Attribute(String key, String value, String sourceKey, boolean portSpecific) {
  public Attribute {
    requireNonNull(key, "key");
    requireNonNull(value, "value");
    requireNonNull(sourceKey, "sourceKey");
  }

  /** The trimmed value, or empty when it is blank (an empty value means unset). */
  public Optional<String> text() {
    String v = value.trim();
    return v.isEmpty() ? Optional.empty() : Optional.of(v);
  }
}
