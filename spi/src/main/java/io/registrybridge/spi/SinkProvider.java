package io.registrybridge.spi;

import java.util.List;
import java.util.Set;

/**
 * A kind of sink, found through {@link java.util.ServiceLoader}: the URI schemes it owns and how
 * a URI becomes a sink. A new instance is loaded for every command line, so a provider may keep
 * its parsed flags in the object that {@link #options()} returns.
 */
public interface SinkProvider {

  /** The URI schemes this provider owns, lower case, without {@code ://}. */
  Set<String> schemes();

  /**
   * The heading of this provider's part of {@code --help}, e.g. {@code "Consul
   * (consul://, consul-tls://, consul-unix://):"}.
   */
  String title();

  /**
   * Lines for {@code --help}: the URI forms, aligned as {@code "  scheme://FORM   what it
   * does"}, then the environment variables this provider reads.
   */
  List<String> help();

  /**
   * The provider's own flags: an object with picocli {@code @Option} fields that the command line
   * fills before {@link #plan} is called, or {@code null} for none. Flags are shown under {@link
   * #title()}; their names must not collide with another provider's.
   */
  default Object options() {
    return null;
  }

  /**
   * Parses and validates one URI of this provider's schemes, from the command line alone: no
   * network, no port bound.
   *
   * @throws IllegalArgumentException naming the URI, the parameter and what is wrong with it
   */
  SinkPlan plan(String uri, DaemonSettings settings);
}
