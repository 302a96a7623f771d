package io.registrybridge.bridge;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;

/** The values of {@code -source}. */
final class SourceKinds {
  static final String DOCKER = "docker";
  static final String KUBERNETES = "kubernetes";

  private SourceKinds() {}

  /**
   * The kinds given, in order and without repeats; {@code docker} when none is given.
   *
   * @throws IllegalArgumentException for any other value
   */
  static List<String> parse(List<String> given) {
    if (given.isEmpty()) {
      return List.of(DOCKER);
    }
    LinkedHashSet<String> kinds = new LinkedHashSet<>();
    for (String value : given) {
      String kind = value.trim().toLowerCase(Locale.ROOT);
      if (!kind.equals(DOCKER) && !kind.equals(KUBERNETES)) {
        throw new IllegalArgumentException("-source must be docker or kubernetes, not '"
            + value + "'");
      }
      kinds.add(kind);
    }
    return List.copyOf(kinds);
  }
}
