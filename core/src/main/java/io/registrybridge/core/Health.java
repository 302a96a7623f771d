package io.registrybridge.core;

import static java.util.Objects.requireNonNull;

import java.util.Locale;
import java.util.Optional;

/**
 * A health status a source observed for an instance and asks the sinks to mirror, such as the
 * result of a Docker {@code HEALTHCHECK}. Consul gets it as a check whose status the bridge
 * sets; the mesh leaves critical endpoints out.
 *
 * @param status the status to show
 * @param output the last probe's output, for people reading the check; possibly empty, never
 *     part of what sinks compare
 */
public record Health(Status status, String output) {
  /** Consul's vocabulary, which every sink can map. */
  public enum Status {
    PASSING,
    WARNING,
    CRITICAL;

    /** The lower-case spelling Consul uses. */
    public String spelling() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** The status Consul spells {@code spelling}; empty for anything else (null included). */
    public static Optional<Status> parse(String spelling) {
      for (Status status : values()) {
        if (status.spelling().equals(spelling)) {
          return Optional.of(status);
        }
      }
      return Optional.empty();
    }
  }

  /** Longer probe outputs are cut here (Consul keeps 4 KiB of a check's output by default). */
  public static final int MAX_OUTPUT = 4096;

  public Health {
    requireNonNull(status, "status");
    requireNonNull(output, "output");
    if (output.length() > MAX_OUTPUT) {
      output = output.substring(0, MAX_OUTPUT);
    }
  }
}
