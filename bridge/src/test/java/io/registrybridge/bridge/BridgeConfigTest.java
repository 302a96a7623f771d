package io.registrybridge.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.registrybridge.bridge.leader.LeaseName;
import io.registrybridge.spi.SinkProvider;
import io.registrybridge.spi.SourceProvider;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The daemon's command line: its own flags, and every provider's flags as the daemon parses and
 * plans them ({@link BridgeConfig#fromArgs} then {@link Bridge#create}). What each plugin flag
 * means is its provider's test (DockerSourceProviderTest, KubernetesSourceProviderTest,
 * ConsulSinkProviderTest).
 */
class BridgeConfigTest {

  @Test
  void registratorsCommandLineParsesAndPlans() {
    BridgeConfig config = BridgeConfig.fromArgs("-internal", "-retry-attempts=-1",
        "consul://consul:8500");

    assertThat(pluginValue(config, "-internal")).isEqualTo(true);
    assertThat(config.retryAttempts()).isEqualTo(-1);
    assertThat(config.sources()).containsExactly("docker");
    assertThat(config.sinkUris()).containsExactly("consul://consul:8500");
    plan(config);
  }

  @Test
  void daemonDefaultsMatchTheDocumentation() {
    BridgeConfig config = BridgeConfig.fromArgs("consul://localhost");

    assertThat(config.sources()).containsExactly("docker");
    assertThat(config.cleanup()).isFalse();
    assertThat(config.forcedTags()).isEmpty();
    assertThat(config.ttl()).isEmpty();
    assertThat(config.ttlRefresh()).isEmpty();
    assertThat(config.resync()).isEmpty();
    assertThat(config.retryAttempts()).isEqualTo(-1);
    assertThat(config.retryInterval()).isEqualTo(Duration.ofSeconds(2));
    assertThat(config.retryMaxInterval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(config.verifyInterval()).isEmpty(); // each sink's own: 300 s for Consul
    assertThat(config.hostname()).isEmpty();
    assertThat(config.httpListen()).isEmpty();
    assertThat(config.deregisterOnShutdown()).isFalse();
    assertThat(config.kubeContext()).isEmpty();
    assertThat(config.leaderElect()).isEmpty();
  }

  /** A flag: its value (null for a boolean switch), and what the daemon makes of it. */
  private record Flag(String name, String value, Function<BridgeConfig, Object> actual,
      Object expected) {
    static Flag daemon(String name, String value, Function<BridgeConfig, Object> actual,
        Object expected) {
      return new Flag(name, value, actual, expected);
    }

    /** A plugin's flag: the value its provider's options object holds once parsed. */
    static Flag plugin(String name, String value, Object expected) {
      return new Flag(name, value, config -> pluginValue(config, name), expected);
    }

    static Flag daemonSwitch(String name, Function<BridgeConfig, Object> actual) {
      return new Flag(name, null, actual, null);
    }

    static Flag pluginSwitch(String name) {
      return plugin(name, null, null);
    }

    /**
     * Forms 0 to 3: {@code -f=v}, {@code -f v}, {@code --f=v}, {@code --f v}; a switch is
     * {@code -f}, {@code -f=true}, {@code --f}, {@code --f=true}, and in forms 4 and 5 {@code
     * -f=false}, {@code --f=false}.
     */
    List<String> args(int form) {
      String dashed = (form == 0 || form == 1 || form == 4 ? "" : "-") + name;
      if (value == null) {
        return List.of(form >= 4 ? dashed + "=false" : form % 2 == 0 ? dashed : dashed + "=true");
      }
      return form % 2 == 0 || form >= 4 ? List.of(dashed + "=" + value)
          : List.of(dashed, value);
    }

    Object expected(int form) {
      return value == null ? form < 4 : expected;
    }
  }

  /** Every flag of the real command line, the plugins' included, with a value it accepts. */
  private static final List<Flag> FLAGS = List.of(
      Flag.daemon("-tags", "a,b\\,c", BridgeConfig::forcedTags, List.of("a", "b,c")),
      Flag.daemon("-ttl", "30", BridgeConfig::ttl, Optional.of(Duration.ofSeconds(30))),
      Flag.daemon("-ttl-refresh", "10", BridgeConfig::ttlRefresh,
          Optional.of(Duration.ofSeconds(10))),
      Flag.daemon("-resync", "60", BridgeConfig::resync, Optional.of(Duration.ofSeconds(60))),
      Flag.daemon("-retry-attempts", "3", BridgeConfig::retryAttempts, 3),
      Flag.daemon("-retry-interval", "500", BridgeConfig::retryInterval,
          Duration.ofMillis(500)),
      Flag.daemon("-retry-max-interval", "4000", BridgeConfig::retryMaxInterval,
          Duration.ofMillis(4000)),
      Flag.daemonSwitch("-cleanup", BridgeConfig::cleanup),
      Flag.daemon("-hostname", "node-1", BridgeConfig::hostname, Optional.of("node-1")),
      Flag.daemon("-verify-interval", "2", BridgeConfig::verifyInterval,
          Optional.of(Duration.ofSeconds(2))),
      Flag.daemon("-http-listen", "127.0.0.1:8080", BridgeConfig::httpListen,
          Optional.of("127.0.0.1:8080")),
      Flag.daemonSwitch("-deregister-on-shutdown", BridgeConfig::deregisterOnShutdown),
      Flag.daemon("-k8s-context", "prod", BridgeConfig::kubeContext, Optional.of("prod")),
      // -source=docker comes first on the command line; this one adds the second source.
      Flag.daemon("-source", "kubernetes", BridgeConfig::sources,
          List.of("docker", "kubernetes")),
      // The Docker source's (Registrator's).
      Flag.pluginSwitch("-internal"),
      Flag.plugin("-ip", "10.0.0.1", "10.0.0.1"),
      Flag.pluginSwitch("-explicit"),
      Flag.plugin("-useIpFromLabel", "ip", "ip"),
      Flag.plugin("-network", "backend", "backend"),
      Flag.plugin("-deregister", "on-success", "on-success"),
      Flag.pluginSwitch("-docker-health"),
      // The Kubernetes source's (consul-k8s's).
      Flag.plugin("-allow-k8s-namespace", "shop", List.of("shop")),
      Flag.plugin("-deny-k8s-namespace", "kube-system", List.of("kube-system")),
      Flag.plugin("-k8s-label-selector", "team=blue", "team=blue"),
      Flag.pluginSwitch("-k8s-default-sync"),
      Flag.plugin("-node-port-sync-type", "InternalOnly", "InternalOnly"),
      Flag.plugin("-consul-k8s-tag", "kube", "kube"),
      Flag.pluginSwitch("-sync-clusterip-services"),
      Flag.pluginSwitch("-sync-lb-services-endpoints"),
      Flag.plugin("-consul-service-prefix", "k8s-", "k8s-"),
      Flag.pluginSwitch("-add-k8s-namespace-suffix"),
      Flag.plugin("-k8s-consul-node", "k8s-east", "k8s-east"),
      // The test-only memory sink's.
      Flag.plugin("-memory-flag", "hello", "hello"));

  /**
   * Registrator's flags are Go flags: one dash or two, {@code =} or a space. Every flag of the
   * daemon's command line, a plugin's as much as the daemon's own, is given in each form, and the
   * whole command line is planned as the daemon plans it.
   */
  @Test
  void everyFlagWorksWithOneOrTwoDashesAndWithOrWithoutEquals() {
    for (int f = 0; f < 6; f++) {
      int form = f;
      List<String> args = new ArrayList<>(List.of("-source=docker"));
      FLAGS.forEach(flag -> args.addAll(flag.args(form)));
      args.add("consul://localhost:8500");
      args.add("memory://forms-" + form);
      BridgeConfig config = BridgeConfig.fromArgs(args.toArray(String[]::new));

      for (Flag flag : FLAGS) {
        assertThat(flag.actual().apply(config)).as("%s in %s", flag.name(), args)
            .isEqualTo(flag.expected(form));
      }
      plan(config);
    }
    // -leader-elect needs -source=kubernetes alone, and no -deregister-on-shutdown.
    for (List<String> leaderElect : List.of(List.of("-leader-elect=ns/lease"),
        List.of("-leader-elect", "ns/lease"), List.of("--leader-elect=ns/lease"),
        List.of("--leader-elect", "ns/lease"))) {
      List<String> args = new ArrayList<>(List.of("-source=kubernetes"));
      args.addAll(leaderElect);
      args.add("consul://localhost:8500");
      BridgeConfig config = BridgeConfig.fromArgs(args.toArray(String[]::new));
      assertThat(config.leaderElect()).as("%s", args).contains(new LeaseName("ns", "lease"));
      plan(config);
    }
    // The lists above are the whole command line: a new flag must join them.
    Set<String> tested = new TreeSet<>(FLAGS.stream().map(Flag::name).toList());
    tested.addAll(List.of("-leader-elect", "-h", "-version"));
    assertThat(new TreeSet<>(Main.commandLine(Map.of()).getCommandSpec().options().stream()
        .map(option -> option.names()[0]).toList())).isEqualTo(tested);
  }

  @Test
  void sourcesDefaultToDockerRepeatAndKeepTheirOrder() {
    assertThat(BridgeConfig.fromArgs("consul://x").sources()).containsExactly("docker");
    assertThat(BridgeConfig.fromArgs("-source=kubernetes", "-source", "docker",
        "-source=kubernetes", "consul://x").sources()).containsExactly("kubernetes", "docker");
    assertThat(BridgeConfig.fromArgs("-source=KUBERNETES", "consul://x").sources())
        .containsExactly("kubernetes");
  }

  @Test
  void theClustersContextAndTheLeaseAreTheDaemonsForEveryPlugin() {
    BridgeConfig config = BridgeConfig.fromArgs("-source=kubernetes", "-k8s-context=prod",
        "-leader-elect=consul/registry-bridge", "consul://x");

    assertThat(config.kubeContext()).contains("prod");
    assertThat(config.settings(Map.of()).kubeContext()).contains("prod");
    assertThat(config.leaderElect()).contains(new LeaseName("consul", "registry-bridge"));
    assertThat(config.leaderElect().orElseThrow().ownerId())
        .isEqualTo("registry-bridge.consul");
  }

  @Test
  void theDaemonsSettingsAreWhatEveryPluginReads() {
    Map<String, String> env = Map.of("SOME_TOKEN", "secret");
    BridgeConfig config = BridgeConfig.fromArgs("-tags=a,b", "-ttl=30", "-cleanup",
        "-verify-interval=7", "-retry-attempts=4", "-retry-interval=100",
        "-retry-max-interval=800", "consul://x");
    io.registrybridge.spi.DaemonSettings settings = config.settings(env);

    assertThat(settings.env()).isEqualTo(env);
    assertThat(settings.forcedTags()).containsExactly("a", "b");
    assertThat(settings.ttl()).contains(Duration.ofSeconds(30));
    assertThat(settings.ttlRefresh()).contains(Duration.ofSeconds(15));
    assertThat(settings.cleanup()).isTrue();
    assertThat(settings.verifyInterval()).contains(Duration.ofSeconds(7));
    assertThat(settings.retry().maxAttempts()).isEqualTo(4);
    assertThat(settings.retry().delayAfter(1)).isBetween(Duration.ZERO, Duration.ofMillis(100));
    assertThat(settings.kubeContext()).isEmpty();
  }

  @Test
  void httpListenAcceptsHostPortOrColonPort() {
    assertThat(HealthServer.parseListen(":8080").getPort()).isEqualTo(8080);
    assertThat(HealthServer.parseListen(":8080").getAddress().isAnyLocalAddress()).isTrue();
    assertThat(HealthServer.parseListen("127.0.0.1:9").getHostString()).isEqualTo("127.0.0.1");
    assertThat(HealthServer.parseListen("[::1]:9").getAddress().getHostAddress())
        .isEqualTo("0:0:0:0:0:0:0:1");
    assertThat(BridgeConfig.fromArgs("-http-listen=:8080", "consul://x").httpListen())
        .contains(":8080");
  }

  /** A bare port reads as a host name too; every interface is a choice to make in writing. */
  @Test
  void aBareHttpListenPortIsAUsageErrorSuggestingColonPort() {
    Run run = exitAndError("-http-listen=8080", "consul://x");
    assertThat(run.code()).isEqualTo(2);
    assertThat(run.stderr()).contains("-http-listen must be HOST:PORT or :PORT, not '8080'"
        + " (:8080 listens on every interface, 127.0.0.1:8080 on this host only)");
  }

  @Test
  void ttlAloneRefreshesAtHalfTheTtl() {
    BridgeConfig config = BridgeConfig.fromArgs("-ttl", "30", "consul://x");
    assertThat(config.ttlRefresh()).contains(Duration.ofSeconds(15));
  }

  @Test
  void severalSinksAreKeptInOrder() {
    assertThat(BridgeConfig.fromArgs("consul://a", "memory://order").sinkUris())
        .containsExactly("consul://a", "memory://order");
  }

  /**
   * Each wrong value is refused before anything starts, naming the flag: the daemon's own when
   * the command line is parsed, a plugin's when its provider plans it.
   */
  @ParameterizedTest
  @ValueSource(strings = {
      "-bogus|Unknown option: '-bogus'",
      "-ttl=10 -ttl-refresh=10|-ttl must be greater than -ttl-refresh",
      "-ttl-refresh=10|-ttl must be greater than 0 when -ttl-refresh is set",
      "-retry-attempts=-2|-retry-attempts must be -1 (forever) or >= 0, not -2",
      "-retry-interval=0|-retry-interval must be positive",
      "-resync=-1|must not be negative",
      "-ttl=abc|'abc' is not an int",
      "-inter|Unknown option: '-inter'",
      "-http-listen=localhost:http|-http-listen must be HOST:PORT or :PORT, not 'localhost:http'",
      "-http-listen=:70000|-http-listen must be HOST:PORT or :PORT",
      "-source=consul|-source must be docker, kubernetes or static, not 'consul'",
      "-leader-elect=lease|-leader-elect must be NAMESPACE/NAME (a Lease), not 'lease'",
      "-leader-elect=ns/lease|-leader-elect needs -source=kubernetes alone",
      "-source=kubernetes -source=docker -leader-elect=ns/l|-leader-elect needs -source",
      "-deregister=sometimes|-deregister must be always, on-success or never, not 'sometimes'",
      "-ip=not-an-ip|-ip must be an IP address, not 'not-an-ip'",
      "-ip=localhost|-ip must be an IP address, not 'localhost'",
      "-ip=10.0.0.256|-ip must be an IP address, not '10.0.0.256'",
      "-source=kubernetes -node-port-sync-type=Nodes|-node-port-sync-type must be one of"
          + " ExternalOnly, ExternalFirst, InternalOnly, not 'Nodes'",
      "-source=kubernetes -k8s-consul-node=a/b|-k8s-consul-node: invalid Consul node name"
          + " 'a/b'"})
  void wrongFlagsAreRejectedWithAMessageNamingThem(String caseText) {
    String[] parts = caseText.split("\\|");
    List<String> args = new ArrayList<>(List.of(parts[0].split(" ")));
    args.add("consul://localhost");
    assertThatThrownBy(() -> plan(BridgeConfig.fromArgs(args.toArray(String[]::new))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(parts[1]);
  }

  /**
   * A plugin's flags are the plugin's to check: the command line takes any value, the provider
   * refuses it when the daemon plans, and the command ends with 2 and the provider's message.
   */
  @ParameterizedTest
  @ValueSource(strings = {
      "-deregister=bogus|-deregister must be always, on-success or never, not 'bogus'",
      "-ip=nohost|-ip must be an IP address, not 'nohost'",
      "-source=kubernetes -node-port-sync-type=x|-node-port-sync-type must be one of"
          + " ExternalOnly, ExternalFirst, InternalOnly, not 'x'",
      "-source=kubernetes -k8s-consul-node=a/b|-k8s-consul-node: invalid Consul node name"
          + " 'a/b'"})
  void wrongPluginFlagValuesAreRefusedWhenPlannedAndTheCommandExitsWithTwo(String caseText) {
    String[] parts = caseText.split("\\|");
    List<String> args = new ArrayList<>(List.of(parts[0].split(" ")));
    args.add("consul://localhost");
    String[] argv = args.toArray(String[]::new);
    BridgeConfig parsed = BridgeConfig.fromArgs(argv);
    assertThatThrownBy(() -> plan(parsed)).hasMessageContaining(parts[1]);

    Run run = exitAndError(argv);
    assertThat(run.code()).isEqualTo(2);
    assertThat(run.stderr()).startsWith("registry-bridge: " + parts[1]).doesNotContain("\tat ");
  }

  @Test
  void aSinkUriIsRequired() {
    assertThatThrownBy(() -> BridgeConfig.fromArgs("-internal"))
        .hasMessageContaining("SINK-URI");
  }

  @Test
  void theCommandExitsWithTwoAndNamesTheProblem() {
    assertThat(exitAndError("-bogus", "consul://x")).satisfies(r -> {
      assertThat(r.code()).isEqualTo(2);
      assertThat(r.stderr()).contains("unknown flag: -bogus");
    });
    assertThat(exitAndError("carrier-pigeon://x")).satisfies(r -> {
      assertThat(r.code()).isEqualTo(2);
      // Every scheme on the class path, sorted: the back ends' modules and the test's own.
      assertThat(r.stderr()).contains("unsupported sink URI 'carrier-pigeon://x': expected"
          + " consul://, consul-tls://, consul-unix://", "memory://");
    });
    assertThat(exitAndError("consul://host:notaport")).satisfies(r -> {
      assertThat(r.code()).isEqualTo(2);
      assertThat(r.stderr()).contains("consul://host:notaport");
    });
  }

  /**
   * The replicas share one owner ID: deregistering on shutdown would empty the catalog at every
   * rolling update, and an old leader could delete what the new one holds.
   */
  @Test
  void deregisterOnShutdownWithLeaderElectionIsRejectedWithTwoAndTheReason() {
    assertThat(exitAndError("-source=kubernetes", "-leader-elect=consul/registry-bridge",
        "-deregister-on-shutdown", "consul://localhost")).satisfies(r -> {
          assertThat(r.code()).isEqualTo(2);
          assertThat(r.stderr()).contains("registry-bridge: -deregister-on-shutdown cannot be"
              + " used with -leader-elect: the replicas share one owner ID, so every rolling"
              + " update would deregister the whole catalog, and a leader that lost its Lease"
              + " could delete what the new leader holds; without it, a new leader adopts the"
              + " registrations as they are");
        });
    // Each alone is fine.
    assertThat(BridgeConfig.fromArgs("-source=kubernetes", "-leader-elect=consul/rb",
        "-deregister-on-shutdown=false", "consul://localhost").deregisterOnShutdown()).isFalse();
    assertThat(BridgeConfig.fromArgs("-source=kubernetes", "-deregister-on-shutdown",
        "consul://localhost").deregisterOnShutdown()).isTrue();
  }

  @Test
  void theSameSinkTwiceIsAUsageErrorNamingBoth() {
    assertThat(exitAndError("consul://localhost:8500", "CONSUL://LocalHost:8500/"))
        .satisfies(r -> {
          assertThat(r.code()).isEqualTo(2);
          assertThat(r.stderr()).contains("sink URIs 'consul://localhost:8500' and "
              + "'CONSUL://LocalHost:8500/' name the same sink");
        });
    assertThat(exitAndError("memory://twice", "memory://twice")).satisfies(r ->
        assertThat(r.code()).isEqualTo(2));
    // Two different control planes are fine.
    assertThatCode(() -> Bridge.rejectDuplicateSinks(List.of("consul://a:8500",
        "consul://b:8500", "memory://a", "memory://b"))).doesNotThrowAnyException();
  }

  @Test
  void aMissingTokenFileIsAUsageError() {
    CommandLine cli = Main.commandLine(Map.of("CONSUL_HTTP_TOKEN_FILE", "/nonexistent/token"));
    StringWriter err = new StringWriter();
    cli.setErr(new PrintWriter(err));
    assertThat(cli.execute("consul://localhost")).isEqualTo(2);
    assertThat(err.toString()).contains("/nonexistent/token");
  }

  @Test
  void aWrongFlagGivesOneShortErrorWithASuggestionNotTheWholeUsage() {
    Run typo = exitAndError("-intenral", "consul://localhost");
    assertThat(typo.code()).isEqualTo(2);
    assertThat(typo.stderr().lines()).containsExactly(
        "registry-bridge: unknown flag: -intenral (did you mean -internal?)",
        "Run 'registry-bridge --help' for the flags and sink URIs.");

    Run bogus = exitAndError("-bogus", "consul://localhost");
    assertThat(bogus.code()).isEqualTo(2);
    assertThat(bogus.stderr().lines()).hasSize(2).first().asString()
        .startsWith("registry-bridge: unknown flag: -bogus");
  }

  @Test
  void aTakenHttpListenAddressIsAUsageErrorNamingTheFlag() throws Exception {
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1,
        java.net.InetAddress.getLoopbackAddress())) {
      String listen = "127.0.0.1:" + taken.getLocalPort();
      Run run = exitAndError("-http-listen=" + listen, "-hostname=h", "consul://127.0.0.1:1");
      assertThat(run.code()).isEqualTo(2);
      assertThat(run.stderr()).contains("-http-listen=" + listen, "another process listens");
    }
  }

  @Test
  void anHttpListenHostThatDoesNotResolveIsAUsageErrorNamingTheValue() {
    Run run = exitAndError("-http-listen=nohost.invalid:80", "-hostname=h",
        "consul://127.0.0.1:1");
    assertThat(run.code()).isEqualTo(2);
    assertThat(run.stderr()).contains("-http-listen=nohost.invalid:80: cannot resolve the host"
        + " 'nohost.invalid'").doesNotContain("\tat ");
  }

  @Test
  void anEngineThatNeverAnswersEndsTheDaemonWithinTheRetryAttempts() {
    CommandLine cli = Main.commandLine(Map.of("DOCKER_HOST", "unix:///nonexistent/docker.sock"));
    cli.setErr(new PrintWriter(new StringWriter()));
    assertThat(cli.execute("-retry-attempts=0", "consul://127.0.0.1:1")).isEqualTo(1);
  }

  @Test
  void aDockerHostWithoutSchemeIsAUsageErrorNamingTheValue() {
    CommandLine cli = Main.commandLine(Map.of("DOCKER_HOST", "/var/run/docker.sock"));
    StringWriter err = new StringWriter();
    cli.setErr(new PrintWriter(err));
    assertThat(cli.execute("consul://127.0.0.1:1")).isEqualTo(2);
    assertThat(err.toString()).contains("DOCKER_HOST=/var/run/docker.sock has no scheme; use"
        + " unix:///var/run/docker.sock");
  }

  record Run(int code, String stderr) {}

  static Run exitAndError(String... args) {
    CommandLine cli = Main.commandLine(Map.of());
    StringWriter err = new StringWriter();
    cli.setErr(new PrintWriter(err));
    return new Run(cli.execute(args), err.toString());
  }

  /** Plans every source and sink as the daemon does before it starts; starts nothing. */
  private static void plan(BridgeConfig config) {
    Bridge.create(config, Map.of(), Clock.systemUTC()).close();
  }

  /** The value a plugin's flag holds in its provider's options, once parsed. */
  private static Object pluginValue(BridgeConfig config, String flag) {
    for (Object provider : config.plugins().providers()) {
      Object options = provider instanceof SourceProvider source ? source.options()
          : ((SinkProvider) provider).options();
      OptionSpec option = options == null ? null
          : CommandSpec.forAnnotatedObject(options).findOption(flag);
      if (option != null) {
        return option.getValue();
      }
    }
    throw new AssertionError("no plugin has the flag " + flag);
  }
}
