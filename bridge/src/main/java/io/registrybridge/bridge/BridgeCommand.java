package io.registrybridge.bridge;

import static java.util.Objects.requireNonNull;

import java.time.Clock;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code registry-bridge [flags] SINK-URI...}: validates the flags, then runs the daemon. */
@Command(
    name = "registry-bridge",
    versionProvider = BridgeCommand.Version.class,
    sortOptions = false,
    usageHelpWidth = 100,
    synopsisHeading = "Usage: ",
    customSynopsis = "registry-bridge [FLAGS] SINK-URI...",
    description = {
        "",
        "Keeps Consul and the Istio mesh equal to the services running in Docker and in",
        "Kubernetes. A drop-in replacement for Registrator (same flags, same SERVICE_* labels",
        "and environment) and for consul-k8s catalog sync (same annotations), plus",
        "ServiceMeta (protocol) on every registration.",
        ""},
    parameterListHeading = "%n",
    optionListHeading = "",
    footer = {HelpLayout.EXAMPLES, HelpLayout.ENVIRONMENT})
final class BridgeCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin BridgeOptions options = new BridgeOptions();

  @Option(names = {"-h", "-help", "--help"}, usageHelp = true, description = "Show this help.")
  boolean help;

  @Option(names = {"-version", "--version"}, versionHelp = true,
      description = "Print the version.")
  boolean version;

  private final Map<String, String> env;
  private final Plugins plugins;

  BridgeCommand(Map<String, String> env, Plugins plugins) {
    this.env = requireNonNull(env, "env");
    this.plugins = requireNonNull(plugins, "plugins");
  }

  @Override
  public Integer call() throws InterruptedException, java.io.IOException {
    Bridge bridge;
    try {
      bridge = Bridge.create(options.toConfig(plugins), env, Clock.systemUTC());
    } catch (IllegalArgumentException e) {
      // A wrong flag value or URI: picocli prints the message and usage and exits with 2.
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    Signals.onTermination(bridge::close);
    Runtime.getRuntime().addShutdownHook(new Thread(bridge::close, "registry-bridge-shutdown"));
    try {
      bridge.start();
    } catch (IllegalArgumentException e) {
      bridge.close(); // e.g. -http-listen taken: a usage error, exit 2
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    return bridge.awaitExit();
  }

  /** Reads the version the build put into the jar's manifest. */
  static final class Version implements picocli.CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = BridgeCommand.class.getPackage().getImplementationVersion();
      return new String[] {"registry-bridge " + (version == null ? "(development)" : version)};
    }
  }
}
