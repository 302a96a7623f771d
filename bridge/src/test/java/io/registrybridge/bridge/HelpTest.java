package io.registrybridge.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import io.registrybridge.spi.SinkProvider;
import io.registrybridge.spi.SourceProvider;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** {@code --help} as {@link HelpLayout} lays it out, with every provider on the class path. */
class HelpTest {
  private final CommandLine cli = Main.commandLine(Map.of());
  private final String help = help(cli);

  private static String help(CommandLine cli) {
    StringWriter out = new StringWriter();
    cli.setOut(new PrintWriter(out));
    assertThat(cli.execute("--help")).isZero();
    return out.toString();
  }

  /**
   * Each flag once, under its heading: the daemon's in {@link HelpLayout#GROUPS}, a plugin's
   * under its provider's title, which the provider gives.
   */
  @Test
  void listsEveryFlagExactlyOnceUnderItsGroupOrItsProvidersTitle() {
    Map<String, String> expectedHeading = new HashMap<>();
    HelpLayout.GROUPS.forEach((heading, flags) -> flags.forEach(flag ->
        expectedHeading.put(flag, heading)));
    Plugins plugins = Plugins.load();
    for (Object provider : plugins.providers()) {
      String title = provider instanceof SourceProvider source ? source.title()
          : ((SinkProvider) provider).title();
      Object options = provider instanceof SourceProvider source ? source.options()
          : ((SinkProvider) provider).options();
      if (options != null) {
        CommandSpec.forAnnotatedObject(options).options().forEach(option ->
            expectedHeading.put(option.names()[0], title));
      }
    }
    List<String> titles = plugins.providers().stream().map(provider ->
        provider instanceof SourceProvider source ? source.title()
            : ((SinkProvider) provider).title()).toList();
    assertThat(titles).contains("Docker source (-source=docker, the default; as Registrator):",
        "Kubernetes source (-source=kubernetes; as consul-k8s catalog sync):",
        "Consul (consul://, consul-tls://, consul-unix://):",
        "Memory (memory://NAME; bridge's tests only):");
    for (String heading : concat(HelpLayout.GROUPS.keySet(), titles)) {
      assertThat(help.lines().filter(heading::equals)).as(heading).hasSize(1);
    }

    Map<String, List<String>> headingsOfFlag = new HashMap<>();
    String heading = null;
    for (String line : help.lines().toList()) {
      if (!line.isEmpty() && !line.startsWith(" ") && line.endsWith(":")) {
        heading = line;
      } else if (line.startsWith("  -")) {
        String flag = line.trim().split("[\\[= ]", 2)[0];
        headingsOfFlag.computeIfAbsent(flag, f -> new java.util.ArrayList<>()).add(heading);
      }
    }
    for (OptionSpec option : cli.getCommandSpec().options()) {
      String flag = option.names()[0];
      assertThat(expectedHeading).as("a heading for %s", flag).containsKey(flag);
      assertThat(headingsOfFlag.get(flag)).as("where %s is listed", flag)
          .containsExactly(expectedHeading.get(flag));
    }
    assertThat(headingsOfFlag.keySet()).as("no line names a flag that does not exist")
        .allMatch(flag -> cli.getCommandSpec().findOption(flag) != null);
  }

  @Test
  void noLineIsWiderThanTheLayout() {
    assertThat(help.lines().filter(line -> line.length() > HelpLayout.WIDTH).toList())
        .isEmpty();
    assertThat(HelpLayout.WIDTH).isEqualTo(100);
  }

  /**
   * Lines break only at spaces: every word of every flag's description is whole on one line
   * (picocli's own wrapping broke {@code registry-bridge.} / {@code io/sync}).
   */
  @Test
  void noLineBreaksInsideAToken() {
    Set<String> words = Arrays.stream(help.split("\\s+")).collect(Collectors.toSet());
    for (OptionSpec option : cli.getCommandSpec().options()) {
      String description = String.join(" ", option.description()).replace("${DEFAULT-VALUE}",
          String.valueOf(option.defaultValue()));
      for (String word : description.trim().split("\\s+")) {
        assertThat(words).as("'%s' of %s", word, option.names()[0]).contains(word);
      }
    }
    // The rest is given as lines (the footer, each provider's URI forms and environment), and
    // must come out as given: a long one wrapped by picocli would break inside a URI.
    List<String> given = new java.util.ArrayList<>(String.format(HelpLayout.EXAMPLES
        + HelpLayout.ENVIRONMENT).lines().toList());
    Plugins.load().providers().forEach(provider -> given.addAll(
        provider instanceof SourceProvider source ? source.help()
            : ((SinkProvider) provider).help()));
    for (String line : given) {
      for (String word : line.trim().split("\\s+")) {
        if (!word.isEmpty()) {
          assertThat(words).as("'%s' of the line '%s'", word, line).contains(word);
        }
      }
    }
    assertThat(help.lines()).anySatisfy(line ->
        assertThat(line).contains("registry-bridge.io/sync"));
    if (help.contains("tlsKey")) {
      assertThat(help.lines()).anySatisfy(line ->
          assertThat(line).contains("tlsCert=PEM&tlsKey=PEM"));
    }
  }

  @Test
  void everyValueHasALabelAndEveryVariableIsResolved() {
    assertThat(help).doesNotContain("[=<", "=<", "${");
    assertThat(help.lines()).anySatisfy(line ->
        assertThat(line).startsWith("  -internal[=BOOL] "));
    assertThat(help.lines()).anySatisfy(line ->
        assertThat(line).startsWith("  -deregister=WHEN "));
    assertThat(help).contains("Default: always.", "Default: -1", "Default: k8s-sync,",
        "Default: ExternalOnly.");
  }

  @Test
  void isGroupedWithExamplesTheEnvironmentAndEverySinksUris() {
    assertThat(help).contains("Sources:", "Registration (every source and sink, as Registrator):",
        "Retry and repair:", "Kubernetes access and leader election:", "Operations:",
        "Sinks (SINK-URI), each with its own settings:", "Examples:",
        "registry-bridge -internal -retry-attempts=-1 consul://consul:8500",
        "LOG_LEVEL", "LOG_FORMAT", "consul-tls://", "consul-unix://", "CONSUL_HTTP_TOKEN",
        "CONSUL_HTTP_SSL_VERIFY", "unix:///tmp/docker.sock", "KUBECONFIG");
    assertThat(help.indexOf("Registration")).isLessThan(help.indexOf("Retry and repair"));
    assertThat(help.indexOf("Docker source")).as("sources before sinks")
        .isLessThan(help.indexOf("Sinks (SINK-URI)"));
    assertThat(help.indexOf("Sinks (SINK-URI)")).isLessThan(help.indexOf("Consul ("));
  }

  private static List<String> concat(Set<String> a, List<String> b) {
    List<String> all = new java.util.ArrayList<>(a);
    all.addAll(b);
    return all;
  }
}
