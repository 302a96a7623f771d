package io.registrybridge.sink.mesh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class MeshSinkUriTest {
  private static final MeshSinkConfig BASE = MeshSinkConfig.builder("bridge-1").build();

  @Test
  void kubernetesWithSettings() {
    MeshSinkUri uri = MeshSinkUri.parse("istio-k8s://?namespace=istio-config&context=prod"
        + "&exportTo=.,shop&collision=allocate&vipRange=240.242.0.0/24&apiVersion=v1beta1"
        + "&domain=mesh.example");

    assertThat(uri.transport()).isEqualTo(MeshSinkUri.Transport.KUBERNETES);
    assertThat(uri.context()).contains("prod");
    assertThat(uri.directory()).isEmpty();
    assertThat(uri.applyTo(BASE)).isEqualTo(new MeshSinkConfig("bridge-1", "istio-config",
        "mesh.example", List.of(".", "shop"), CollisionMode.ALLOCATE, "240.242.0.0/24",
        IstioApiVersion.V1BETA1));
  }

  @ParameterizedTest
  @CsvSource({"istio-k8s://", "istio-k8s:", "istio-k8s:///", "ISTIO-K8S://"})
  void kubernetesWithoutSettingsKeepsTheBase(String text) {
    MeshSinkUri uri = MeshSinkUri.parse(text);
    assertThat(uri.transport()).isEqualTo(MeshSinkUri.Transport.KUBERNETES);
    assertThat(uri.context()).isEmpty();
    assertThat(uri.applyTo(BASE)).isEqualTo(BASE);
  }

  @ParameterizedTest
  @CsvSource({"istio-dir:///etc/istio/config", "istio-dir:/etc/istio/config"})
  void directory(String text) {
    MeshSinkUri uri = MeshSinkUri.parse(text);
    assertThat(uri.transport()).isEqualTo(MeshSinkUri.Transport.DIRECTORY);
    assertThat(uri.directory()).contains(Path.of("/etc/istio/config"));
    assertThat(uri.settings()).isEmpty();
  }

  @Test
  void directoryPathAndValuesArePercentDecoded() {
    MeshSinkUri uri = MeshSinkUri.parse(
        "istio-dir:///srv/mesh%20config?exportTo=%2A&namespace=mesh");
    assertThat(uri.directory()).contains(Path.of("/srv/mesh config"));
    assertThat(uri.settings()).isEqualTo(Map.of("exportTo", "*", "namespace", "mesh"));
  }

  static Stream<Arguments> badUris() {
    return Stream.of(
        Arguments.of("consul://localhost:8500",
            "unknown scheme 'consul' (expected istio-k8s, istio-dir or istio-xds)"),
        Arguments.of("/etc/istio",
            "expected istio-k8s://?..., istio-dir:///path or istio-xds://[host]:port"),
        Arguments.of("istio-k8s://cluster.example:6443",
            "istio-k8s takes no host or path: the API server comes from KUBECONFIG or the"
                + " in-cluster configuration (use ?context= to pick a kubeconfig context)"),
        Arguments.of("istio-dir://etc/istio",
            "'etc' would be a host; write istio-dir:///etc/istio (three slashes) for an"
                + " absolute path"),
        Arguments.of("istio-dir:config",
            "the directory must be an absolute path, like istio-dir:///etc/istio/config"),
        Arguments.of("istio-dir:///",
            "refusing to write into the root directory"),
        Arguments.of("istio-dir:///x?context=a",
            "unknown parameter 'context' (known: apiVersion, collision, domain, exportTo,"
                + " namespace, vipRange)"),
        Arguments.of("istio-k8s://?namespce=a",
            "unknown parameter 'namespce' (known: apiVersion, collision, domain, exportTo,"
                + " namespace, vipRange, context)"),
        Arguments.of("istio-k8s://?namespace=a&namespace=b",
            "parameter 'namespace' is given twice"),
        Arguments.of("istio-k8s://?namespace=",
            "parameter 'namespace' has no value"),
        Arguments.of("istio-k8s://?verbose",
            "expected name=value, got 'verbose'"),
        Arguments.of("istio-k8s://?namespace=Istio_Config",
            "namespace 'Istio_Config' is invalid: must consist of lower-case letters, digits"
                + " and '-', and start and end with a letter or digit"),
        Arguments.of("istio-k8s://?collision=ignore",
            "unknown collision mode 'ignore' (expected report or allocate)"),
        Arguments.of("istio-k8s://?vipRange=240.241.0.1/16",
            "virtual IP range '240.241.0.1/16' is invalid: address bits are set after the"
                + " prefix (did you mean 240.241.0.0/16?)"),
        Arguments.of("istio-k8s://?apiVersion=v2",
            "unknown Istio API version 'v2' (expected auto, v1, v1beta1 or v1alpha3)"),
        Arguments.of("istio-k8s://?exportTo=*,shop",
            "exportTo [*, shop] is invalid: '*' cannot be combined with other entries"),
        Arguments.of("istio-k8s://#top",
            "a fragment ('#') means nothing here"),
        Arguments.of("istio-k8s://?domain=%zz",
            "bad percent-encoding in '%zz'"),
        Arguments.of("istio-xds://bridge",
            "a port is required: istio-xds://[HOST]:PORT, like istio-xds://:15010"),
        Arguments.of("istio-xds://:0", "port '0' is not a number from 1 to 65535"),
        Arguments.of("istio-xds://:http", "port 'http' is not a number from 1 to 65535"),
        Arguments.of("istio-xds://::1:15010",
            "an IPv6 address goes in brackets: istio-xds://[::1]:15010"),
        Arguments.of("istio-xds://:15010/feed", "istio-xds takes no path, only [HOST]:PORT"),
        Arguments.of("istio-xds://:15010?tlsCert=/tls/cert.pem",
            "tlsCert and tlsKey go together (the server certificate and its key, PEM); give"
                + " both for TLS, neither for plaintext"),
        Arguments.of("istio-xds://:15010?apiVersion=v1",
            "apiVersion means nothing for istio-xds: it answers in exactly the version istiod"
                + " asks for (networking.istio.io/v1 from Istio 1.24 on, v1alpha3 before)"),
        Arguments.of("istio-xds://:15010?context=prod",
            "unknown parameter 'context' (known: apiVersion, collision, domain, exportTo,"
                + " namespace, vipRange, tlsCert, tlsKey, tlsClientCa, maxStreams,"
                + " maxSubscriptions)"));
  }

  @Test
  void xdsTakesAHostAPortAndTheMeshParameters() {
    MeshSinkUri all = MeshSinkUri.parse("istio-xds://:15010?namespace=mesh&collision=allocate");
    assertThat(all.transport()).isEqualTo(MeshSinkUri.Transport.XDS);
    assertThat(all.xds()).contains(new MeshSinkUri.XdsListen(Optional.empty(), 15010,
        Optional.empty(), Optional.empty()));
    assertThat(all.applyTo(BASE).namespace()).isEqualTo("mesh");
    assertThat(all.applyTo(BASE).collisionMode()).isEqualTo(CollisionMode.ALLOCATE);

    MeshSinkUri tls = MeshSinkUri.parse(
        "istio-xds://[::1]:15011/?tlsCert=/tls/cert.pem&tlsKey=/tls/key.pem");
    assertThat(tls.xds().orElseThrow()).isEqualTo(new MeshSinkUri.XdsListen(Optional.of("::1"),
        15011, Optional.of(Path.of("/tls/cert.pem")), Optional.of(Path.of("/tls/key.pem"))));
    assertThat(tls.xds().orElseThrow()).hasToString("[::1]:15011 (TLS)");
    assertThat(MeshSinkUri.parse("istio-xds://10.0.0.5:15010").xds().orElseThrow())
        .hasToString("10.0.0.5:15010 (plaintext)");
    assertThatThrownBy(() -> MeshSinks.create(all, BASE, MeshSinkListener.NONE))
        .hasMessageContaining("XdsMeshSinks");
  }

  @ParameterizedTest
  @MethodSource("badUris")
  void badUrisAreRejectedNamingTheUriAndTheProblem(String text, String problem) {
    assertThatThrownBy(() -> MeshSinkUri.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("invalid mesh sink URI '" + text + "': " + problem);
  }

  @Test
  void createsTheNamedSinks(@TempDir Path temp) throws Exception {
    MeshSink dir = MeshSinks.create(MeshSinkUri.parse("istio-dir://" + temp.resolve("out")
        + "?namespace=mesh"), BASE, MeshSinkListener.NONE);
    assertThat(dir.name()).isEqualTo("mesh-dir");
    dir.sync(Fixtures.state(Fixtures.bookinfo("http")));
    assertThat(temp.resolve("out/reviews.service.consul.yaml")).content()
        .contains("namespace: mesh");

    // Building the client does not contact the API server; closing the sink closes it.
    try (MeshSink k8s = MeshSinks.create(MeshSinkUri.parse("istio-k8s://"), BASE,
        MeshSinkListener.NONE)) {
      assertThat(k8s.name()).isEqualTo("mesh-k8s");
    }
    assertThat(MeshSinks.kubernetesClient(Optional.empty()).getConfiguration()
        .getRequestRetryBackoffLimit()).isZero();
  }
}
