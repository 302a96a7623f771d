package io.registrybridge.source.docker;

import static io.registrybridge.source.docker.Fixtures.config;
import static io.registrybridge.source.docker.Fixtures.container;
import static io.registrybridge.source.docker.Fixtures.normalize;
import static org.assertj.core.api.Assertions.assertThat;

import io.registrybridge.core.Health;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.source.docker.ContainerNormalizer.Result;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A container's HEALTHCHECK mirrored into its services. */
class NormalizerHealthTest {
  private static ContainerView.Builder app() {
    return container("app").network("bridge", "172.17.0.2", null).exposed(80).exposed(81)
        .env("SERVICE_NAME", "app");
  }

  private static Map<Integer, Optional<Health>> healthByPort(Result r) {
    return r.instances().stream().collect(
        Collectors.toMap(ServiceInstance::targetPort, ServiceInstance::health));
  }

  @ParameterizedTest
  @CsvSource({"starting, WARNING", "healthy, PASSING", "unhealthy, CRITICAL"})
  void dockersStatusBecomesTheMirroredStatusWithTheLastProbesOutput(String docker,
      Health.Status status) {
    Result r = normalize(config().internal(true), app().health(docker, " probe said so\n"));

    assertThat(healthByPort(r)).containsExactlyInAnyOrderEntriesOf(Map.of(
        80, Optional.of(new Health(status, "probe said so")),
        81, Optional.of(new Health(status, "probe said so"))));
    assertThat(r.problems()).isEmpty();
  }

  @Test
  void noHealthCheckNoMirror() {
    Result r = normalize(config().internal(true), app());

    assertThat(healthByPort(r).values()).containsOnly(Optional.empty());
  }

  @Test
  void aPortsOwnServiceCheckWins() {
    Result r = normalize(config().internal(true),
        app().health("unhealthy", "").env("SERVICE_81_CHECK_TCP", "true"));

    assertThat(healthByPort(r)).containsExactlyInAnyOrderEntriesOf(Map.of(
        80, Optional.of(new Health(Health.Status.CRITICAL, "")),
        81, Optional.empty()));
    assertThat(r.instances().stream().filter(i -> i.targetPort() == 81).findFirst()
        .orElseThrow().checks()).hasSize(1);
  }

  @Test
  void turnedOffPerPortPerContainerOrForTheDaemon() {
    Result perPort = normalize(config().internal(true),
        app().health("healthy", "").env("SERVICE_80_DOCKER_HEALTH", "false"));
    Result perContainer = normalize(config().internal(true),
        app().health("healthy", "").label("SERVICE_DOCKER_HEALTH", "false"));
    Result daemon = normalize(config().internal(true).dockerHealth(false),
        app().health("healthy", ""));

    assertThat(healthByPort(perPort)).containsExactlyInAnyOrderEntriesOf(Map.of(
        80, Optional.empty(), 81, Optional.of(new Health(Health.Status.PASSING, ""))));
    assertThat(healthByPort(perContainer).values()).containsOnly(Optional.empty());
    assertThat(healthByPort(daemon).values()).containsOnly(Optional.empty());
    // The switch is not service data.
    assertThat(perContainer.instances()).allSatisfy(i -> assertThat(i.meta()).isEmpty());
  }

  @Test
  void anUnknownDockerStatusIsNotMirrored() {
    Result r = normalize(config().internal(true), app().health("none", ""));

    assertThat(healthByPort(r).values()).containsOnly(Optional.empty());
  }
}
