package io.registrybridge.source.docker;

import static io.registrybridge.source.docker.Fixtures.config;
import static io.registrybridge.source.docker.Fixtures.container;
import static io.registrybridge.source.docker.Fixtures.normalize;
import static io.registrybridge.source.docker.Fixtures.problem;
import static org.assertj.core.api.Assertions.assertThat;

import io.registrybridge.core.ServiceCheck;
import io.registrybridge.core.ServiceCheck.InitialStatus;
import io.registrybridge.core.ServiceCheck.Type;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.source.docker.ContainerNormalizer.Result;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** SERVICE_CHECK_* on a container published as 80 -> 10.0.0.1:8080. */
class NormalizerChecksTest {
  private static final Optional<Duration> TEN_SECONDS = Optional.of(Duration.ofSeconds(10));

  private static ContainerView.Builder app() {
    return container("app").published(80, 8080);
  }

  private static Result run(ContainerView.Builder c) {
    return normalize(config().hostIp("10.0.0.1"), c);
  }

  private static List<ServiceCheck> checksOf(Result r) {
    assertThat(r.instances()).hasSize(1);
    return r.instances().get(0).checks();
  }

  private static ServiceCheck check(Type type, String target, Optional<Duration> interval) {
    return new ServiceCheck(type, target, interval, Optional.empty(), Optional.empty(),
        Optional.empty(), Optional.empty(), false, Optional.empty());
  }

  @Test
  void httpCheckUsesTheFinalAddressAndPortAndRegistratorsDefaultInterval() {
    Result r = run(app().env("SERVICE_CHECK_HTTP", "/health"));

    assertThat(checksOf(r))
        .containsExactly(check(Type.HTTP, "http://10.0.0.1:8080/health", TEN_SECONDS));
    assertThat(r.problems()).isEmpty();
  }

  @Test
  void httpsCheckWithEveryOption() {
    Result r = run(app()
        .env("SERVICE_80_CHECK_HTTPS", "/status?full=1")
        .env("SERVICE_CHECK_INTERVAL", "15s")
        .env("SERVICE_80_CHECK_TIMEOUT", "1.5s")
        .env("SERVICE_CHECK_HTTP_METHOD", "head")
        .env("SERVICE_CHECK_TLS_SKIP_VERIFY", "TRUE")
        .env("SERVICE_CHECK_INITIAL_STATUS", "Warning")
        .env("SERVICE_CHECK_DEREGISTER_AFTER", "1m30s"));

    assertThat(checksOf(r)).containsExactly(new ServiceCheck(Type.HTTP,
        "https://10.0.0.1:8080/status?full=1", Optional.of(Duration.ofSeconds(15)),
        Optional.of(Duration.ofMillis(1500)), Optional.empty(),
        Optional.of(Duration.ofSeconds(90)), Optional.of("HEAD"), true,
        Optional.of(InitialStatus.WARNING)));
  }

  @Test
  void aPathWithoutLeadingSlashGetsOneUnlikeRegistrator() {
    assertThat(checksOf(run(app().env("SERVICE_CHECK_HTTP", "health"))))
        .containsExactly(check(Type.HTTP, "http://10.0.0.1:8080/health", TEN_SECONDS));
  }

  @Test
  void internalModeChecksTheContainerAddressAndPort() {
    Result r = normalize(config().internal(true), container("app")
        .network("bridge", "172.17.0.5", "").published(80, 8080)
        .env("SERVICE_CHECK_HTTP", "/"));

    assertThat(checksOf(r)).containsExactly(check(Type.HTTP, "http://172.17.0.5:80/",
        TEN_SECONDS));
  }

  @Test
  void scriptCheckSubstitutesAddressAndPort() {
    Result r = run(app().env("SERVICE_CHECK_SCRIPT", "nc $SERVICE_IP $SERVICE_PORT | grep OK")
        .env("SERVICE_CHECK_TIMEOUT", "3s"));

    assertThat(checksOf(r)).containsExactly(new ServiceCheck(Type.SCRIPT,
        "nc 10.0.0.1 8080 | grep OK", TEN_SECONDS, Optional.of(Duration.ofSeconds(3)),
        Optional.empty(), Optional.empty(), Optional.empty(), false, Optional.empty()));
  }

  @Test
  void scriptCheckWithoutTheAddressNeedsNoAddress() {
    Result r = normalize(app().env("SERVICE_CHECK_SCRIPT", "check-port $SERVICE_PORT"));

    assertThat(checksOf(r)).containsExactly(check(Type.SCRIPT, "check-port 8080",
        TEN_SECONDS));
  }

  @Test
  void ttlCheckHasNoIntervalOrTimeout() {
    Result r = run(app().env("SERVICE_CHECK_TTL", "30s")
        .env("SERVICE_CHECK_INTERVAL", "5s").env("SERVICE_CHECK_TIMEOUT", "bogus")
        .env("SERVICE_CHECK_INITIAL_STATUS", "passing"));

    assertThat(checksOf(r)).containsExactly(new ServiceCheck(Type.TTL, "", Optional.empty(),
        Optional.empty(), Optional.of(Duration.ofSeconds(30)), Optional.empty(),
        Optional.empty(), false, Optional.of(InitialStatus.PASSING)));
    assertThat(r.problems()).isEmpty();
  }

  @Test
  void ttlCheckNeedsNoAddress() {
    assertThat(checksOf(normalize(app().env("SERVICE_CHECK_TTL", "1m"))))
        .containsExactly(ServiceCheck.ttl(Duration.ofMinutes(1)));
  }

  @Test
  void tcpCheckIsASwitch() {
    assertThat(checksOf(run(app().env("SERVICE_CHECK_TCP", "true"))))
        .containsExactly(check(Type.TCP, "10.0.0.1:8080", TEN_SECONDS));
    assertThat(checksOf(run(app().env("SERVICE_CHECK_TCP", "false")))).isEmpty();
    assertThat(checksOf(run(app().env("SERVICE_CHECK_TCP", "true")
        .env("SERVICE_80_CHECK_TCP", "0")))).isEmpty();
  }

  @ParameterizedTest
  @CsvSource({
      "true, 10.0.0.1:8080",
      "1, 10.0.0.1:8080",
      "grpc.health.v1.Health, 10.0.0.1:8080/grpc.health.v1.Health"
  })
  void grpcCheckMayNameAService(String value, String target) {
    Result r = run(app().env("SERVICE_CHECK_GRPC", value)
        .env("SERVICE_CHECK_TLS_SKIP_VERIFY", "1").env("SERVICE_CHECK_HTTP_METHOD", "G ET"));

    assertThat(checksOf(r)).containsExactly(new ServiceCheck(Type.GRPC, target, TEN_SECONDS,
        Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), true,
        Optional.empty()));
    assertThat(r.problems()).isEmpty();
  }

  @Test
  void registratorsOrderDecidesBetweenEquallySpecificKinds() {
    Result r = run(app().env("SERVICE_CHECK_TCP", "true").env("SERVICE_CHECK_TTL", "30s")
        .env("SERVICE_CHECK_HTTP", "/health"));

    assertThat(checksOf(r))
        .containsExactly(check(Type.HTTP, "http://10.0.0.1:8080/health", TEN_SECONDS));
    assertThat(r.problems()).containsExactly(
        problem("SERVICE_CHECK_TTL",
            "ignored: a service has one check and SERVICE_CHECK_HTTP takes precedence"),
        problem("SERVICE_CHECK_TCP",
            "ignored: a service has one check and SERVICE_CHECK_HTTP takes precedence"));
  }

  @Test
  void aPortSpecificKindBeatsAGenericOne() {
    Result r = run(app().env("SERVICE_CHECK_HTTP", "/health")
        .env("SERVICE_80_CHECK_TCP", "true"));

    assertThat(checksOf(r)).containsExactly(check(Type.TCP, "10.0.0.1:8080", TEN_SECONDS));
    assertThat(r.problems()).isEmpty();
  }

  @Test
  void anEmptyPortSpecificValueSwitchesAGenericCheckOff() {
    Result r = run(app().published(81, 8081).env("SERVICE_CHECK_HTTP", "/health")
        .env("SERVICE_81_CHECK_HTTP", ""));

    assertThat(r.instances()).extracting(ServiceInstance::port, s -> s.checks().size())
        .containsExactly(org.assertj.core.groups.Tuple.tuple(8080, 1),
            org.assertj.core.groups.Tuple.tuple(8081, 0));
  }

  @Test
  void genericChecksApplyToEveryPortWithItsOwnAddress() {
    Result r = run(app().published(81, 8081).env("SERVICE_CHECK_TCP", "yes"));

    assertThat(r.instances()).extracting(s -> s.checks().get(0).target())
        .containsExactly("10.0.0.1:8080", "10.0.0.1:8081");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
      "SERVICE_CHECK_INTERVAL|10 seconds|'10 seconds' is not a duration (use e.g. 10s, 1m30s, "
          + "500ms); no check registered",
      "SERVICE_CHECK_INTERVAL|0s|'0s' is not a positive duration; no check registered",
      "SERVICE_CHECK_TIMEOUT|5|'5' is not a duration (use e.g. 10s, 1m30s, 500ms); no check "
          + "registered",
      "SERVICE_CHECK_DEREGISTER_AFTER|-1m|'-1m' is not a positive duration; no check "
          + "registered",
      "SERVICE_CHECK_INITIAL_STATUS|ok|'ok' is not a check status (passing, warning, "
          + "critical); no check registered",
      "SERVICE_CHECK_HTTP_METHOD|GE T|'GE T' is not an HTTP method; no check registered",
      "SERVICE_CHECK_TLS_SKIP_VERIFY|maybe|'maybe' is not true or false; no check registered",
      "SERVICE_80_CHECK_HTTP|/a b|'/a b' is not a URL path; no check registered"
  })
  void aMalformedValueDropsTheCheckButNotTheService(String key, String value, String message) {
    Result r = run(app().published(81, 8081).env("SERVICE_CHECK_HTTP", "/health")
        .env(key, value));

    assertThat(r.instances()).extracting(ServiceInstance::port).containsExactly(8080, 8081);
    assertThat(r.instances().get(0).checks()).isEmpty();
    assertThat(r.problems()).containsExactly(problem(key, message));
  }

  @Test
  void aMalformedTtlDropsTheCheckAndDoesNotFallBackToAnotherKind() {
    Result r = run(app().env("SERVICE_CHECK_TTL", "30").env("SERVICE_CHECK_TCP", "true"));

    assertThat(checksOf(r)).isEmpty();
    assertThat(r.problems()).containsExactly(
        problem("SERVICE_CHECK_TCP",
            "ignored: a service has one check and SERVICE_CHECK_TTL takes precedence"),
        problem("SERVICE_CHECK_TTL",
            "'30' is not a duration (use e.g. 10s, 1m30s, 500ms); no check registered"));
  }

  @Test
  void withoutAnAddressChecksNameTheNodeAddressThroughThePlaceholder() {
    String node = ServiceCheck.NODE_ADDRESS;
    Optional<Duration> tenSeconds = Optional.of(Duration.ofSeconds(10));
    Map<String, ServiceCheck> expected = Map.of(
        "SERVICE_CHECK_HTTP", check(Type.HTTP, "http://" + node + ":8080/health", tenSeconds),
        "SERVICE_CHECK_HTTPS", check(Type.HTTP, "https://" + node + ":8080/health", tenSeconds),
        "SERVICE_CHECK_TCP", check(Type.TCP, node + ":8080", tenSeconds),
        "SERVICE_CHECK_GRPC", check(Type.GRPC, node + ":8080/health", tenSeconds));
    expected.forEach((key, check) -> {
      Result r = normalize(app().env(key, key.endsWith("TCP")
          ? "true" : key.endsWith("GRPC") ? "health" : "/health"));
      assertThat(r.instances()).extracting(ServiceInstance::address).containsExactly("");
      assertThat(checksOf(r)).as(key).containsExactly(check);
      assertThat(r.problems()).isEmpty();
    });
    Result script = normalize(app().env("SERVICE_CHECK_SCRIPT", "ping -c1 $SERVICE_IP"));
    assertThat(checksOf(script)).containsExactly(
        check(Type.SCRIPT, "ping -c1 " + node, tenSeconds));
  }

  @Test
  void checkCmdIsReportedAsUnsupported() {
    Result r = run(app().env("SERVICE_CHECK_CMD", "/bin/health"));

    assertThat(checksOf(r)).isEmpty();
    assertThat(r.problems()).containsExactly(problem("SERVICE_CHECK_CMD",
        "check_cmd is not supported (it needed Registrator's check-cmd helper); use "
            + "SERVICE_CHECK_SCRIPT"));
  }

  @Test
  void optionsAloneMakeNoCheck() {
    Result r = run(app().env("SERVICE_CHECK_INTERVAL", "bogus"));

    assertThat(checksOf(r)).isEmpty();
    assertThat(r.problems()).isEmpty();
  }
}
