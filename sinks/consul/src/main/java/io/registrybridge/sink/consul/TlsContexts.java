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
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
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
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

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
          + ConsulTls.CLIENT_KEY_ENV + ": the key does not fit the certificate ("
          + e.getMessage() + ")", e);
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
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      if (pem instanceof PEMKeyPair pair) { // "RSA PRIVATE KEY", "EC PRIVATE KEY"
        return converter.getPrivateKey(pair.getPrivateKeyInfo());
      }
      if (pem instanceof PrivateKeyInfo info) { // "PRIVATE KEY" (PKCS#8)
        return converter.getPrivateKey(info);
      }
      // Deliberately no detail: never echo key material.
      throw new IllegalArgumentException(env + ": " + file + " holds no unencrypted private key "
          + "(expected PEM 'PRIVATE KEY', 'RSA PRIVATE KEY' or 'EC PRIVATE KEY')");
    } catch (IOException e) {
      throw new IllegalArgumentException(env + ": cannot read a PEM private key from " + file
          + " (" + e.getClass().getSimpleName() + ")");
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
