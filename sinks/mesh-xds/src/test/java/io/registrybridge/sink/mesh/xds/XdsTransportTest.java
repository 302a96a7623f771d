package io.registrybridge.sink.mesh.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.registrybridge.sink.mesh.MeshSinkUri;
import io.registrybridge.sink.mesh.MeshSinkUri.XdsListen;
import io.registrybridge.sink.mesh.xds.FakeIstiod.Profile;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TLS, plaintext and keepalive: what istiod's gRPC client needs from the server. */
class XdsTransportTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  @Test
  void servesSimpleTlsWithAPemCertificateAndKey(@TempDir Path dir) throws Exception {
    Path cert = dir.resolve("cert.pem");
    Path key = dir.resolve("key.pem");
    selfSigned(cert, key);
    XdsListen listen = new XdsListen(Optional.of("127.0.0.1"), 0, Optional.of(cert),
        Optional.of(key));
    try (XdsHarness xds = new XdsHarness(listen, XdsServer.Keepalive.ISTIOD)) {
      xds.sync(XdsHarness.bookinfo(), true);
      // istiod's SIMPLE mode: verifies the server against caCertificates, sends no certificate.
      ManagedChannel tls = xds.track(NettyChannelBuilder.forAddress("localhost", xds.port())
          .sslContext(GrpcSslContexts.forClient().trustManager(cert.toFile()).build()).build());
      FakeIstiod istiod = xds.connect(tls, Profile.ISTIO_1_24);
      await().atMost(WAIT).until(istiod::synced);
      assertThat(istiod.serviceEntries()).hasSize(4);

      FakeIstiod plaintext = xds.connect(Profile.ISTIO_1_24);
      await().atMost(WAIT).until(() -> plaintext.closedWith() != null);
      assertThat(plaintext.responses()).isEmpty();
    }
  }

  @Test
  void unusableTlsFilesAreRefusedBeforeAnythingStarts(@TempDir Path dir) throws Exception {
    Path cert = Files.writeString(dir.resolve("cert.pem"), "not a certificate");
    MeshSinkUri uri = MeshSinkUri.parse("istio-xds://:15010?tlsCert=" + cert + "&tlsKey="
        + dir.resolve("missing.pem"));
    assertThatThrownBy(() -> XdsMeshSinks.validate(uri))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("invalid mesh sink URI '" + uri.uri() + "': tlsCert " + cert)
        .hasMessageContaining("BEGIN PRIVATE KEY");
  }

  @Test
  void aTakenPortIsAClearErrorAtStart() throws Exception {
    try (XdsHarness first = new XdsHarness()) {
      XdsListen same = new XdsListen(Optional.of("127.0.0.1"), first.port(), Optional.empty(),
          Optional.empty());
      assertThatThrownBy(() -> new XdsHarness(same, XdsServer.Keepalive.ISTIOD))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("istio-xds: cannot listen on 127.0.0.1:" + first.port());
    }
  }

  /**
   * istiod pings every 30 s on a stream that stays open for good. The production policy permits
   * exactly that ({@link XdsServer.Keepalive#ISTIOD}, which {@link XdsMeshSinks#create} uses).
   * grpc-java's clients ping at most every 10 s, so the behaviour is shown at a third of
   * istiod's period: a client pinging every 10 s against a server permitting 10 s keeps its
   * stream over three pings, while the same client against a server permitting 30 s gets GOAWAY
   * {@code too_many_pings} on its third ping, the failure istiod meets at grpc-java's default of
   * five minutes. The control proves that the client really pings and the server really enforces
   * the policy it was given; both run side by side, so the test takes about 35 s.
   */
  @Test
  void keepalivePingsAtThePermittedPeriodAreAcceptedAndFasterOnesAreNot() throws Exception {
    assertThat(XdsServer.Keepalive.ISTIOD)
        .isEqualTo(new XdsServer.Keepalive(Duration.ofSeconds(30), true));
    XdsServer.Keepalive scaled = new XdsServer.Keepalive(Duration.ofSeconds(10), true);
    XdsServer.Keepalive strict = new XdsServer.Keepalive(Duration.ofSeconds(30), true);
    try (XdsHarness permitted = new XdsHarness(scaled);
        XdsHarness control = new XdsHarness(strict)) {
      permitted.sync(XdsHarness.bookinfo(), true);
      control.sync(XdsHarness.bookinfo(), true);
      FakeIstiod kept = permitted.connect(pinging(permitted), Profile.ISTIO_1_24);
      FakeIstiod refused = control.connect(pinging(control), Profile.ISTIO_1_24);
      await().atMost(WAIT).until(() -> kept.synced() && refused.synced());
      Instant start = Instant.now();

      await().atMost(Duration.ofSeconds(50)).until(() -> refused.closedWith() != null);
      assertThat(refused.closedWith()).hasMessageContaining("too_many_pings");
      // At least three pings' time on the permitted stream, and it is still there.
      await().atMost(Duration.ofSeconds(50))
          .until(() -> Duration.between(start, Instant.now()).toSeconds() >= 32);
      assertThat(kept.closedWith()).isNull();
      assertThat(permitted.meters.get("registry.bridge.xds.streams").gauge().value())
          .isEqualTo(1);
    }
  }

  private static ManagedChannel pinging(XdsHarness xds) {
    return xds.track(NettyChannelBuilder.forAddress("127.0.0.1", xds.port()).usePlaintext()
        .maxInboundMessageSize(Integer.MAX_VALUE).keepAliveTime(10, TimeUnit.SECONDS)
        .keepAliveWithoutCalls(true).build());
  }

  /** A self-signed EC certificate for localhost and 127.0.0.1, key as PKCS#8. */
  static void selfSigned(Path cert, Path key) throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair pair = generator.generateKeyPair();
    X500Name name = new X500Name("CN=localhost");
    Instant now = Instant.now();
    var builder = new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(now.toEpochMilli()),
        Date.from(now.minusSeconds(60)), Date.from(now.plus(Duration.ofDays(1))), name,
        pair.getPublic());
    builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(
        new GeneralName[] {new GeneralName(GeneralName.dNSName, "localhost"),
            new GeneralName(GeneralName.iPAddress,
                InetAddress.getLoopbackAddress().getHostAddress())}));
    var holder = builder.build(new JcaContentSignerBuilder("SHA256withECDSA")
        .build(pair.getPrivate()));
    pem(cert, holder);
    pem(key, new JcaPKCS8Generator(pair.getPrivate(), null).generate());
  }

  private static void pem(Path file, Object object) throws Exception {
    StringWriter text = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
      writer.writeObject(object);
    }
    Files.writeString(file, text.toString());
  }
}
