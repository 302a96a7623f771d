package io.registrybridge.source.docker;

import java.util.Locale;

/**
 * When the services of a container that stopped leave the registry (Registrator's {@code
 * -deregister}).
 */
public enum DeregisterPolicy {
  /** As soon as the container stops, whatever its exit code (the default). */
  ALWAYS,
  /** Only when it exits with code 0; a crashed container stays registered so checks show it. */
  ON_SUCCESS,
  /** Not when it stops; only when the container is removed. */
  NEVER;

  /** Parses Registrator's spelling: {@code always}, {@code on-success}, {@code never}. */
  public static DeregisterPolicy parse(String value) {
    return switch (value.toLowerCase(Locale.ROOT)) {
      case "always" -> ALWAYS;
      case "on-success" -> ON_SUCCESS;
      case "never" -> NEVER;
      default -> throw new IllegalArgumentException(
          "-deregister must be always, on-success or never, not '" + value + "'");
    };
  }

  /** Whether a stopped container that exited with {@code exitCode} keeps its services. */
  boolean keepsServicesAfterExit(long exitCode) {
    return switch (this) {
      case ALWAYS -> false;
      case ON_SUCCESS -> exitCode != 0;
      case NEVER -> true;
    };
  }
}
