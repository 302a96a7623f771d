package io.registrybridge.bridge;

import picocli.CommandLine;

/** Entry point of {@code registry-bridge.jar}. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.exit(commandLine(System.getenv()).execute(args));
  }

  /** The command line with Registrator's conventions: no abbreviations, one-dash long flags. */
  static CommandLine commandLine(java.util.Map<String, String> env) {
    return new CommandLine(new BridgeCommand(env))
        .setAbbreviatedOptionsAllowed(false)
        .setCaseInsensitiveEnumValuesAllowed(true)
        .setOverwrittenOptionsAllowed(true);
  }
}
