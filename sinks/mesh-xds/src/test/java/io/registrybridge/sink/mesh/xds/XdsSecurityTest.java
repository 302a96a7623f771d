package io.registrybridge.sink.mesh.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.registrybridge.core.LogCapture;
import io.registrybridge.sink.mesh.MeshSinkUri;
import io.registrybridge.sink.mesh.MeshSinkUri.XdsListen;
import io.registrybridge.sink.mesh.xds.FakeIstiod.Profile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A safe xDS port: mutual TLS, caps on streams and subscriptions, a warning for plaintext. */
class XdsSecurityTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir
  Path dir;

  private static XdsListen loopback(int maxStreams, int maxSubscriptions) {
    return new XdsListen(Optional.of("127.0.0.1"), 0, Optional.empty(), Optional.empty(),
        Optional.empty(), maxStreams, maxSubscriptions);
  }

  private ManagedChannel tls(XdsHarness xds, Path ca, Path clientCert) throws Exception {
    SslContextBuilder context = GrpcSslContexts.forClient().trustManager(ca.toFile());
    if (clientCert != null) {
      context.keyManager(clientCert.toFile(), TestPki.key(clientCert).toFile());
    }
    return xds.track(NettyChannelBuilder.forAddress("localhost", xds.port())
        .sslContext(context.build()).build());
  }

  @Test
  void tlsClientCaRequiresAClientCertificateSignedByThatCa() throws Exception {
    TestPki serverCa = new TestPki(dir, "server");
    TestPki clientCa = new TestPki(dir, "clients");
    TestPki stranger = new TestPki(dir, "stranger");
    Path serverCert = serverCa.issue(dir, "bridge");
    XdsListen listen = new XdsListen(Optional.of("127.0.0.1"), 0, Optional.of(serverCert),
        Optional.of(TestPki.key(serverCert)), Optional.of(clientCa.certificate),
        XdsListen.DEFAULT_MAX_STREAMS, XdsListen.DEFAULT_MAX_SUBSCRIPTIONS);
    try (XdsHarness xds = new XdsHarness(listen, XdsServer.Keepalive.ISTIOD)) {
      xds.sync(XdsHarness.bookinfo(), true);

      FakeIstiod trusted = xds.connect(tls(xds, serverCa.certificate,
          clientCa.issue(dir, "proxy")), Profile.ISTIO_1_24);
      await().atMost(WAIT).until(trusted::synced);
      assertThat(trusted.serviceEntries()).hasSize(4);

      FakeIstiod anonymous = xds.connect(tls(xds, serverCa.certificate, null),
          Profile.ISTIO_1_24);
      FakeIstiod foreign = xds.connect(tls(xds, serverCa.certificate,
          stranger.issue(dir, "intruder")), Profile.ISTIO_1_24);
      await().atMost(WAIT).until(() -> anonymous.closedWith() != null
          && foreign.closedWith() != null);
      assertThat(anonymous.responses()).isEmpty();
      assertThat(foreign.responses()).isEmpty();
      assertThat(Status.fromThrowable(anonymous.closedWith()).getCode())
          .isEqualTo(Status.Code.UNAVAILABLE);
    }
  }

  @Test
  void tlsClientCaIsParsedCheckedAndNeedsAServerCertificate() throws Exception {
    assertThatThrownBy(() -> MeshSinkUri.parse("istio-xds://:15010?tlsClientCa=/ca.pem"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("tlsClientCa (mutual TLS) needs tlsCert and tlsKey");
    TestPki ca = new TestPki(dir, "server");
    Path cert = ca.issue(dir, "bridge");
    Path notPem = Files.writeString(dir.resolve("ca.pem"), "not a certificate");
    MeshSinkUri uri = MeshSinkUri.parse("istio-xds://:15010?tlsCert=" + cert + "&tlsKey="
        + TestPki.key(cert) + "&tlsClientCa=" + notPem);
    assertThat(uri.xds().orElseThrow().tlsClientCa()).contains(notPem);
    assertThatThrownBy(() -> XdsMeshSinks.validate(uri))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("tlsClientCa " + notPem + " cannot be used");
  }

  @Test
  void oneStreamBeyondMaxStreamsIsRefusedWithResourceExhausted() throws Exception {
    try (XdsHarness xds = new XdsHarness(loopback(2, 64), XdsServer.Keepalive.ISTIOD)) {
      xds.sync(XdsHarness.bookinfo(), true);
      FakeIstiod first = xds.connect(Profile.ISTIO_1_24);
      FakeIstiod second = xds.connect(Profile.ISTIO_1_24);
      await().atMost(WAIT).until(() -> first.synced() && second.synced());

      FakeIstiod third = xds.connect(Profile.ISTIO_1_24);
      await().atMost(WAIT).until(() -> third.closedWith() != null);
      Status status = Status.fromThrowable(third.closedWith());
      assertThat(status.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(status.getDescription()).isEqualTo("registry-bridge: this xDS server takes at"
          + " most 2 streams at once (maxStreams in the istio-xds URI), and that many are open");
      assertThat(third.responses()).isEmpty();
      assertThat(first.closedWith()).isNull();
      assertThat(xds.meters.get("registry.bridge.xds.streams.refused").functionCounter()
          .count()).isEqualTo(1);

      // A place that frees up is taken again.
      first.close();
      await().atMost(WAIT).until(() -> xds.meters.get("registry.bridge.xds.streams").gauge()
          .value() == 1);
      FakeIstiod fourth = xds.connect(Profile.ISTIO_1_24);
      await().atMost(WAIT).until(fourth::synced);
    }
  }

  @Test
  void oneTypeUrlBeyondMaxSubscriptionsEndsThatStreamOnly() throws Exception {
    try (XdsHarness xds = new XdsHarness(loopback(8, 15), XdsServer.Keepalive.ISTIOD)) {
      xds.sync(XdsHarness.bookinfo(), true);
      FakeIstiod older = xds.connect(Profile.ISTIO_1_23); // 15 types: exactly the cap
      await().atMost(WAIT).until(older::synced);

      FakeIstiod newer = xds.connect(Profile.ISTIO_1_24); // 16 types: one too many
      await().atMost(WAIT).until(() -> newer.closedWith() != null);
      Status status = Status.fromThrowable(newer.closedWith());
      assertThat(status.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(status.getDescription()).isEqualTo("registry-bridge: at most 15 type URLs per"
          + " xDS stream (maxSubscriptions in the istio-xds URI); this stream asked for one"
          + " more: extensions.istio.io/v1alpha1/TrafficExtension");
      assertThat(older.closedWith()).isNull();
      await().atMost(WAIT).until(() -> xds.meters.get("registry.bridge.xds.streams").gauge()
          .value() == 1);
    }
  }

  @Test
  void capsAreUriParametersWithDefaults() {
    XdsListen defaults = MeshSinkUri.parse("istio-xds://:15010").xds().orElseThrow();
    assertThat(defaults.maxStreams()).isEqualTo(32);
    assertThat(defaults.maxSubscriptions()).isEqualTo(64);
    XdsListen set = MeshSinkUri.parse("istio-xds://:15010?maxStreams=4&maxSubscriptions=20")
        .xds().orElseThrow();
    assertThat(set.maxStreams()).isEqualTo(4);
    assertThat(set.maxSubscriptions()).isEqualTo(20);
    assertThatThrownBy(() -> MeshSinkUri.parse("istio-xds://:15010?maxStreams=0"))
        .hasMessageContaining("maxStreams '0' is not a number from 1 to 100000");
  }

  @Test
  void plaintextOnEveryInterfaceIsWarnedAboutAndLoopbackOrTlsIsNot() throws Exception {
    XdsListen everywhere = new XdsListen(Optional.empty(), 0, Optional.empty(),
        Optional.empty());
    TestPki ca = new TestPki(dir, "server");
    Path cert = ca.issue(dir, "bridge");
    XdsListen tlsEverywhere = new XdsListen(Optional.empty(), 0, Optional.of(cert),
        Optional.of(TestPki.key(cert)));
    try (LogCapture log = new LogCapture(XdsServer.class)) {
      new XdsHarness(loopback(8, 64), XdsServer.Keepalive.ISTIOD).close();
      new XdsHarness(tlsEverywhere, XdsServer.Keepalive.ISTIOD).close();
      assertThat(log.take()).noneMatch(line -> line.startsWith("WARN"));

      new XdsHarness(everywhere, XdsServer.Keepalive.ISTIOD).close();
      assertThat(log.lines()).filteredOn(line -> line.startsWith("WARN")).singleElement()
          .satisfies(line -> assertThat(line).matches(
              "WARN istio-xds: serving plaintext on :[1-9][0-9]* \\(every interface\\): anyone"
                  + " who can reach this port reads every ServiceEntry .*")
              .contains("tlsCert and tlsKey"));
    }
  }
}
