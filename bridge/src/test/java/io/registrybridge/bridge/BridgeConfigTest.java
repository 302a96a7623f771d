package io.registrybridge.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.registrybridge.source.docker.DeregisterPolicy;
import io.registrybridge.source.kubernetes.SyncOptions;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

class BridgeConfigTest {

  @Test
  void registratorsCommandLineParses() {
    BridgeConfig config = BridgeConfig.fromArgs("-internal", "-retry-attempts=-1",
        "consul://consul:8500");

    assertThat(config.internal()).isTrue();
    assertThat(config.retryAttempts()).isEqualTo(-1);
    assertThat(config.sinkUris()).containsExactly("consul://consul:8500");
  }

  @Test
  void defaultsMatchTheDocumentation() {
    BridgeConfig config = BridgeConfig.fromArgs("consul://localhost");

    assertThat(config.internal()).isFalse();
    assertThat(config.explicit()).isFalse();
    assertThat(config.cleanup()).isFalse();
    assertThat(config.hostIp()).isEmpty();
    assertThat(config.forcedTags()).isEmpty();
    assertThat(config.ttl()).isEmpty();
    assertThat(config.resync()).isEmpty();
    assertThat(config.deregister()).isEqualTo(DeregisterPolicy.ALWAYS);
    assertThat(config.retryAttempts()).isEqualTo(-1);
    assertThat(config.retryInterval()).isEqualTo(Duration.ofSeconds(2));
    assertThat(config.retryMaxInterval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(config.verifyInterval()).isEmpty(); // each sink's own: 300 s for Consul
    assertThat(config.hostname()).isEmpty();
    assertThat(config.k8sConsulNode()).isEqualTo("k8s-sync");
  }

  @Test
  void theCatalogNodeIsNamedByFlagAndChecked() {
    assertThat(BridgeConfig.fromArgs("-k8s-consul-node=k8s-east", "consul://x").k8sConsulNode())
        .isEqualTo("k8s-east");
    assertThat(BridgeConfig.fromArgs("--k8s-consul-node", "k8s-east", "consul://x")
        .k8sConsulNode()).isEqualTo("k8s-east");
    assertThatThrownBy(() -> BridgeConfig.fromArgs("-k8s-consul-node=a/b", "consul://x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("-k8s-consul-node: invalid Consul node name 'a/b'");
  }

  @Test
  void everyFlagWorksWithOneOrTwoDashesAndWithOrWithoutEquals() {
    String[][] forms = {
        {"-ip=10.0.0.1", "-tags=a,b\\,c", "-ttl=30", "-ttl-refresh=10", "-resync=60",
            "-deregister=on-success", "-retry-attempts=3", "-retry-interval=500",
            "-retry-max-interval=4000", "-hostname=node-1", "-network=backend",
            "-useIpFromLabel=ip", "-verify-interval=2", "-explicit", "-cleanup", "-internal"},
        {"--ip", "10.0.0.1", "--tags", "a,b\\,c", "--ttl", "30", "--ttl-refresh", "10",
            "--resync", "60", "--deregister", "on-success", "--retry-attempts", "3",
            "--retry-interval", "500", "--retry-max-interval", "4000", "--hostname", "node-1",
            "--network", "backend", "--useIpFromLabel", "ip", "--verify-interval", "2",
            "--explicit=true", "--cleanup=true", "--internal=true"}};
    for (String[] form : forms) {
      String[] args = java.util.Arrays.copyOf(form, form.length + 1);
      args[form.length] = "consul://localhost:8500";
      BridgeConfig config = BridgeConfig.fromArgs(args);

      assertThat(config.hostIp()).contains("10.0.0.1");
      assertThat(config.forcedTags()).containsExactly("a", "b,c");
      assertThat(config.ttl()).contains(Duration.ofSeconds(30));
      assertThat(config.ttlRefresh()).contains(Duration.ofSeconds(10));
      assertThat(config.resync()).contains(Duration.ofSeconds(60));
      assertThat(config.deregister()).isEqualTo(DeregisterPolicy.ON_SUCCESS);
      assertThat(config.retryAttempts()).isEqualTo(3);
      assertThat(config.retryInterval()).isEqualTo(Duration.ofMillis(500));
      assertThat(config.retryMaxInterval()).isEqualTo(Duration.ofMillis(4000));
      assertThat(config.hostname()).contains("node-1");
      assertThat(config.network()).contains("backend");
      assertThat(config.useIpFromLabel()).contains("ip");
      assertThat(config.verifyInterval()).contains(Duration.ofSeconds(2));
      assertThat(config.explicit()).isTrue();
      assertThat(config.cleanup()).isTrue();
      assertThat(config.internal()).isTrue();
    }
  }

  @Test
  void sourcesDefaultToDockerRepeatAndKeepTheirOrder() {
    assertThat(BridgeConfig.fromArgs("consul://x").sources()).containsExactly("docker");
    BridgeConfig both = BridgeConfig.fromArgs("-source=kubernetes", "-source", "docker",
        "-source=kubernetes", "consul://x");
    assertThat(both.sources()).containsExactly("kubernetes", "docker");
    assertThat(both.watchesDocker()).isTrue();
    assertThat(BridgeConfig.fromArgs("-source=kubernetes", "consul://x").watchesDocker())
        .isFalse();
  }

  @Test
  void kubernetesFlagsHaveConsulK8sNamesAndDefaults() {
    KubernetesOptions defaults = BridgeConfig.fromArgs("-source=kubernetes", "consul://x")
        .kubernetes();
    assertThat(defaults.defaultSync()).isTrue();
    assertThat(defaults.nodePortSync())
        .isEqualTo(io.registrybridge.source.kubernetes.NodePortSync.EXTERNAL_ONLY);
    assertThat(defaults.k8sTag()).contains("k8s");
    assertThat(defaults.leaderElect()).isEmpty();
    assertThat(defaults.allowNamespaces()).isEmpty();
    assertThat(defaults.sync()).isEqualTo(SyncOptions.DEFAULTS);

    KubernetesOptions set = BridgeConfig.fromArgs("-source=kubernetes", "-k8s-context=prod",
        "-leader-elect=consul/registry-bridge", "-allow-k8s-namespace=shop",
        "-allow-k8s-namespace=web", "-deny-k8s-namespace=kube-system",
        "-k8s-label-selector=team=blue", "-k8s-default-sync=false",
        "-node-port-sync-type=InternalOnly", "-consul-k8s-tag=", "-sync-clusterip-services=false",
        "-sync-lb-services-endpoints", "-consul-service-prefix=k8s-",
        "-add-k8s-namespace-suffix=true", "consul://x").kubernetes();
    assertThat(set.context()).contains("prod");
    assertThat(set.leaderElect()).contains(
        new KubernetesOptions.LeaseName("consul", "registry-bridge"));
    assertThat(set.leaderElect().orElseThrow().ownerId()).isEqualTo("registry-bridge.consul");
    assertThat(set.allowNamespaces()).containsExactly("shop", "web");
    assertThat(set.denyNamespaces()).containsExactly("kube-system");
    assertThat(set.labelSelector()).contains("team=blue");
    assertThat(set.defaultSync()).isFalse();
    assertThat(set.nodePortSync())
        .isEqualTo(io.registrybridge.source.kubernetes.NodePortSync.INTERNAL_ONLY);
    assertThat(set.k8sTag()).isEmpty();
    assertThat(set.sync()).isEqualTo(new SyncOptions(false, true, "k8s-", true));
  }

  @Test
  void httpListenAcceptsHostPortOrJustAPort() {
    assertThat(HealthServer.parseListen(":8080").getPort()).isEqualTo(8080);
    assertThat(HealthServer.parseListen(":8080").getAddress().isAnyLocalAddress()).isTrue();
    assertThat(HealthServer.parseListen("127.0.0.1:9").getHostString()).isEqualTo("127.0.0.1");
    assertThat(HealthServer.parseListen("[::1]:9").getAddress().getHostAddress())
        .isEqualTo("0:0:0:0:0:0:0:1");
    assertThat(BridgeConfig.fromArgs("-http-listen=:8080", "consul://x").httpListen())
        .contains(":8080");
  }

  @Test
  void booleansCanBeSwitchedOffExplicitly() {
    assertThat(BridgeConfig.fromArgs("-internal=false", "consul://x").internal()).isFalse();
  }

  @Test
  void ttlAloneRefreshesAtHalfTheTtl() {
    BridgeConfig config = BridgeConfig.fromArgs("-ttl", "30", "consul://x");
    assertThat(config.ttlRefresh()).contains(Duration.ofSeconds(15));
  }

  @Test
  void ipTakesIpv4AndIpv6Literals() {
    assertThat(BridgeConfig.fromArgs("-ip=192.168.1.10", "consul://x").hostIp())
        .contains("192.168.1.10");
    assertThat(BridgeConfig.fromArgs("-ip=fd00:10::1", "consul://x").hostIp())
        .contains("fd00:10::1");
  }

  @Test
  void severalSinksAreKeptInOrder() {
    assertThat(BridgeConfig.fromArgs("consul://a", "istio-dir:///tmp/se").sinkUris())
        .containsExactly("consul://a", "istio-dir:///tmp/se");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "-bogus|Unknown option: '-bogus'",
      "-ttl=10 -ttl-refresh=10|-ttl must be greater than -ttl-refresh",
      "-ttl-refresh=10|-ttl must be greater than 0 when -ttl-refresh is set",
      "-deregister=sometimes|-deregister must be always, on-success or never, not 'sometimes'",
      "-retry-attempts=-2|-retry-attempts must be -1 (forever) or >= 0, not -2",
      "-retry-interval=0|-retry-interval must be positive",
      "-ip=not-an-ip|-ip must be an IP address, not 'not-an-ip'",
      "-ip=localhost|-ip must be an IP address, not 'localhost'",
      "-ip=10.0.0.256|-ip must be an IP address, not '10.0.0.256'",
      "-resync=-1|must not be negative",
      "-ttl=abc|'abc' is not an int",
      "-inter|Unknown option: '-inter'",
      "-http-listen=localhost:http|-http-listen must be HOST:PORT or :PORT, not 'localhost:http'",
      "-http-listen=:70000|-http-listen must be HOST:PORT or :PORT",
      "-source=consul|-source must be docker or kubernetes, not 'consul'",
      "-leader-elect=lease|-leader-elect must be NAMESPACE/NAME (a Lease), not 'lease'",
      "-leader-elect=ns/lease|-leader-elect needs -source=kubernetes alone",
      "-source=kubernetes -source=docker -leader-elect=ns/l|-leader-elect needs -source",
      "-source=kubernetes -node-port-sync-type=Nodes|-node-port-sync-type must be one of"
          + " ExternalOnly, ExternalFirst, InternalOnly, not 'Nodes'"})
  void wrongFlagsAreRejectedWithAMessageNamingThem(String caseText) {
    String[] parts = caseText.split("\\|");
    List<String> args = new java.util.ArrayList<>(List.of(parts[0].split(" ")));
    args.add("consul://localhost");
    assertThatThrownBy(() -> BridgeConfig.fromArgs(args.toArray(String[]::new)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(parts[1]);
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
      assertThat(r.stderr()).contains("unsupported sink URI 'carrier-pigeon://x'");
    });
    assertThat(exitAndError("consul://host:notaport")).satisfies(r -> {
      assertThat(r.code()).isEqualTo(2);
      assertThat(r.stderr()).contains("consul://host:notaport");
    });
    assertThat(exitAndError("istio-dir://")).satisfies(r -> {
      assertThat(r.code()).isEqualTo(2);
      assertThat(r.stderr()).contains("istio-dir://");
    });
    assertThat(exitAndError("istio-xds://:15010?tlsCert=/nonexistent/cert.pem&tlsKey=/k.pem"))
        .satisfies(r -> {
          assertThat(r.code()).isEqualTo(2);
          assertThat(r.stderr()).contains("tlsCert /nonexistent/cert.pem");
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
    assertThat(exitAndError("istio-dir:///tmp/a", "istio-dir:///tmp/a")).satisfies(r ->
        assertThat(r.code()).isEqualTo(2));
    // Two different control planes are fine.
    Bridge.rejectDuplicateSinks(List.of("consul://a:8500", "consul://b:8500",
        "istio-dir:///tmp/a", "istio-dir:///tmp/b"));
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
  void helpListsEveryFlagAndExitsZero() {
    CommandLine cli = Main.commandLine(Map.of());
    StringWriter out = new StringWriter();
    cli.setOut(new PrintWriter(out));
    assertThat(cli.execute("-help")).isZero();
    for (String flag : List.of("-internal", "-ip", "-explicit", "-useIpFromLabel", "-tags",
        "-ttl", "-ttl-refresh", "-resync", "-deregister", "-retry-attempts", "-retry-interval",
        "-cleanup", "-hostname", "-network", "-verify-interval", "-k8s-consul-node", "-source",
        "-k8s-context", "-leader-elect", "-allow-k8s-namespace", "-deny-k8s-namespace",
        "-k8s-label-selector", "-k8s-default-sync", "-node-port-sync-type", "-consul-k8s-tag",
        "-sync-clusterip-services", "-sync-lb-services-endpoints", "-consul-service-prefix",
        "-add-k8s-namespace-suffix", "-docker-health", "consul-tls://",
        "consul-unix://", "istio-k8s://", "istio-dir://", "istio-xds://", "CONSUL_HTTP_TOKEN")) {
      assertThat(out.toString()).contains(flag);
    }
  }

  @Test
  void helpIsGroupedWithExamplesTheWholeEnvironmentAndUnbrokenUris() {
    CommandLine cli = Main.commandLine(Map.of());
    StringWriter out = new StringWriter();
    cli.setOut(new PrintWriter(out));
    assertThat(cli.execute("--help")).isZero();
    String help = out.toString();
    assertThat(help).contains("Registration (what is registered, as Registrator):",
        "Sources:", "Kubernetes (as consul-k8s catalog sync):", "Health checks:",
        "Retry and repair:", "Operations:", "Examples:",
        "registry-bridge -internal -retry-attempts=-1 consul://consul:8500",
        "LOG_LEVEL", "LOG_FORMAT", "CONSUL_HTTP_SSL_VERIFY", "unix:///tmp/docker.sock",
        "Default: -1");
    assertThat(help.indexOf("Registration")).isLessThan(help.indexOf("Retry and repair"));
    // Every flag appears once: each is in exactly one group.
    long internal = help.lines().filter(l -> l.trim().startsWith("-internal")).count();
    assertThat(internal).isEqualTo(1);
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

  @Test
  void socketProblemsAreExplainedWithThePath() {
    String host = "unix:///var/run/docker.sock";
    assertThat(HostIdentity.explain(new RuntimeException(
        new java.net.SocketException("No such file or directory")), host))
        .contains("there is no socket at /var/run/docker.sock", "DOCKER_HOST");
    assertThat(HostIdentity.explain(new RuntimeException(
        new java.net.BindException("Permission denied")), host))
        .contains("permission denied on /var/run/docker.sock", "--group-add", "group_add");
  }

  private record Run(int code, String stderr) {}

  private static Run exitAndError(String... args) {
    CommandLine cli = Main.commandLine(Map.of());
    StringWriter err = new StringWriter();
    cli.setErr(new PrintWriter(err));
    return new Run(cli.execute(args), err.toString());
  }

  @Test
  void windowsNamedPipesAreRejectedByName() {
    assertThatThrownBy(() -> DockerClients.resolveHost(
        Map.of("DOCKER_HOST", "npipe:////./pipe/docker_engine"), path -> true))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("DOCKER_HOST=npipe:////./pipe/docker_engine: Windows named pipes are not "
            + "supported; use tcp:// or unix://");
  }

  @Test
  void dockerHostComesFromTheEnvironmentThenTheDefaultThenRegistratorsMount() {
    assertThat(DockerClients.resolveHost(Map.of("DOCKER_HOST", "tcp://10.0.0.1:2375"),
        path -> true)).isEqualTo("tcp://10.0.0.1:2375");
    assertThat(DockerClients.resolveHost(Map.of(), path -> true))
        .isEqualTo("unix:///var/run/docker.sock");
    assertThat(DockerClients.resolveHost(Map.of(),
        path -> path.toString().equals("/tmp/docker.sock")))
        .isEqualTo("unix:///tmp/docker.sock");
    assertThat(DockerClients.resolveHost(Map.of(), path -> false))
        .isEqualTo("unix:///var/run/docker.sock");
    assertThat(Optional.of(DockerClients.resolveHost(Map.of("DOCKER_HOST", " "),
        path -> false))).contains("unix:///var/run/docker.sock");
  }
}
