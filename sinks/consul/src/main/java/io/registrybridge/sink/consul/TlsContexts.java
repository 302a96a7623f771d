package io.registrybridge.sink.consul;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Collection;
import java.util.Optional;
import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;

/**
 * Turns {@link ConsulTls} file names into what OkHttp needs. Every failure is an {@link
 * IllegalArgumentException} naming the environment variable and file, never file content.
 */
final class TlsContexts {

  /**
   * @param hostnameVerifier empty: OkHttp's default, which checks the certificate's names
   */
  record Material(SSLContext sslContext, X509TrustManager trustManager,
      Optional<HostnameVerifier> hostnameVerifier) {}

  private TlsContexts() {}

  static Material load(ConsulTls tls) {
    requireNonNull(tls, "tls");
    X509TrustManager trustManager = tls.verify()
        ? trustManager(tls.caCert())
        : new TrustEverything();
    KeyManager[] keyManagers = tls.clientCert().isPresent()
        ? keyManagers(tls.clientCert().get(), tls.clientKey().orElseThrow())
        : null;
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keyManagers, new TrustManager[] {trustManager}, null);
      Optional<HostnameVerifier> verifier =
          tls.verify() ? Optional.empty() : Optional.of((host, session) -> true);
      return new Material(context, trustManager, verifier);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot set up TLS: " + e.getMessage(), e);
    }
  }

  private static X509TrustManager trustManager(Optional<Path> caCert) {
    try {
      TrustManagerFactory factory =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      if (caCert.isEmpty()) {
        factory.init((KeyStore) null); // the JVM's default trust store
      } else {
        KeyStore store = emptyStore();
        int n = 0;
        for (Certificate cert : certificates(ConsulTls.CA_CERT_ENV, caCert.get())) {
          store.setCertificateEntry("ca-" + n++, cert);
        }
        factory.init(store);
      }
      for (TrustManager manager : factory.getTrustManagers()) {
        if (manager instanceof X509TrustManager x509) {
          return x509;
        }
      }
      throw new IllegalStateException("the JVM offers no X.509 trust manager");
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot set up TLS trust: " + e.getMessage(), e);
    }
  }

  private static KeyManager[] keyManagers(Path certFile, Path keyFile) {
    Collection<? extends Certificate> chain = certificates(ConsulTls.CLIENT_CERT_ENV, certFile);
    PrivateKey key = privateKey(keyFile);
    requireSameKeyPair(chain.iterator().next(), key, certFile, keyFile);
    try {
      // The store only lives in memory, so its password protects nothing.
      char[] password = new char[0];
      KeyStore store = emptyStore();
      store.setKeyEntry("client", key, password, chain.toArray(Certificate[]::new));
      KeyManagerFactory factory =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      factory.init(store, password);
      return factory.getKeyManagers();
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(ConsulTls.CLIENT_CERT_ENV + "/"
          + ConsulTls.CLIENT_KEY_ENV + ": cannot use the client certificate and key ("
          + e.getMessage() + ")", e);
    }
  }

  /** Signs and verifies a probe, so a mismatch is reported here and not as a TLS alert later. */
  private static void requireSameKeyPair(Certificate cert, PrivateKey key, Path certFile,
      Path keyFile) {
    String algorithm = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      default -> key.getAlgorithm(); // Ed25519 signs without a separate digest
    };
    boolean matches;
    try {
      byte[] probe = "registry-bridge".getBytes(StandardCharsets.US_ASCII);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(cert.getPublicKey());
      verifier.update(probe);
      matches = verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      matches = false;
    }
    if (!matches) {
      throw new IllegalArgumentException(ConsulTls.CLIENT_KEY_ENV + ": the key in " + keyFile
          + " does not belong to the first certificate in " + certFile + " ("
          + ConsulTls.CLIENT_CERT_ENV + ")");
    }
  }

  private static Collection<? extends Certificate> certificates(String env, Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      Collection<? extends Certificate> certs =
          CertificateFactory.getInstance("X.509").generateCertificates(in);
      if (certs.isEmpty()) {
        throw new IllegalArgumentException(env + ": no certificate in " + file);
      }
      return certs;
    } catch (IOException e) {
      throw new IllegalArgumentException(env + ": cannot read " + file + " ("
          + e.getClass().getSimpleName() + ")", e);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(env + ": " + file + " is not a PEM certificate file", e);
    }
  }

  private static PrivateKey privateKey(Path file) {
    String env = ConsulTls.CLIENT_KEY_ENV;
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
        PEMParser parser = new PEMParser(reader)) {
      Object pem = parser.readObject();
      PrivateKeyInfo info = null;
      if (pem instanceof PEMKeyPair pair) { // "RSA PRIVATE KEY", "EC PRIVATE KEY"
        info = pair.getPrivateKeyInfo();
      } else if (pem instanceof PrivateKeyInfo pkcs8) { // "PRIVATE KEY"
        info = pkcs8;
      }
      if (info == null) {
        // Deliberately no detail: never echo key material.
        throw new IllegalArgumentException(env + ": " + file + " holds no unencrypted private "
            + "key (expected PEM 'PRIVATE KEY', 'RSA PRIVATE KEY' or 'EC PRIVATE KEY')");
      }
      return jdkKey(env, file, info);
    } catch (IOException e) {
      throw new IllegalArgumentException(env + ": cannot read a PEM private key from " + file
          + " (" + e.getClass().getSimpleName() + ")");
    }
  }

  // BouncyCastle only parses; the key itself is made by the JDK's providers (BC's converter would
  // ask them for "ECDSA", a name only the BC provider knows).
  private static PrivateKey jdkKey(String env, Path file, PrivateKeyInfo info) throws IOException {
    ASN1ObjectIdentifier algorithm = info.getPrivateKeyAlgorithm().getAlgorithm();
    String name;
    if (algorithm.equals(PKCSObjectIdentifiers.rsaEncryption)) {
      name = "RSA";
    } else if (algorithm.equals(X9ObjectIdentifiers.id_ecPublicKey)) {
      name = "EC";
    } else if (algorithm.equals(EdECObjectIdentifiers.id_Ed25519)) {
      name = "Ed25519";
    } else {
      throw new IllegalArgumentException(env + ": " + file + " holds a key of an unsupported "
          + "algorithm (" + algorithm + "); use RSA or EC");
    }
    try {
      return KeyFactory.getInstance(name)
          .generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(env + ": " + file + " holds an unusable " + name
          + " key");
    }
  }

  private static KeyStore emptyStore() throws GeneralSecurityException {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try {
      store.load(null, null);
    } catch (IOException e) {
      throw new IllegalStateException("cannot create an in-memory key store", e);
    }
    return store;
  }

  /** For {@code CONSUL_HTTP_SSL_VERIFY=false} only. */
  private static final class TrustEverything extends X509ExtendedTrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
