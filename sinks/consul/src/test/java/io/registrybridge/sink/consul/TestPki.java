package io.registrybridge.sink.consul;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;

/** A throw-away CA with a server and a client certificate, written as PEM files. */
final class TestPki {
  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

  final Path caCert;
  final Path serverCert;
  final Path serverKey;
  final Path clientCert;
  /** SEC1 ("EC PRIVATE KEY"), as {@code consul tls cert create} writes it. */
  final Path clientKey;
  /** The same key as PKCS#8 ("PRIVATE KEY"). */
  final Path clientKeyPkcs8;
  /** An RSA client certificate and its PKCS#1 ("RSA PRIVATE KEY") key. */
  final Path rsaClientCert;
  final Path rsaClientKey;

  /**
   * @param serverDnsName the only name in the server certificate; connecting by any other name
   *     or by IP address must fail host name verification
   */
  TestPki(Path dir, String serverDnsName) throws IOException, GeneralSecurityException {
    KeyPair ca = ec();
    X500Name caName = new X500Name("CN=registry-bridge test CA");
    X509Certificate caCertificate = sign(caName, ca, caName, ca.getPublic(), true, null, null);
    caCert = write(dir.resolve("ca.pem"), caCertificate);

    KeyPair server = ec();
    serverCert = write(dir.resolve("server.pem"), sign(caName, ca, new X500Name("CN=server"),
        server.getPublic(), false, serverDnsName, KeyPurposeId.id_kp_serverAuth));
    serverKey = writeSec1(dir.resolve("server-key.pem"), server.getPrivate());

    KeyPair client = ec();
    clientCert = write(dir.resolve("client.pem"), sign(caName, ca, new X500Name("CN=client"),
        client.getPublic(), false, null, KeyPurposeId.id_kp_clientAuth));
    clientKey = writeSec1(dir.resolve("client-key.pem"), client.getPrivate());
    clientKeyPkcs8 = writePkcs8(dir.resolve("client-key-pkcs8.pem"), client.getPrivate());

    KeyPairGenerator rsaGenerator = KeyPairGenerator.getInstance("RSA");
    rsaGenerator.initialize(2048);
    KeyPair rsa = rsaGenerator.generateKeyPair();
    rsaClientCert = write(dir.resolve("client-rsa.pem"), sign(caName, ca,
        new X500Name("CN=client-rsa"), rsa.getPublic(), false, null,
        KeyPurposeId.id_kp_clientAuth));
    rsaClientKey = write(dir.resolve("client-rsa-key.pem"), rsa.getPrivate());
  }

  private static KeyPair ec() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    return generator.generateKeyPair();
  }

  private static X509Certificate sign(X500Name issuer, KeyPair issuerKeys, X500Name subject,
      java.security.PublicKey subjectKey, boolean isCa, String dnsName, KeyPurposeId purpose)
      throws GeneralSecurityException, IOException {
    Instant now = Instant.now();
    X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer,
        BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(now.minus(Duration.ofHours(1))),
        Date.from(now.plus(Duration.ofDays(1))), subject, subjectKey);
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
    if (dnsName != null) {
      builder.addExtension(Extension.subjectAlternativeName, false,
          new GeneralNames(new GeneralName(GeneralName.dNSName, dnsName)));
    }
    if (purpose != null) {
      builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
    }
    try {
      return new JcaX509CertificateConverter().getCertificate(builder.build(
          new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
    } catch (org.bouncycastle.operator.OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }

  private static Path write(Path file, Object pemObject) throws IOException {
    StringWriter text = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
      writer.writeObject(pemObject);
    }
    return Files.writeString(file, text.toString());
  }

  /** SEC1 with the named curve inside, like OpenSSL and Go's x509.MarshalECPrivateKey. */
  private static Path writeSec1(Path file, PrivateKey key) throws IOException {
    PrivateKeyInfo info = PrivateKeyInfo.getInstance(key.getEncoded());
    org.bouncycastle.asn1.sec.ECPrivateKey inner =
        org.bouncycastle.asn1.sec.ECPrivateKey.getInstance(info.parsePrivateKey());
    ASN1Encodable curve = info.getPrivateKeyAlgorithm().getParameters();
    org.bouncycastle.asn1.sec.ECPrivateKey sec1 = new org.bouncycastle.asn1.sec.ECPrivateKey(256,
        inner.getKey(), inner.getPublicKey(), curve);
    StringWriter text = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
      writer.writeObject(new PemObject("EC PRIVATE KEY", sec1.getEncoded()));
    }
    return Files.writeString(file, text.toString());
  }

  private static Path writePkcs8(Path file, PrivateKey key) throws IOException {
    StringWriter text = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
      writer.writeObject(new JcaPKCS8Generator(key, null));
    }
    return Files.writeString(file, text.toString());
  }
}
