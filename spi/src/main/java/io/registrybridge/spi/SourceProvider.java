package io.registrybridge.spi;

import java.util.List;

/**
 * A kind of source, found through {@link java.util.ServiceLoader}, chosen with {@code
 * -source=NAME}. A new instance is loaded for every command line, so a provider may keep its
 * parsed flags in the object that {@link #options()} returns.
 */
public interface SourceProvider {

  /** The value of {@code -source} that selects it, lower case: {@code docker}. */
  String name();

  /** Whether it runs when no {@code -source} is given (only Docker's, as Registrator). */
  default boolean isDefault() {
    return false;
  }

  /** The heading of this provider's part of {@code --help}. */
  String title();

  /** Lines for {@code --help} after its flags: the environment variables it reads. */
  List<String> help();

  /** The provider's own flags (picocli {@code @Option} fields), or {@code null}; as for sinks. */
  default Object options() {
    return null;
  }

  /**
   * Validates this source's flags and environment, from the command line alone. Called only when
   * the source is selected.
   *
   * @throws IllegalArgumentException naming the flag or variable and what is wrong
   */
  SourcePlan plan(DaemonSettings settings);
}
