package io.registrybridge.bridge;

import io.registrybridge.spi.SinkProvider;
import io.registrybridge.spi.SourceProvider;
import io.registrybridge.spi.Tool;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code --help} in groups rather than one flat list of forty flags: the daemon's own flags by
 * what they do, then each source and each sink with its own flags, URI forms and environment
 * variables, as its provider gives them. Registrator users look for their flags by what they do.
 *
 * <p>Flags are laid out here, not by picocli: its wrapping breaks lines inside tokens ({@code
 * registry-bridge.} / {@code io/sync}), and it shows booleans as {@code [=<internal>]}. Here a
 * line breaks only at a space, and every value has a label ({@code [=BOOL]}).
 */
final class HelpLayout {
  static final int WIDTH = 100;
  private static final int DESCRIPTION_COLUMN = 34;

  /** The daemon's own flags, by their first name; every one must be in a group. */
  static final Map<String, List<String>> GROUPS = groups();

  private HelpLayout() {}

  private static Map<String, List<String>> groups() {
    Map<String, List<String>> groups = new LinkedHashMap<>();
    groups.put("Sources:", List.of("-source"));
    groups.put("Registration (every source and sink, as Registrator):", List.of("-tags",
        "-hostname", "-cleanup", "-ttl", "-ttl-refresh"));
    groups.put("Retry and repair:", List.of("-retry-attempts", "-retry-interval",
        "-retry-max-interval", "-resync", "-verify-interval"));
    groups.put("Kubernetes access and leader election:", List.of("-k8s-context",
        "-leader-elect"));
    groups.put("Operations:", List.of("-http-listen", "-deregister-on-shutdown", "-h",
        "-version"));
    return groups;
  }

  static final String EXAMPLES =
      "%n" +
      "Examples:%n" +
      "  registry-bridge -internal -retry-attempts=-1 consul://consul:8500%n" +
      "  registry-bridge -tags=prod consul-tls://consul.example.com:8501"
          + " istio-dir:///etc/istio/config%n" +
      // Within 100 columns: picocli wraps a longer footer line inside its last URI.
      "  registry-bridge -source=kubernetes -leader-elect=consul/registry-bridge \\%n" +
      "      consul://consul-server.consul:8500%n" +
      "  registry-bridge -internal consul://consul:8500 istio-xds://:15010%n" +
      "%n";

  static final String ENVIRONMENT =
      "%n" +
      "Environment (the daemon's; each source and sink above lists its own):%n" +
      "  HOSTNAME               this replica's name in the Lease (-leader-elect)%n" +
      "  LOG_LEVEL              DEBUG, INFO (default), WARN, ERROR%n" +
      "  LOG_FORMAT             text (default) or json (one object per line)%n" +
      "  JAVA_OPTS              JVM options for bin/registry-bridge (replaces its defaults)%n" +
      "%n" +
      "Exit status: 0 after SIGTERM; 1 when a control plane or the engine never answered within%n" +
      "-retry-attempts; 2 for a wrong flag, URI or environment value.%n" +
      "Every flag also takes two dashes (--flag). Reference: docs/configuration.md%n";

  /** Installs the grouped option list in place of picocli's flat one. */
  static CommandLine install(CommandLine commandLine, Plugins plugins) {
    commandLine.getHelpSectionMap().put(CommandLine.Model.UsageMessageSpec
        .SECTION_KEY_OPTION_LIST, help -> options(help.commandSpec(), plugins));
    return commandLine;
  }

  static String options(CommandSpec spec, Plugins plugins) {
    StringBuilder text = new StringBuilder();
    Set<OptionSpec> shown = new HashSet<>();
    for (Map.Entry<String, List<String>> group : GROUPS.entrySet()) {
      List<OptionSpec> options = new ArrayList<>();
      for (String name : group.getValue()) {
        OptionSpec option = spec.findOption(name);
        if (option == null) {
          throw new IllegalStateException("no option " + name + " for the help");
        }
        options.add(option);
      }
      section(text, group.getKey(), options, List.of(), shown);
    }
    for (SourceProvider source : plugins.sources()) {
      section(text, source.title(), mixinOptions(spec, source), source.help(), shown);
    }
    text.append(String.format("%nSinks (SINK-URI), each with its own settings:%n"));
    for (SinkProvider sink : plugins.sinks()) {
      section(text, sink.title(), mixinOptions(spec, sink), sink.help(), shown);
    }
    if (!plugins.tools().isEmpty()) {
      text.append(String.format("%nCommands (registry-bridge COMMAND ARGS...):%n"));
      for (Tool tool : plugins.tools()) {
        text.append("  ").append(wrap(tool.usage(), 4)).append(String.format("%n"));
      }
    }
    for (OptionSpec option : spec.options()) {
      if (!shown.contains(option)) {
        throw new IllegalStateException("option " + option.longestName() + " has no group");
      }
    }
    return text.toString();
  }

  private static List<OptionSpec> mixinOptions(CommandSpec spec, Object provider) {
    CommandSpec mixin = spec.mixins().get(Plugins.mixinName(provider));
    return mixin == null ? List.of() : mixin.options();
  }

  private static void section(StringBuilder text, String title, List<OptionSpec> options,
      List<String> lines, Set<OptionSpec> shown) {
    text.append(String.format("%n%s%n", title));
    for (String line : lines) {
      text.append(helpLine(line)).append(String.format("%n"));
    }
    for (OptionSpec option : options) {
      shown.add(option);
      text.append(option(option));
    }
  }

  /** {@code -name=LABEL} or {@code -name[=BOOL]}, then the description wrapped at spaces. */
  static String option(OptionSpec option) {
    String name = option.names()[0];
    String label = option.paramLabel().startsWith("<") ? "BOOL" : option.paramLabel();
    String head = "  " + name;
    if (!option.usageHelp() && !option.versionHelp()) {
      head += option.arity().min() == 0 ? "[=" + label + "]" : "=" + label;
    }
    String description = String.join(" ", option.description());
    StringBuilder out = new StringBuilder(head);
    if (head.length() >= DESCRIPTION_COLUMN - 1) {
      out.append(String.format("%n")).append(" ".repeat(DESCRIPTION_COLUMN));
    } else {
      out.append(" ".repeat(DESCRIPTION_COLUMN - head.length()));
    }
    out.append(wrap(description, DESCRIPTION_COLUMN)).append(String.format("%n"));
    return out.toString();
  }

  /**
   * A provider's help line ({@code "  scheme://FORM   what it does"}), wrapped at spaces when
   * it is too wide, its continuation lines under the start of its description.
   */
  static String helpLine(String line) {
    if (line.length() <= WIDTH) {
      return line;
    }
    java.util.regex.Matcher gap = DESCRIPTION_GAP.matcher(line);
    int lead = line.length() - line.stripLeading().length();
    boolean aligned = gap.find() && gap.end(1) <= WIDTH / 2;
    int column = aligned ? gap.end(1) : lead + 4;
    int split = aligned ? column : lead;
    return line.substring(0, split) + wrap(line.substring(split), column);
  }

  /** Two or more spaces between words: where a help line's description starts. */
  private static final java.util.regex.Pattern DESCRIPTION_GAP =
      java.util.regex.Pattern.compile("\\S( {2,})\\S");

  /** Words to lines of at most {@link #WIDTH} columns, broken at spaces only. */
  static String wrap(String text, int indent) {
    StringBuilder out = new StringBuilder();
    int column = indent;
    for (String word : text.trim().split("\\s+")) {
      if (column > indent && column + 1 + word.length() > WIDTH) {
        out.append(String.format("%n")).append(" ".repeat(indent));
        column = indent;
      }
      if (column > indent) {
        out.append(' ');
        column++;
      }
      out.append(word);
      column += word.length();
    }
    return out.toString();
  }
}
