package io.registrybridge.spi;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * TLS settings for a client that speaks plain HTTP only, for client libraries that set TLS up
 * unless they are given settings: kiwi's Consul client (OkHttp) for a {@code consul://} endpoint,
 * docker-java's Apache transport for the engine's Unix socket.
 *
 * <p>Why: such a client builds the JDK's default TLS at once, whether or not a request ever uses
 * it: the default trust store (every CA certificate parsed) and an {@code SSLContext}. Measured on
 * a cold JVM (issue 18): an OkHttp client costs 180 ms and about 660 classes more than one told
 * it is cleartext only. Where a library cannot be told that, it takes a context instead, and gets
 * this one. Nothing here can make a connection: the socket factory refuses every socket and the
 * trust manager trusts no certificate, so a TLS connection reached by mistake fails instead of
 * going unverified.
 */
public final class PlainHttpOnly {
  private static final String REFUSED =
      "this client speaks plain HTTP only: no TLS is configured for it";

  /** Trusts no certificate. */
  public static final X509TrustManager TRUSTS_NOTHING = new X509TrustManager() {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      throw new CertificateException(REFUSED);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      throw new CertificateException(REFUSED);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  };

  private PlainHttpOnly() {}

  /** A context whose socket factory refuses every socket; nothing is set up to make it. */
  public static SSLContext context() {
    return new SSLContext(new RefusingSpi(), null, "none") {};
  }

  private static final class RefusingSpi extends SSLContextSpi {
    @Override
    protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom random) {
      throw new UnsupportedOperationException(REFUSED);
    }

    @Override
    protected SSLSocketFactory engineGetSocketFactory() {
      return RefusingSocketFactory.INSTANCE;
    }

    @Override
    protected SSLServerSocketFactory engineGetServerSocketFactory() {
      throw new UnsupportedOperationException(REFUSED);
    }

    @Override
    protected SSLEngine engineCreateSSLEngine() {
      throw new UnsupportedOperationException(REFUSED);
    }

    @Override
    protected SSLEngine engineCreateSSLEngine(String host, int port) {
      throw new UnsupportedOperationException(REFUSED);
    }

    @Override
    protected SSLSessionContext engineGetServerSessionContext() {
      throw new UnsupportedOperationException(REFUSED);
    }

    @Override
    protected SSLSessionContext engineGetClientSessionContext() {
      throw new UnsupportedOperationException(REFUSED);
    }
  }

  private static final class RefusingSocketFactory extends SSLSocketFactory {
    static final RefusingSocketFactory INSTANCE = new RefusingSocketFactory();

    @Override
    public String[] getDefaultCipherSuites() {
      return new String[0];
    }

    @Override
    public String[] getSupportedCipherSuites() {
      return new String[0];
    }

    @Override
    public Socket createSocket(Socket socket, String host, int port, boolean autoClose)
        throws IOException {
      throw new IOException(REFUSED);
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
      throw new IOException(REFUSED);
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort)
        throws IOException {
      throw new IOException(REFUSED);
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
      throw new IOException(REFUSED);
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress,
        int localPort) throws IOException {
      throw new IOException(REFUSED);
    }
  }
}
