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
    Plugins plugins = Plugins.load();
    if (args.length > 0) {
      java.util.Optional<io.registrybridge.spi.Tool> tool = plugins.tool(args[0]);
      if (tool.isPresent()) {
        System.exit(tool.get().run(java.util.List.of(args).subList(1, args.length), System.out,
            System.err));
      }
    }
    System.exit(commandLine(System.getenv(), plugins).execute(args));
  }

  /** The command line with Registrator's conventions: no abbreviations, one-dash long flags. */
  static CommandLine commandLine(java.util.Map<String, String> env) {
    return commandLine(env, Plugins.load());
  }

  private static CommandLine commandLine(java.util.Map<String, String> env, Plugins plugins) {
    CommandLine commandLine = new CommandLine(new BridgeCommand(env, plugins))
        .setAbbreviatedOptionsAllowed(false)
        .setCaseInsensitiveEnumValuesAllowed(true)
        .setOverwrittenOptionsAllowed(true)
        .setParameterExceptionHandler(Main::wrongArguments);
    plugins.addOptionsTo(commandLine);
    return HelpLayout.install(commandLine, plugins);
  }

  /**
   * A wrong flag or value: the error, a suggestion for a misspelt flag, and where the help is;
   * not the whole usage, which would scroll the error away. Exit status 2.
   */
  static int wrongArguments(CommandLine.ParameterException e, String[] args) {
    java.io.PrintWriter err = e.getCommandLine().getErr();
    String message = e.getMessage();
    if (e instanceof CommandLine.UnmatchedArgumentException unmatched
        && !unmatched.getUnmatched().isEmpty()) {
      String first = unmatched.getUnmatched().get(0);
      message = (first.startsWith("-") ? "unknown flag: " : "unexpected argument: ") + first;
      java.util.List<String> suggestions = unmatched.getSuggestions();
      if (!suggestions.isEmpty()) {
        message += " (did you mean " + suggestions.get(0) + "?)";
      }
    }
    err.println("registry-bridge: " + message);
    err.println("Run 'registry-bridge --help' for the flags and sink URIs.");
    err.flush();
    return 2;
  }
}
