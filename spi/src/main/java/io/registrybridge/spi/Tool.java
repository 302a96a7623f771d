package io.registrybridge.spi;

import java.io.PrintStream;
import java.util.List;

/**
 * A one-shot command of the same executable, found through {@link java.util.ServiceLoader}:
 * {@code registry-bridge NAME ARGS...} runs it instead of the daemon (e.g. {@code mesh-dump
 * istio-xds://localhost:15010}). Listed in {@code --help}.
 */
public interface Tool {

  /** The first argument that selects it; never starts with {@code -} or contains {@code ://}. */
  String name();

  /** One line for {@code --help}: {@code "mesh-dump URI   print what ..."}. */
  String usage();

  /**
   * Runs it to completion.
   *
   * @return the exit status: 0 done, 1 the server could not be reached, 2 wrong arguments
   */
  int run(List<String> args, PrintStream out, PrintStream err);
}
