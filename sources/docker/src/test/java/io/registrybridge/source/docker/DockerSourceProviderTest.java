package io.registrybridge.source.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.registrybridge.retry.RetryPolicy;
import io.registrybridge.spi.DaemonSettings;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The Docker source's own flags (Registrator's), as its provider parses and plans them. That
 * every form of every flag reaches the provider through the daemon's command line is
 * bridge's BridgeConfigTest.
 */
class DockerSourceProviderTest {

  @Test
  void defaultsAreRegistrators() {
    DockerSourcePlan plan = plan(Map.of());
    NormalizerConfig config = plan.normalizerConfig("h");

    assertThat(config.hostName()).isEqualTo("h");
    assertThat(config.internal()).isFalse();
    assertThat(config.explicit()).isFalse();
    assertThat(config.hostIp()).isEmpty();
    assertThat(config.useIpFromLabel()).isEmpty();
    assertThat(config.preferredNetwork()).isEmpty();
    assertThat(config.dockerHealth()).isTrue();
    assertThat(config.forcedTags()).containsExactly("forced");
    assertThat(plan.deregister()).isEqualTo(DeregisterPolicy.ALWAYS);
  }

  @Test
  void everyFlagReachesThePlan() {
    DockerSourcePlan plan = plan(Map.of(), "-internal", "-ip=10.0.0.1", "-explicit",
        "-useIpFromLabel=ip", "-network=backend", "-deregister=on-success",
        "-docker-health=false");
    NormalizerConfig config = plan.normalizerConfig("h");

    assertThat(config.internal()).isTrue();
    assertThat(config.hostIp()).contains("10.0.0.1");
    assertThat(config.explicit()).isTrue();
    assertThat(config.useIpFromLabel()).contains("ip");
    assertThat(config.preferredNetwork()).contains("backend");
    assertThat(config.dockerHealth()).isFalse();
    assertThat(plan.deregister()).isEqualTo(DeregisterPolicy.ON_SUCCESS);
    assertThat(plan(Map.of(), "-deregister=never").deregister())
        .isEqualTo(DeregisterPolicy.NEVER);
  }

  @Test
  void booleansCanBeSwitchedOffExplicitly() {
    NormalizerConfig config = plan(Map.of(), "-internal=false", "--explicit=false")
        .normalizerConfig("h");
    assertThat(config.internal()).isFalse();
    assertThat(config.explicit()).isFalse();
  }

  @Test
  void ipTakesIpv4AndIpv6Literals() {
    assertThat(plan(Map.of(), "-ip=192.168.1.10").normalizerConfig("h").hostIp())
        .contains("192.168.1.10");
    assertThat(plan(Map.of(), "-ip=fd00:10::1").normalizerConfig("h").hostIp())
        .contains("fd00:10::1");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "-deregister=sometimes|-deregister must be always, on-success or never, not 'sometimes'",
      "-ip=not-an-ip|-ip must be an IP address, not 'not-an-ip'",
      "-ip=localhost|-ip must be an IP address, not 'localhost'",
      "-ip=10.0.0.256|-ip must be an IP address, not '10.0.0.256'"})
  void wrongValuesAreRejectedWhenPlannedNamingTheFlag(String caseText) {
    String[] parts = caseText.split("\\|");
    assertThatThrownBy(() -> plan(Map.of(), parts[0]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(parts[1]);
  }

  @Test
  void aDockerHostWithoutSchemeIsRejectedNamingTheValue() {
    assertThatThrownBy(() -> plan(Map.of("DOCKER_HOST", "/var/run/docker.sock")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("DOCKER_HOST=/var/run/docker.sock has no scheme; use"
            + " unix:///var/run/docker.sock");
    assertThatThrownBy(() -> plan(Map.of("DOCKER_HOST", "http://engine:2375")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("DOCKER_HOST=http://engine:2375 is not unix:///PATH or tcp://HOST:PORT");
  }

  @Test
  void isTheDefaultSourceNamedDocker() {
    DockerSourceProvider provider = new DockerSourceProvider();
    assertThat(provider.name()).isEqualTo("docker");
    assertThat(provider.isDefault()).isTrue();
    assertThat(provider.help()).anySatisfy(line -> assertThat(line).contains("DOCKER_HOST"));
  }

  @Test
  void socketProblemsAreExplainedWithThePath() {
    String host = "unix:///var/run/docker.sock";
    assertThat(EngineName.explain(new RuntimeException(
        new java.net.SocketException("No such file or directory")), host))
        .contains("there is no socket at /var/run/docker.sock", "DOCKER_HOST");
    assertThat(EngineName.explain(new RuntimeException(
        new java.net.BindException("Permission denied")), host))
        .contains("permission denied on /var/run/docker.sock", "--group-add", "group_add");
    assertThat(EngineName.explain(new RuntimeException(
        new java.net.ConnectException("Connection refused")), "tcp://10.0.0.1:2375"))
        .isEqualTo("connection refused at tcp://10.0.0.1:2375; is the engine running?");
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
    assertThat(DockerClients.resolveHost(Map.of("DOCKER_HOST", " "), path -> false))
        .isEqualTo("unix:///var/run/docker.sock");
  }

  /** Parses {@code args} as the daemon does (the provider's flags as a mixin), then plans. */
  private static DockerSourcePlan plan(Map<String, String> env, String... args) {
    DockerSourceProvider provider = new DockerSourceProvider();
    CommandLine commandLine = new CommandLine(CommandSpec.create())
        .setAbbreviatedOptionsAllowed(false);
    commandLine.addMixin("docker", provider.options());
    commandLine.parseArgs(args);
    return (DockerSourcePlan) provider.plan(new DaemonSettings(env, List.of("forced"),
        Optional.empty(), Optional.empty(), false, Optional.empty(),
        RetryPolicy.forever(Duration.ofMillis(10), Duration.ofMillis(20)), Optional.empty()));
  }
}
