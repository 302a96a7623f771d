package io.registrybridge.source.docker;

import static io.registrybridge.source.docker.Fixtures.config;
import static io.registrybridge.source.docker.Fixtures.container;
import static io.registrybridge.source.docker.Fixtures.instance;
import static io.registrybridge.source.docker.Fixtures.normalize;
import static io.registrybridge.source.docker.Fixtures.problem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.registrybridge.core.Protocol;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.Transport;
import io.registrybridge.core.attributes.Finding;
import io.registrybridge.source.docker.ContainerNormalizer.Result;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Precedence, tags, explicit, ignore, protocol and meta. */
class NormalizerAttributesTest {

  @Test
  void labelsBeatEnvironment() {
    Result r = normalize(container("app").published(80, 8080)
        .env("SERVICE_NAME", "from-env").label("SERVICE_NAME", "from-label")
        .env("SERVICE_VERSION", "v1").label("SERVICE_VERSION", "v2")
        .env("SERVICE_REGION", "eu"));

    assertThat(r.instances()).containsExactly(instance("host1:web-1:80", "from-label")
        .port(8080).targetPort(80).meta(Map.of("version", "v2", "region", "eu")).build());
  }

  @Test
  void portSpecificBeatsGenericWhateverTheSource() {
    Result r = normalize(container("app").published(80, 8080).published(81, 8081)
        .label("SERVICE_NAME", "generic-label")
        .env("SERVICE_80_NAME", "port-env")
        .env("SERVICE_81_NAME", "port-env-81")
        .label("SERVICE_81_NAME", "port-label-81"));

    assertThat(r.instances()).extracting(ServiceInstance::name)
        .containsExactly("port-env", "port-label-81");
  }

  @Test
  void anEmptyHigherValueUnsetsALowerOne() {
    Result r = normalize(container("app").published(80, 8080)
        .env("SERVICE_TAGS", "from-image").label("SERVICE_TAGS", "")
        .env("SERVICE_NAME", "api").env("SERVICE_80_NAME", " "));

    assertThat(r.instances()).extracting(ServiceInstance::name, ServiceInstance::tags)
        .containsExactly(tuple("app", List.of()));
  }

  @Test
  void tagsAreSplitWithEscapesThenForcedTagsThenUdpWithoutDuplicates() {
    Result r = normalize(config().forcedTags(List.of("x", " prod ", "")),
        container("app").published(53, Transport.UDP, "0.0.0.0", 5353).published(80, 8080)
            .env("SERVICE_TAGS", " a, b\\,c ,,a , x")
            .env("SERVICE_80_TAGS", "web"));

    assertThat(r.instances()).extracting(ServiceInstance::transport, ServiceInstance::tags)
        .containsExactly(
            tuple(Transport.UDP, List.of("a", "b,c", "x", "prod", "udp")),
            tuple(Transport.TCP, List.of("web", "x", "prod")));
  }

  @Test
  void explicitModeRegistersOnlyNamedPorts() {
    Result r = normalize(config().explicit(true), container("nginx")
        .published(80, 8000).published(443, 4443)
        .env("SERVICE_80_NAME", "api"));

    assertThat(r.instances()).containsExactly(instance("host1:web-1:80", "api").port(8000).targetPort(80)
        .build());
    assertThat(r.notes()).containsExactly(problem("port 443",
        "no SERVICE_NAME in -explicit mode; not registered"));
    assertThat(r.problems()).isEmpty();

    Result generic = normalize(config().explicit(true), container("nginx")
        .published(80, 8000).published(443, 4443).label("SERVICE_NAME", "api"));
    assertThat(generic.instances()).extracting(ServiceInstance::name)
        .containsExactly("api-80", "api-443");

    Result none = normalize(config().explicit(true), container("nginx").published(80, 8000));
    assertThat(none.instances()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"1", "true", "yes"})
  void ignoreSkipsTheContainer(String value) {
    Result r = normalize(container("app").published(80, 8080).published(81, 8081)
        .env("SERVICE_IGNORE", value));

    assertThat(r.instances()).isEmpty();
    assertThat(r.problems()).isEmpty();
    assertThat(r.notes()).containsExactly(
        problem("SERVICE_IGNORE", "port 80 ignored"),
        problem("SERVICE_IGNORE", "port 81 ignored"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"false", "FALSE", "0", ""})
  void ignoreFalseOrZeroDoesNotIgnoreUnlikeRegistrator(String value) {
    Result r = normalize(container("app").published(80, 8080).label("SERVICE_IGNORE", value));

    assertThat(r.instances()).extracting(ServiceInstance::name).containsExactly("app");
  }

  @Test
  void ignoreCanBePerPortAndAPortCanOptBackIn() {
    Result one = normalize(container("app").published(80, 8080).published(81, 8081)
        .env("SERVICE_81_IGNORE", "true"));
    assertThat(one.instances()).extracting(ServiceInstance::id)
        .containsExactly("host1:web-1:80");

    Result optIn = normalize(container("app").published(80, 8080).published(81, 8081)
        .env("SERVICE_IGNORE", "true").label("SERVICE_80_IGNORE", "false"));
    assertThat(optIn.instances()).extracting(ServiceInstance::id)
        .containsExactly("host1:web-1:80");
  }

  @Test
  void protocolIsLowerCasedAndCanBePortSpecific() {
    Result r = normalize(container("app").published(80, 8080).published(81, 8081)
        .published(82, 8082)
        .env("SERVICE_PROTOCOL", "HTTP")
        .env("SERVICE_81_PROTOCOL", "grpc-web")
        .env("SERVICE_82_PROTOCOL", " Redis "));

    assertThat(r.instances()).extracting(ServiceInstance::protocol).containsExactly(
        Optional.of(Protocol.HTTP), Optional.of(Protocol.GRPC_WEB), Optional.of(Protocol.REDIS));
    assertThat(r.instances()).allSatisfy(s -> assertThat(s.meta()).isEmpty());
  }

  @Test
  void everyKnownProtocolIsAccepted() {
    for (String p : List.of("http", "http2", "https", "grpc", "grpc-web", "http_proxy", "tcp",
        "tls", "mongo", "mysql", "redis")) {
      assertThat(normalize(container("app").published(80, 8080).env("SERVICE_PROTOCOL", p))
          .instances()).extracting(s -> s.protocol().map(Protocol::spelling))
          .containsExactly(Optional.of(p));
    }
    assertThat(normalize(container("app").published(53, Transport.UDP, "", 53)
        .env("SERVICE_PROTOCOL", "udp")).instances())
        .extracting(ServiceInstance::protocol).containsExactly(Optional.of(Protocol.UDP));
  }

  @Test
  void anUnknownProtocolIsReportedOnceAndTheServicesKeptWithoutIt() {
    Result r = normalize(container("app").published(80, 8080).published(81, 8081)
        .env("SERVICE_PROTOCOL", "soap"));

    assertThat(r.instances()).extracting(ServiceInstance::protocol)
        .containsExactly(Optional.empty(), Optional.empty());
    assertThat(r.problems()).containsExactly(problem("SERVICE_PROTOCOL",
        "'soap' is not a known protocol (http, http2, https, grpc, grpc-web, http_proxy, tcp, "
            + "tls, udp, mongo, mysql, redis); registered without a protocol"));
  }

  @Test
  void aProtocolMustFitTheTransport() {
    Result generic = normalize(container("app").published(80, 8080)
        .published(53, Transport.UDP, "", 5353)
        .env("SERVICE_PROTOCOL", "http"));
    assertThat(generic.instances()).extracting(ServiceInstance::transport,
        ServiceInstance::protocol).containsExactly(
            tuple(Transport.UDP, Optional.empty()), tuple(Transport.TCP, Optional.of(Protocol.HTTP)));
    assertThat(generic.problems()).isEmpty();
    assertThat(generic.notes()).containsExactly(problem("SERVICE_PROTOCOL",
        "protocol http does not fit a udp port; registered without a protocol"));

    Result specific = normalize(container("app").published(80, 8080)
        .env("SERVICE_80_PROTOCOL", "udp"));
    assertThat(specific.instances()).extracting(ServiceInstance::protocol)
        .containsExactly(Optional.empty());
    assertThat(specific.problems()).containsExactly(problem("SERVICE_80_PROTOCOL",
        "protocol udp does not fit a tcp port; registered without a protocol"));
  }

  @Test
  void otherAttributesAreMetaPerPort() {
    Result r = normalize(container("app").published(9080, 9080).published(9090, 9090)
        .env("SERVICE_VERSION", "v1")
        .env("SERVICE_9080_VERSION", "v2")
        .env("SERVICE_9090_TEAM", "core")
        .env("SERVICE_EMPTY", ""));

    assertThat(r.instances()).extracting(ServiceInstance::meta).containsExactly(
        new TreeMap<>(Map.of("version", "v2", "empty", "")),
        new TreeMap<>(Map.of("version", "v1", "team", "core", "empty", "")));
  }

  @Test
  void attributesWithAMeaningAndEveryCheckKeyStayOutOfMeta() {
    Result r = normalize(config().hostIp("10.0.0.1"), container("app").published(80, 8080)
        .env("SERVICE_NAME", "api").env("SERVICE_ID", "api-1").env("SERVICE_TAGS", "a")
        .env("SERVICE_IGNORE", "false").env("SERVICE_PROTOCOL", "http")
        .env("SERVICE_CHECK_TCP", "true").env("SERVICE_CHECK_INTERVAL", "5s")
        .env("SERVICE_80_CHECK_TIMEOUT", "1s").env("SERVICE_CHECK_WHATEVER", "x")
        .env("SERVICE_CHECK_CMD", "")
        .env("SERVICE_OWNER", "team-a"));

    assertThat(r.instances()).extracting(ServiceInstance::meta)
        .containsExactly(new TreeMap<>(Map.of("owner", "team-a")));
    assertThat(r.problems()).isEmpty();
  }

  @Test
  void metaThatConsulWouldRejectIsDroppedAndReportedByKeyWithoutTheValue() {
    Result r = normalize(container("app").published(80, 8080)
        .label("SERVICE_A.B", "hunter2")
        .label("SERVICE_CONSUL-VERSION", "hunter2")
        .label("SERVICE_REGISTRY-BRIDGE-OWNER", "hunter2")
        .label("SERVICE_" + "K".repeat(129), "hunter2")
        .label("SERVICE_BIG", "v".repeat(513))
        .label("SERVICE_OK", "fine"));

    assertThat(r.instances()).extracting(ServiceInstance::meta)
        .containsExactly(new TreeMap<>(Map.of("ok", "fine")));
    assertThat(r.problems()).containsExactlyInAnyOrder(
        problem("SERVICE_A.B",
            "meta key 'a.b' dropped: key may only hold letters, digits, '_' and '-'"),
        problem("SERVICE_CONSUL-VERSION",
            "meta key 'consul-version' dropped: the 'consul-' prefix is reserved by Consul"),
        problem("SERVICE_REGISTRY-BRIDGE-OWNER", "meta key 'registry-bridge-owner' dropped: "
            + "the 'registry-bridge-' prefix is reserved for the bridge"),
        problem("SERVICE_" + "K".repeat(129),
            "meta key '" + "k".repeat(129) + "' dropped: key longer than 128 characters"),
        problem("SERVICE_BIG",
            "meta key 'big' dropped: value longer than 512 characters"));
    assertThat(r.problems()).extracting(Finding::message)
        .noneMatch(m -> m.contains("hunter2") || m.contains("vvv"));
  }

  @Test
  void tooManyAttributesAreCutAtTheLimitLeftForTheSinks() {
    ContainerView.Builder c = container("app").published(80, 8080);
    for (int i = 0; i < 61; i++) {
      c.env(String.format("SERVICE_ATTR%02d", i), "v");
    }

    Result r = normalize(c);

    assertThat(r.instances().get(0).meta()).hasSize(60).doesNotContainKey("attr60");
    assertThat(r.problems()).containsExactly(problem("SERVICE_ATTR60",
        "meta key 'attr60' dropped: more than 60 attributes"));
  }

  @Test
  void aMalformedPortNextToGoodOnesStillRegistersTheGoodOnes() {
    Result r = normalize(config().hostIp("10.0.0.1"), container("app")
        .published(80, 8080).published(81, 8081).published(82, 8082)
        .env("SERVICE_80_PROTOCOL", "bogus")
        .env("SERVICE_81_CHECK_HTTP", "/health")
        .env("SERVICE_81_CHECK_INTERVAL", "abc")
        .env("SERVICE_82_A.B", "x")
        .env("SERVICE_99999_NAME", "nope")
        .env("SERVICE_8080_NAME", "nope"));

    assertThat(r.instances()).containsExactly(
        instance("host1:web-1:80", "app-80").address("10.0.0.1").port(8080).targetPort(80).build(),
        instance("host1:web-1:81", "app-81").address("10.0.0.1").port(8081).targetPort(81).build(),
        instance("host1:web-1:82", "app-82").address("10.0.0.1").port(8082).targetPort(82).build());
    assertThat(r.problems()).containsExactly(
        problem("SERVICE_99999_NAME", "not a port number (1-65535); ignored"),
        problem("SERVICE_8080_NAME", "the container does not expose port 8080; ignored"),
        problem("SERVICE_80_PROTOCOL", "'bogus' is not a known protocol (http, http2, https, "
            + "grpc, grpc-web, http_proxy, tcp, tls, udp, mongo, mysql, redis); registered"
            + " without a protocol"),
        problem("SERVICE_81_CHECK_INTERVAL", "'abc' is not a duration (use e.g. 10s, 1m30s, "
            + "500ms); no check registered"),
        problem("SERVICE_82_A.B",
            "meta key 'a.b' dropped: key may only hold letters, digits, '_' and '-'"));
  }

  @Test
  void aKeyThatReadsLikeAMistypedPortIsKeptAsMetaAndSaidSo() {
    Result r = normalize(container("app").published(80, 8080).env("SERVICE_abc_NAME", "x")
        .env("SERVICE_TEAM", "payments"));

    assertThat(r.instances()).singleElement()
        .satisfies(s -> assertThat(s.meta()).containsEntry("abc_name", "x"));
    assertThat(r.problems()).containsExactly(problem("SERVICE_abc_NAME",
        "reads like SERVICE_<port>_NAME, but 'abc' is not a port number; kept as the meta"
            + " attribute 'abc_name'"));
  }

  @Test
  void aNamedContainerWithoutPortsIsToldWhyNothingIsRegistered() {
    assertThat(normalize(container("app").env("SERVICE_NAME", "api")).problems())
        .containsExactly(problem("SERVICE_NAME", "the container exposes and publishes no port;"
            + " nothing registered (EXPOSE or --expose one, or publish one with -p)"));
    assertThat(normalize(container("app").exposed(80).env("SERVICE_NAME", "api")).problems())
        .containsExactly(problem("SERVICE_NAME", "no port is published on the host; nothing"
            + " registered (publish one with -p, or run the bridge with -internal)"));
    // Without a name it was not asked for; with SERVICE_IGNORE it was refused on purpose.
    assertThat(normalize(container("app").exposed(80)).problems()).isEmpty();
    assertThat(normalize(container("app").env("SERVICE_NAME", "api")
        .env("SERVICE_IGNORE", "true")).problems()).isEmpty();
  }

  @Test
  void problemsOfGenericAttributesAreReportedOnceNotPerPort() {
    Result r = normalize(container("app").published(80, 8080).published(81, 8081)
        .env("SERVICE_A.B", "x"));

    assertThat(r.problems()).containsExactly(problem("SERVICE_A.B",
        "meta key 'a.b' dropped: key may only hold letters, digits, '_' and '-'"));
  }

  @Test
  void malformedValuesAreQuotedOnOneLine() {
    Result r = normalize(container("app").published(80, 8080)
        .env("SERVICE_PROTOCOL", "http\nFAKE LOG LINE"));

    assertThat(r.problems()).extracting(Finding::message).containsExactly(
        "'http\\nFAKE LOG LINE' is not a known protocol (http, http2, https, grpc, grpc-web, "
            + "http_proxy, tcp, tls, udp, mongo, mysql, redis); registered without a protocol");
  }
}
