package io.registrybridge.source.docker;

import static io.registrybridge.source.docker.Fixtures.config;
import static io.registrybridge.source.docker.Fixtures.container;
import static io.registrybridge.source.docker.Fixtures.instance;
import static io.registrybridge.source.docker.Fixtures.normalize;
import static io.registrybridge.source.docker.Fixtures.problem;
import static org.assertj.core.api.Assertions.assertThat;

import io.registrybridge.core.ServiceCheck;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.Transport;
import io.registrybridge.core.attributes.Finding;
import io.registrybridge.source.docker.ContainerNormalizer.Result;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Ports, addresses, names and IDs. */
class ContainerNormalizerTest {

  @Test
  void severalPortsWithPerPortNames() {
    Result r = normalize(container("progrium/nginx")
        .published(443, 4443)
        .published(80, 8000)
        .env("SERVICE_443_NAME", "https")
        .env("SERVICE_443_ID", "https.12345")
        .env("SERVICE_443_SNI", "enabled")
        .env("SERVICE_80_NAME", "http")
        .env("SERVICE_TAGS", "www"));

    // Registrator's documented example, in port order.
    assertThat(r.instances()).containsExactly(
        instance("host1:web-1:80", "http").port(8000).targetPort(80).tags(List.of("www")).build(),
        instance("https.12345", "https").port(4443).targetPort(443).tags(List.of("www"))
            .meta(java.util.Map.of("sni", "enabled")).build());
    assertThat(r.problems()).isEmpty();
    assertThat(r.notes()).isEmpty();
  }

  @Test
  void oneDefaultService() {
    Result r = normalize(container("progrium/redis").published(6379, 10000));

    assertThat(r.instances())
        .containsExactly(instance("host1:web-1:6379", "redis").port(10000).targetPort(6379).build());
  }

  @ParameterizedTest
  @CsvSource({
      "busybox, busybox",
      "redis:7, redis",
      "registry:5000/team/web:1.2@sha256:abc, web",
      "localhost:5000/app, app",
      "gliderlabs/foobar@sha256:0123, foobar"
  })
  void defaultNameIsTheImageBaseName(String image, String name) {
    Result r = normalize(container(image).published(80, 8080));

    assertThat(r.instances()).extracting(ServiceInstance::name).containsExactly(name);
  }

  @Test
  void anImageIdGivesNoNameSoThePortNeedsServiceName() {
    Result r = normalize(container("sha256:4e5021d210f6").published(80, 8080));

    assertThat(r.instances()).isEmpty();
    assertThat(r.problems()).containsExactly(problem("SERVICE_NAME",
        "the image reference 'sha256:4e5021d210f6' gives no service name; set SERVICE_NAME"));

    Result named = normalize(container("sha256:4e5021d210f6").published(80, 8080)
        .env("SERVICE_NAME", "api"));
    assertThat(named.instances()).extracting(ServiceInstance::name).containsExactly("api");
  }

  @Test
  void severalPortsGetThePortAppendedUnlessTheNameIsPortSpecific() {
    Result defaults = normalize(container("nginx").published(80, 8000).published(443, 4443));
    assertThat(defaults.instances()).extracting(ServiceInstance::name)
        .containsExactly("nginx-80", "nginx-443");

    Result generic = normalize(container("nginx").published(80, 8000).published(443, 4443)
        .env("SERVICE_NAME", "api"));
    assertThat(generic.instances()).extracting(ServiceInstance::name)
        .containsExactly("api-80", "api-443");

    Result mixed = normalize(container("nginx").published(80, 8000).published(443, 4443)
        .env("SERVICE_NAME", "api").label("SERVICE_80_NAME", "www"));
    assertThat(mixed.instances()).extracting(ServiceInstance::name)
        .containsExactly("www", "api-443");
  }

  @Test
  void theSuffixCountsIgnoredPortsLikeRegistratorSoNamesStayStable() {
    Result r = normalize(container("nginx").published(80, 8000).published(443, 4443)
        .env("SERVICE_443_IGNORE", "true"));

    assertThat(r.instances()).extracting(ServiceInstance::name).containsExactly("nginx-80");
  }

  @Test
  void theSameNumberOverTcpAndUdpIsTwoServices() {
    Result r = normalize(container("coredns")
        .published(53, Transport.UDP, "0.0.0.0", 5353)
        .published(53, Transport.TCP, "0.0.0.0", 5353));

    assertThat(r.instances()).containsExactly(
        instance("host1:web-1:53", "coredns-53").port(5353).targetPort(53).build(),
        instance("host1:web-1:53:udp", "coredns-53").port(5353).targetPort(53).transport(Transport.UDP)
            .tags(List.of("udp")).build());
  }

  @Test
  void defaultModeRegistersOnlyPublishedPorts() {
    Result r = normalize(container("app")
        .network("bridge", "172.17.0.5", "")
        .published(80, 8080)
        .exposed(80)
        .exposed(9000));

    assertThat(r.instances())
        .containsExactly(instance("host1:web-1:80", "app").port(8080).targetPort(80).build());
    assertThat(r.notes()).containsExactly(problem("port 9000",
        "not published on the host; not registered (see -internal)"));
    assertThat(r.problems()).isEmpty();
  }

  @Test
  void internalModeRegistersEveryExposedPortWithTheContainerAddress() {
    Result r = normalize(config().internal(true).hostIp("192.168.1.10"), container("app")
        .network("bridge", "172.17.0.5", "")
        .published(80, 8080)
        .exposed(9000));

    // -ip does not apply to -internal services, as in Registrator.
    assertThat(r.instances()).containsExactly(
        instance("host1:web-1:80", "app-80").address("172.17.0.5").port(80).build(),
        instance("host1:web-1:9000", "app-9000").address("172.17.0.5").port(9000).build());
  }

  @Test
  void publishedAddressIsTheFlagThenASpecificBindingThenTheSinkDefault() {
    ContainerView.Builder wildcard = container("app").published(80, 8080);
    assertThat(normalize(wildcard).instances()).extracting(ServiceInstance::address)
        .containsExactly("");
    assertThat(normalize(config().hostIp("192.168.1.10"), wildcard).instances())
        .extracting(ServiceInstance::address).containsExactly("192.168.1.10");

    ContainerView.Builder specific = container("app")
        .published(80, Transport.TCP, "10.1.2.3", 8080);
    assertThat(normalize(specific).instances()).extracting(ServiceInstance::address)
        .containsExactly("10.1.2.3");
    assertThat(normalize(config().hostIp("192.168.1.10"), specific).instances())
        .extracting(ServiceInstance::address).containsExactly("192.168.1.10");

    ContainerView.Builder emptyHostIp = container("app")
        .published(80, Transport.TCP, "", 8080);
    assertThat(normalize(emptyHostIp).instances()).extracting(ServiceInstance::address)
        .containsExactly("");
  }

  @Test
  void publishedAddressIgnoresTheUserNetworkAddressUnlikeRegistrator() {
    Result r = normalize(container("app").networkMode("backend")
        .network("backend", "10.0.1.5", "").published(80, 8080));

    assertThat(r.instances()).containsExactly(instance("host1:web-1:80", "app").port(8080).targetPort(80)
        .build());
  }

  @Test
  void aPortPublishedOnIpv4AndIpv6IsOneServiceFromTheIpv4Binding() {
    Result r = normalize(container("app")
        .published(80, Transport.TCP, "::", 8080)
        .published(80, Transport.TCP, "0.0.0.0", 8080)
        .exposed(80));

    assertThat(r.instances())
        .containsExactly(instance("host1:web-1:80", "app").port(8080).targetPort(80).build());
  }

  @Test
  void bindingChoiceDoesNotDependOnOrder() {
    ServiceInstance expected = instance("host1:web-1:80", "app").address("10.0.0.2").port(8080).targetPort(80)
        .build();
    assertThat(normalize(container("app")
        .published(80, Transport.TCP, "fd00::1", 7000)
        .published(80, Transport.TCP, "10.0.0.3", 9090)
        .published(80, Transport.TCP, "10.0.0.2", 8080)).instances()).containsExactly(expected);
    assertThat(normalize(container("app")
        .published(80, Transport.TCP, "10.0.0.2", 8080)
        .published(80, Transport.TCP, "10.0.0.3", 9090)
        .published(80, Transport.TCP, "fd00::1", 7000)).instances()).containsExactly(expected);
  }

  @Test
  void anIpv6OnlyBindingIsUsed() {
    assertThat(normalize(container("app").published(80, Transport.TCP, "fd00::1", 8080))
        .instances()).extracting(ServiceInstance::address).containsExactly("fd00::1");
    assertThat(normalize(container("app").published(80, Transport.TCP, "::", 8080))
        .instances()).extracting(ServiceInstance::address).containsExactly("");
  }

  @Test
  void internalModePrefersTheBridgeNetwork() {
    ContainerView.Builder twoNetworks = container("app").networkMode("backend")
        .network("backend", "10.0.1.5", "")
        .network("bridge", "172.17.0.5", "")
        .exposed(80);

    assertThat(normalize(config().internal(true), twoNetworks).instances())
        .extracting(ServiceInstance::address).containsExactly("172.17.0.5");
  }

  @Test
  void internalModeThenTakesTheNetworkOfTheNetworkModeThenTheFirstByName() {
    ContainerView.Builder byMode = container("app").networkMode("zeta")
        .network("alpha", "10.0.1.1", "")
        .network("zeta", "10.0.9.9", "")
        .exposed(80);
    assertThat(normalize(config().internal(true), byMode).instances())
        .extracting(ServiceInstance::address).containsExactly("10.0.9.9");

    ContainerView.Builder byName = container("app").networkMode("default")
        .network("zeta", "10.0.9.9", "")
        .network("mid", "", "")
        .network("alpha", "10.0.1.1", "")
        .exposed(80);
    assertThat(normalize(config().internal(true), byName).instances())
        .extracting(ServiceInstance::address).containsExactly("10.0.1.1");

    ContainerView.Builder skipsEmpty = container("app").networkMode("default")
        .network("alpha", "", "")
        .network("beta", "10.0.2.2", "")
        .exposed(80);
    assertThat(normalize(config().internal(true), skipsEmpty).instances())
        .extracting(ServiceInstance::address).containsExactly("10.0.2.2");
  }

  @Test
  void thePreferredNetworkFlagWinsWhenTheContainerIsOnIt() {
    ContainerView.Builder twoNetworks = container("app")
        .network("backend", "10.0.1.5", "")
        .network("bridge", "172.17.0.5", "")
        .exposed(80);

    Result r = normalize(config().internal(true).preferredNetwork("backend"), twoNetworks);
    assertThat(r.instances()).extracting(ServiceInstance::address).containsExactly("10.0.1.5");

    Result missing = normalize(config().internal(true).preferredNetwork("mesh"), twoNetworks);
    assertThat(missing.instances()).extracting(ServiceInstance::address)
        .containsExactly("172.17.0.5");
    assertThat(missing.problems()).isEmpty();
    assertThat(missing.notes()).containsExactly(problem("network",
        "no address on preferred network 'mesh'; using the default choice"));
  }

  @Test
  void theNetworkLabelBeatsTheFlagAndIsReportedWhenWrong() {
    ContainerView.Builder labelled = container("app")
        .network("backend", "10.0.1.5", "")
        .network("bridge", "172.17.0.5", "")
        .network("mesh", "10.8.0.3", "")
        .label(ContainerNormalizer.NETWORK_LABEL, "backend")
        .exposed(80);
    assertThat(normalize(config().internal(true).preferredNetwork("mesh"), labelled)
        .instances()).extracting(ServiceInstance::address).containsExactly("10.0.1.5");

    ContainerView.Builder wrong = container("app")
        .network("bridge", "172.17.0.5", "")
        .network("mesh", "10.8.0.3", "")
        .label("registry-bridge.network", "frontend")
        .exposed(80);
    Result r = normalize(config().internal(true).preferredNetwork("mesh"), wrong);
    assertThat(r.instances()).extracting(ServiceInstance::address).containsExactly("10.8.0.3");
    assertThat(r.problems()).containsExactly(problem("registry-bridge.network",
        "the container has no address on network 'frontend'; using the default choice"));
  }

  @Test
  void anIpv6OnlyNetworkGivesTheIpv6AddressAndBracketedChecks() {
    Result r = normalize(config().internal(true), container("app").networkMode("v6net")
        .network("v6net", "", "fd00::5")
        .exposed(80)
        .env("SERVICE_CHECK_HTTP", "/health"));

    assertThat(r.instances()).containsExactly(instance("host1:web-1:80", "app")
        .address("fd00::5").port(80)
        .checks(List.of(new ServiceCheck(ServiceCheck.Type.HTTP, "http://[fd00::5]:80/health",
            java.util.Optional.of(Duration.ofSeconds(10)), java.util.Optional.empty(),
            java.util.Optional.empty(), java.util.Optional.empty(), java.util.Optional.empty(),
            false, java.util.Optional.empty())))
        .build());
  }

  @Test
  void aNetworkWithBothFamiliesGivesIpv4() {
    Result r = normalize(config().internal(true), container("app")
        .network("bridge", "172.17.0.5", "fd00::5").exposed(80));

    assertThat(r.instances()).extracting(ServiceInstance::address)
        .containsExactly("172.17.0.5");
  }

  @Test
  void internalModeWithoutAnyAddressIsReported() {
    Result r = normalize(config().internal(true), container("app").networkMode("none")
        .exposed(80).exposed(81));

    assertThat(r.instances()).isEmpty();
    assertThat(r.problems()).containsExactly(problem("network",
        "the container has no address on any network (network mode none); no service "
            + "registered"));
  }

  @Test
  void containerNetworkModeUsesTheEffectiveNetworksTheCallerPassesIn() {
    Result r = normalize(config().internal(true), container("app")
        .networkMode("container:fedcba9876543210")
        .network("bridge", "172.17.0.9", "")
        .exposed(8080));

    assertThat(r.instances()).extracting(ServiceInstance::address, ServiceInstance::port)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("172.17.0.9", 8080));
  }

  @Test
  void hostNetworkRegistersExposedPortsOnTheHostAddress() {
    ContainerView.Builder host = container("consul").networkMode("host")
        .network("host", "", "")
        .exposed(8500)
        .exposed(8600, Transport.UDP);

    List<ServiceInstance> expected = List.of(
        instance("host1:web-1:8500", "consul-8500").port(8500).build(),
        instance("host1:web-1:8600:udp", "consul-8600").port(8600).transport(Transport.UDP)
            .tags(List.of("udp")).build());
    assertThat(normalize(host).instances()).isEqualTo(expected);
    assertThat(normalize(config().internal(true), host).instances()).isEqualTo(expected);

    assertThat(normalize(config().hostIp("192.168.1.10"), host).instances())
        .extracting(ServiceInstance::address).containsExactly("192.168.1.10", "192.168.1.10");
    assertThat(normalize(config().internal(true).hostIp("192.168.1.10"), host).instances())
        .extracting(ServiceInstance::address).containsExactly("192.168.1.10", "192.168.1.10");
  }

  @Test
  void useIpFromLabelOverridesTheAddressInEveryMode() {
    ContainerView.Builder labelled = container("app")
        .network("bridge", "172.17.0.5", "")
        .label("ip", "10.0.0.5/24")
        .published(80, 8080);

    assertThat(normalize(config().useIpFromLabel("ip").hostIp("192.168.1.10"), labelled)
        .instances()).extracting(ServiceInstance::address, ServiceInstance::port)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("10.0.0.5", 8080));
    assertThat(normalize(config().useIpFromLabel("ip").internal(true), labelled).instances())
        .extracting(ServiceInstance::address, ServiceInstance::port)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("10.0.0.5", 80));
  }

  @Test
  void useIpFromLabelAcceptsIpv6AndIgnoresAnAbsentLabel() {
    assertThat(normalize(config().useIpFromLabel("ip"), container("app")
        .label("ip", " fd00::7/64 ").published(80, 8080)).instances())
        .extracting(ServiceInstance::address).containsExactly("fd00::7");

    Result absent = normalize(config().useIpFromLabel("ip").hostIp("192.168.1.10"),
        container("app").published(80, 8080));
    assertThat(absent.instances()).extracting(ServiceInstance::address)
        .containsExactly("192.168.1.10");
    assertThat(absent.problems()).isEmpty();
  }

  @Test
  void useIpFromLabelWithoutAnIpIsReportedAndTheUsualAddressUsed() {
    ContainerView.Builder bad = container("app")
        .network("bridge", "172.17.0.5", "")
        .label("ip", "db.example.com")
        .published(80, 8080);

    Result published = normalize(config().useIpFromLabel("ip").hostIp("192.168.1.10"), bad);
    assertThat(published.instances()).extracting(ServiceInstance::address)
        .containsExactly("192.168.1.10");
    assertThat(published.problems()).containsExactly(problem("ip",
        "'db.example.com' is not an IP address; using the usual address"));

    Result internal = normalize(config().useIpFromLabel("ip").internal(true), bad);
    assertThat(internal.instances()).extracting(ServiceInstance::address)
        .containsExactly("172.17.0.5");
  }

  @Test
  void idsNameHostContainerPortAndUdp() {
    Result r = normalize(container("app")
        .published(80, 8080)
        .published(53, Transport.UDP, "0.0.0.0", 5353));

    assertThat(r.instances()).extracting(ServiceInstance::id, ServiceInstance::tags)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("host1:web-1:53:udp", List.of("udp")),
            org.assertj.core.groups.Tuple.tuple("host1:web-1:80", List.of()));
  }

  @Test
  void serviceIdOverridesTheWholeIdAndCanBePortSpecific() {
    Result single = normalize(container("app").published(53, Transport.UDP, "", 5353)
        .env("SERVICE_ID", "dns-1"));
    assertThat(single.instances()).extracting(ServiceInstance::id, ServiceInstance::tags)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("dns-1", List.of("udp")));

    Result perPort = normalize(container("app").published(80, 8080).published(443, 8443)
        .label("SERVICE_443_ID", "tls-1"));
    assertThat(perPort.instances()).extracting(ServiceInstance::id)
        .containsExactly("host1:web-1:80", "tls-1");
  }

  @Test
  void aGenericIdOnSeveralPortsKeepsTheLowestPortAndReportsTheRest() {
    Result r = normalize(container("app").published(80, 8080).published(443, 8443)
        .published(9000, 9000).env("SERVICE_ID", "same").env("SERVICE_9000_ID", "own"));

    assertThat(r.instances()).extracting(ServiceInstance::id, ServiceInstance::port)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("same", 8080),
            org.assertj.core.groups.Tuple.tuple("own", 9000));
    assertThat(r.problems()).containsExactly(problem("SERVICE_ID",
        "service id 'same' is already used by port 80; port 443 not registered"));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "..  | service id must not be '..' (a URL path segment of its own) ('..')",
      ".   | service id must not be '.' (a URL path segment of its own) ('.')",
      "a/b | service id must not contain '/' ('a/b')"
  })
  void anIdNoSinkCanUseSkipsOnlyItsPortAndNamesTheKey(String id, String message) {
    Result r = normalize(container("app").published(80, 8080).published(443, 8443)
        .env("SERVICE_80_ID", id));

    assertThat(r.instances()).extracting(ServiceInstance::id)
        .containsExactly("host1:web-1:443");
    assertThat(r.problems()).containsExactly(problem("SERVICE_80_ID",
        message + "; port 80 not registered"));
  }

  @Test
  void aGenericBadIdOnOnePortContainerIsReportedUnderServiceId() {
    Result r = normalize(container("app").published(80, 8080).env("SERVICE_ID", "x\u0007y")
        .env("SERVICE_NAME", "app"));
    Result tooLong = normalize(container("app").published(80, 8080)
        .env("SERVICE_ID", "x".repeat(257)));

    assertThat(r.instances()).isEmpty();
    assertThat(r.problems()).containsExactly(problem("SERVICE_ID",
        "service id must not contain control characters ('x\\u0007y'); port 80 not registered"));
    assertThat(tooLong.instances()).isEmpty();
    assertThat(tooLong.problems()).extracting(Finding::key)
        .containsExactly("SERVICE_ID");
  }

  @Test
  void aDefaultIdThatGrowsTooLongIsReportedNotThrown() {
    Result r = normalize(NormalizerConfig.builder("h".repeat(250)),
        container("app").published(80, 8080));

    assertThat(r.instances()).isEmpty();
    assertThat(r.problems()).extracting(Finding::key)
        .containsExactly("service id");
  }

  @Test
  void originNamesTheContainer() {
    assertThat(normalize(container("app").published(80, 8080)).instances())
        .extracting(ServiceInstance::origin).containsExactly("docker:web-1");
  }

  @Test
  void noPortsNoServicesNoProblems() {
    Result r = normalize(container("app"));

    assertThat(r.instances()).isEmpty();
    assertThat(r.problems()).isEmpty();
  }
}
