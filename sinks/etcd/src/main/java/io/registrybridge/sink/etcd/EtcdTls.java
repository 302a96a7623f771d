package io.registrybridge.sink.etcd;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Collection;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;

/**
 * Builds the {@link SSLContext} for {@code ?tls} from {@link EtcdAccess}'s files. Servers are
 * always verified (the JDK's HttpClient checks the certificate's names too); there is no switch
 * to turn that off. Errors name the variable and file, never file content.
 */
final class EtcdTls {
  // Key algorithms by the OID in a PKCS#8 structure; the JDK's own providers make the key.
  private static final Map<String, String> KEY_ALGORITHMS = Map.of(
      "1.2.840.113549.1.1.1", "RSA", "1.2.840.10045.2.1", "EC", "1.3.101.112", "Ed25519");

  private EtcdTls() {}

  static SSLContext context(EtcdAccess access) {
    try {
      TrustManagerFactory trust =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      if (access.caCert().isPresent()) {
        KeyStore store = emptyStore();
        int n = 0;
        for (Certificate ca : certificates(EtcdAccess.CA_CERT_ENV, access.caCert().get())) {
          store.setCertificateEntry("ca-" + n++, ca);
        }
        trust.init(store);
      } else {
        trust.init((KeyStore) null);
      }
      KeyManagerFactory keys = null;
      if (access.clientCert().isPresent()) {
        Collection<? extends Certificate> chain =
            certificates(EtcdAccess.CERT_ENV, access.clientCert().get());
        PrivateKey key = privateKey(access.clientKey().orElseThrow());
        KeyStore store = emptyStore();
        // In memory only: the password protects nothing.
        store.setKeyEntry("client", key, new char[0], chain.toArray(Certificate[]::new));
        keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, new char[0]);
      }
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keys == null ? null : keys.getKeyManagers(), trust.getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot set up TLS for etcd: " + e.getMessage(), e);
    }
  }

  private static Collection<? extends Certificate> certificates(String env, Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      Collection<? extends Certificate> certs =
          java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(in);
      if (certs.isEmpty()) {
        throw new IllegalArgumentException(env + ": no certificate in " + file);
      }
      return certs;
    } catch (IOException e) {
      throw new IllegalArgumentException(env + ": cannot read " + file + " ("
          + e.getClass().getSimpleName() + ")", e);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(env + ": " + file + " holds no PEM certificate", e);
    }
  }

  private static PrivateKey privateKey(Path file) {
    String env = EtcdAccess.KEY_ENV;
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
        PEMParser parser = new PEMParser(reader)) {
      Object pem = parser.readObject();
      PrivateKeyInfo info = pem instanceof PEMKeyPair pair ? pair.getPrivateKeyInfo()
          : pem instanceof PrivateKeyInfo pkcs8 ? pkcs8 : null;
      if (info == null) {
        throw new IllegalArgumentException(env + ": " + file + " holds no unencrypted PEM "
            + "private key");
      }
      String algorithm =
          KEY_ALGORITHMS.get(info.getPrivateKeyAlgorithm().getAlgorithm().getId());
      if (algorithm == null) {
        throw new IllegalArgumentException(env + ": " + file + " holds a key of an unsupported"
            + " algorithm; use RSA, EC or Ed25519");
      }
      return KeyFactory.getInstance(algorithm)
          .generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException(env + ": cannot read a private key from " + file
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
}
