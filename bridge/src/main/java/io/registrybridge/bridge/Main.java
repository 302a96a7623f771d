package io.registrybridge.bridge;

import io.registrybridge.bridge.training.AotTraining;
import picocli.CommandLine;

/** Entry point of {@code registry-bridge.jar}. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    if (args.length == 1 && args[0].equals(AotTraining.FLAG)) {
      // Hidden: the training run of the JDK's AOT cache (bin/registry-bridge, the Dockerfile).
      System.exit(AotTraining.run(System.err));
    }
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
