package io.registrybridge.sink.mesh.xds;

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
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A throw-away certificate authority issuing EC certificates, as PEM files (keys PKCS#8). */
final class TestPki {
  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

  private final X500Name name;
  private final KeyPair keys;
  final Path certificate;

  /** A CA named {@code cn}, its certificate written to {@code dir/<cn>-ca.pem}. */
  TestPki(Path dir, String cn) throws Exception {
    name = new X500Name("CN=" + cn);
    keys = keyPair();
    var builder = builder(name, name, keys);
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    certificate = dir.resolve(cn + "-ca.pem");
    pem(certificate, sign(builder));
  }

  /**
   * A certificate for {@code cn} (also valid for localhost and 127.0.0.1) signed by this CA.
   *
   * @return the certificate file; the key is beside it as {@code <cn>-key.pem}
   */
  Path issue(Path dir, String cn) throws Exception {
    KeyPair pair = keyPair();
    var builder = builder(name, new X500Name("CN=" + cn), pair);
    builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(
        new GeneralName[] {new GeneralName(GeneralName.dNSName, "localhost"),
            new GeneralName(GeneralName.iPAddress,
                InetAddress.getLoopbackAddress().getHostAddress())}));
    Path cert = dir.resolve(cn + "-cert.pem");
    pem(cert, sign(builder));
    pem(key(cert), new JcaPKCS8Generator(pair.getPrivate(), null).generate());
    return cert;
  }

  /** The key file of a certificate from {@link #issue}. */
  static Path key(Path cert) {
    return cert.resolveSibling(cert.getFileName().toString().replace("-cert.pem", "-key.pem"));
  }

  private static KeyPair keyPair() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    return generator.generateKeyPair();
  }

  private static JcaX509v3CertificateBuilder builder(X500Name issuer, X500Name subject,
      KeyPair pair) {
    Instant now = Instant.now();
    return new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIAL.incrementAndGet()),
        Date.from(now.minusSeconds(60)), Date.from(now.plus(Duration.ofDays(1))), subject,
        pair.getPublic());
  }

  private X509CertificateHolder sign(JcaX509v3CertificateBuilder builder) throws Exception {
    return builder.build(new JcaContentSignerBuilder("SHA256withECDSA")
        .build(keys.getPrivate()));
  }

  private static void pem(Path file, Object object) throws Exception {
    StringWriter text = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
      writer.writeObject(object);
    }
    Files.writeString(file, text.toString());
  }
}
