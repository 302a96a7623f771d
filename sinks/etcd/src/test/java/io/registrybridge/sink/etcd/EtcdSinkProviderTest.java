package io.registrybridge.sink.etcd;

import static io.registrybridge.sink.etcd.SinkFixture.settings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.registrybridge.spi.DaemonSettings;
import io.registrybridge.spi.SinkPlan;
import io.registrybridge.spi.SinkProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** URI parsing and validation, through the provider as the daemon calls it. */
class EtcdSinkProviderTest {
  private final SinkProvider provider = new EtcdSinkProvider();

  private SinkPlan plan(String uri) {
    return provider.plan(uri, settings());
  }

  private SinkPlan plan(String uri, Map<String, String> env) {
    return provider.plan(uri, settings(env, Optional.empty(), Optional.empty()));
  }

  @Test
  void isFoundThroughServiceLoader() {
    assertThat(ServiceLoader.load(SinkProvider.class).stream().map(ServiceLoader.Provider::type))
        .contains(EtcdSinkProvider.class);
    assertThat(provider.schemes()).containsExactlyInAnyOrder("etcd", "etcd3", "skydns2");
  }

  /** Registrator's own command lines (docs/user/backends.md), unchanged. */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "etcd://etcd:2379/services          | etcd    | etcd:2379/services       | /services",
      "etcd://127.0.0.1:2379/services     | etcd    | 127.0.0.1:2379/services  | /services",
      "etcd://localhost:4001/services     | etcd    | localhost:4001/services  | /services",
      "etcd:///services                   | etcd    | 127.0.0.1:2379/services  | /services",
      "etcd://etcd:2379                   | etcd    | etcd:2379                | ''",
      "etcd://etcd/services/              | etcd    | etcd:2379/services       | /services",
      "skydns2://etcd:2379/cluster.local  | skydns2 | etcd:2379/cluster.local  | /skydns/local/cluster",
      "skydns2://127.0.0.1:2379/skydns.local | skydns2 | 127.0.0.1:2379/skydns.local | /skydns/local/skydns",
      "etcd3://a:2379,b:2379,[::1]:2380/services | etcd3 | a:2379,b:2379,[::1]:2380/services | /services",
  })
  void parsesRegistratorsUris(String uri, String kind, String instance, String root) {
    EtcdSinkPlan plan = (EtcdSinkPlan) plan(uri);
    assertThat(plan.kind()).isEqualTo(kind);
    assertThat(plan.instance()).isEqualTo(instance);
    assertThat(plan.parsed().root()).isEqualTo(root);
    assertThat(plan.parsed().tls()).isFalse();
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
      "etcd://user:secret@etcd:2379/s | credentials do not belong in the URI",
      "etcd://etcd:99999/s            | port '99999' of etcd is not 1 to 65535",
      "etcd://etcd:x/s                | port 'x' of etcd is not 1 to 65535",
      "etcd://a:2379,,b/s             | empty endpoint in 'a:2379,,b'",
      "etcd://a:2379,a:2379/s         | endpoint a:2379 is listed twice",
      "etcd://a_b:2379/s              | 'a_b' is not a host name or address",
      "etcd://etcd/a/../b             | the prefix must not hold '..' segments",
      "etcd://etcd/a//b               | the prefix must not hold empty segments",
      "etcd://etcd/s?ttl=30           | unknown parameter 'ttl' (known: tls)",
      "etcd://etcd/s?tls=maybe        | parameter tls: 'maybe' is not true or false",
      "etcd://etcd/s#x                | a fragment (#) means nothing here",
      "skydns2://etcd:2379            | a DNS domain is required, e.g. skydns2://127.0.0.1:2379/skydns.local",
      "skydns2://etcd:2379/           | a DNS domain is required",
      "skydns2://etcd:2379/a/b        | 'a/b' is not a DNS domain",
      "skydns2://etcd:2379/a..b       | 'a..b' is not a DNS domain",
  })
  void refusesWhatCannotWorkNamingTheUriAndThePart(String uri, String message) {
    assertThatThrownBy(() -> plan(uri)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("sink URI " + uri + ": ").hasMessageContaining(message);
  }

  @Test
  void tlsIsAskedForInTheUri() {
    assertThat(((EtcdSinkPlan) plan("etcd://etcd:2379/s?tls")).parsed().tls()).isTrue();
    assertThat(((EtcdSinkPlan) plan("etcd3://etcd:2379/s?tls=true")).parsed().tls()).isTrue();
    assertThat(((EtcdSinkPlan) plan("etcd://etcd:2379/s?tls=false")).parsed().tls()).isFalse();
    assertThatThrownBy(() -> plan("etcd://etcd:2379/s", Map.of("ETCDCTL_CACERT", "/ca.pem")))
        .hasMessage("sink URI etcd://etcd:2379/s: ETCDCTL_CACERT is set but the URI does not"
            + " ask for TLS; add ?tls");
    assertThatThrownBy(() -> plan("etcd://etcd:2379/s?tls", Map.of("ETCDCTL_CERT", "/c.pem")))
        .hasMessageContaining("ETCDCTL_CERT and ETCDCTL_KEY come together");
  }

  @Test
  void credentialsComeFromTheEnvironmentOrAFile(@TempDir Path dir) throws Exception {
    String uri = "etcd3://etcd:2379/s";
    assertThat(access(uri, Map.of("ETCDCTL_USER", "root:pw")).user()).hasValueSatisfying(u -> {
      assertThat(u.name()).isEqualTo("root");
      assertThat(u.password()).isEqualTo("pw");
      assertThat(u.toString()).doesNotContain("pw");
    });
    assertThat(access(uri, Map.of("ETCDCTL_USER", "root", "ETCDCTL_PASSWORD", "a:b")).user()
        .orElseThrow().password()).isEqualTo("a:b");
    Path file = Files.writeString(dir.resolve("pw"), "from-file\n");
    assertThat(access(uri, Map.of("ETCDCTL_USER", "root", "ETCDCTL_PASSWORD_FILE",
        file.toString())).user().orElseThrow().password()).isEqualTo("from-file");

    assertThatThrownBy(() -> plan(uri, Map.of("ETCDCTL_USER", "root")))
        .hasMessageContaining("ETCDCTL_USER needs a password");
    assertThatThrownBy(() -> plan(uri, Map.of("ETCDCTL_USER", "root:a", "ETCDCTL_PASSWORD", "b")))
        .hasMessageContaining("the password is given more than once");
    assertThatThrownBy(() -> plan(uri, Map.of("ETCDCTL_PASSWORD", "secret")))
        .hasMessageContaining("a password is set but ETCDCTL_USER is not")
        .message().doesNotContain("secret");
    assertThatThrownBy(() -> plan(uri, Map.of("ETCDCTL_USER", "root",
        "ETCDCTL_PASSWORD_FILE", dir.resolve("missing").toString())))
        .hasMessageContaining("ETCDCTL_PASSWORD_FILE: cannot read " + dir.resolve("missing"));
  }

  private static EtcdAccess access(String uri, Map<String, String> env) {
    return EtcdAccess.fromEnvironment(uri, env, false);
  }

  @Test
  void ttlBelowOneSecondIsRefused() {
    DaemonSettings settings = settings(Map.of(), Optional.of(Duration.ofMillis(500)),
        Optional.of(Duration.ofMillis(100)));
    assertThatThrownBy(() -> provider.plan("etcd://etcd/s", settings))
        .hasMessage("sink URI etcd://etcd/s: -ttl must be at least 1s for etcd, which counts"
            + " TTLs in seconds");
  }

  @Test
  void helpNamesEveryFormAndVariable() {
    assertThat(provider.title()).isEqualTo("etcd (etcd://, etcd3://, skydns2://):");
    assertThat(String.join("\n", provider.help())).contains("etcd://HOST:PORT",
        "etcd3://HOST:PORT", "skydns2://HOST:PORT", "ETCDCTL_CACERT", "ETCDCTL_CERT",
        "ETCDCTL_KEY", "ETCDCTL_USER", "ETCDCTL_PASSWORD", "ETCDCTL_PASSWORD_FILE");
    assertThat(provider.help()).allSatisfy(line -> assertThat(line.length()).isLessThan(100));
  }

  @Test
  void aMissingCaFileIsExitTwoAtPrepare() {
    SinkPlan plan = plan("etcd://etcd:2379/s?tls", Map.of("ETCDCTL_CACERT", "/nonexistent/ca"));
    try (SinkFixture fixture = new SinkFixture()) {
      assertThatThrownBy(() -> plan.prepare(new io.registrybridge.spi.SinkHost("etcd", "h",
          settings(), java.time.Clock.systemUTC(), () -> fixture.side,
          new io.micrometer.core.instrument.simple.SimpleMeterRegistry())))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("sink URI etcd://etcd:2379/s?tls: ETCDCTL_CACERT: cannot read"
              + " /nonexistent/ca (NoSuchFileException)");
    }
  }

  @Test
  void layoutsAreRegistratorsByteForByte() {
    var web = io.registrybridge.core.ServiceInstance.builder("h:web:80", "web")
        .address("10.0.0.5").port(80).build();
    var v6 = web.toBuilder().address("fd00::1").build();
    Layout etcd = new Layout(false, "/services", true);
    Layout skydns = new Layout(true, "/skydns/local/cluster", true);
    assertThat(etcd.key(web)).isEqualTo("/services/web/h:web:80");
    assertThat(etcd.value(web)).isEqualTo("10.0.0.5:80");
    assertThat(etcd.value(v6)).isEqualTo("[fd00::1]:80");
    assertThat(skydns.key(web)).isEqualTo("/skydns/local/cluster/web/h:web:80");
    assertThat(skydns.value(web)).isEqualTo("{\"host\":\"10.0.0.5\",\"port\":80}");
    assertThat(skydns.value(v6)).isEqualTo("{\"host\":\"fd00::1\",\"port\":80}");
    assertThat(etcd.parse("/services/web/h:web:80"))
        .isEqualTo(new Layout.Parsed("web", "h:web:80"));
    assertThat(List.of("/services/web", "/services/a/b/c", "/other/web/x", "/services//x"))
        .allSatisfy(key -> assertThat(etcd.parse(key)).isNull());
  }
}
