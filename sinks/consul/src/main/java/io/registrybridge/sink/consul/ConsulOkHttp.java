package io.registrybridge.sink.consul;

import static java.util.Objects.requireNonNull;

import java.net.Proxy;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import okhttp3.ConnectionSpec;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import org.kiwiproject.consul.UnixDomainSocketFactory;

/**
 * A plain OkHttp client for a {@link ConsulEndpoint}, set up as the Consul sink's own client is:
 * the ACL token as the {@code X-Consul-Token} header, TLS from {@link ConsulTls}, a Unix domain
 * socket through kiwi's socket factory, and bounded timeouts. For other sinks on Consul's HTTP API
 * (the {@code consulkv://} sink) that need requests kiwi's typed clients cannot make.
 */
public final class ConsulOkHttp {
  // Cleartext only: OkHttp then sets up no TLS at all (the JDK's trust store and an SSLContext,
  // about 180 ms of a cold start; see io.registrybridge.spi.PlainHttpOnly).
  private static final List<ConnectionSpec> CLEARTEXT_ONLY = List.of(ConnectionSpec.CLEARTEXT);

  private ConsulOkHttp() {}

  /**
   * Builds the client; does not contact Consul.
   *
   * @param tls used only when the endpoint speaks HTTPS
   * @throws IllegalArgumentException when the TLS certificate or key files cannot be used
   */
  public static OkHttpClient client(ConsulEndpoint endpoint, Optional<ConsulToken> token,
      ConsulTls tls, ConsulSinkConfig.Timeouts timeouts) {
    requireNonNull(endpoint, "endpoint");
    requireNonNull(token, "token");
    requireNonNull(tls, "tls");
    OkHttpClient.Builder builder = new OkHttpClient.Builder()
        .connectTimeout(timeouts.connect().toMillis(), TimeUnit.MILLISECONDS)
        .readTimeout(timeouts.request().toMillis(), TimeUnit.MILLISECONDS)
        .writeTimeout(timeouts.request().toMillis(), TimeUnit.MILLISECONDS)
        // Bounds a whole call, however slowly a response trickles in.
        .callTimeout(timeouts.connect().plus(timeouts.request()).toMillis(),
            TimeUnit.MILLISECONDS)
        .retryOnConnectionFailure(false);
    token.ifPresent(t -> builder.addInterceptor(chain -> chain.proceed(
        chain.request().newBuilder().header("X-Consul-Token", t.value()).build())));
    switch (endpoint) {
      case ConsulEndpoint.Tcp tcp -> {
        if (tcp.tls()) {
          TlsContexts.Material material = TlsContexts.load(tls);
          builder.sslSocketFactory(material.sslContext().getSocketFactory(),
              material.trustManager());
          material.hostnameVerifier().ifPresent(builder::hostnameVerifier);
        } else {
          builder.connectionSpecs(CLEARTEXT_ONLY);
        }
      }
      case ConsulEndpoint.UnixSocket unix -> builder.connectionSpecs(CLEARTEXT_ONLY)
          .socketFactory(new UnixDomainSocketFactory(unix.path())).proxy(Proxy.NO_PROXY);
    }
    return builder.build();
  }

  /** The base URL requests go to; for a Unix socket the host is a placeholder. */
  public static HttpUrl baseUrl(ConsulEndpoint endpoint) {
    return switch (endpoint) {
      case ConsulEndpoint.Tcp tcp -> new HttpUrl.Builder().scheme(tcp.tls() ? "https" : "http")
          .host(tcp.host()).port(tcp.port()).build();
      case ConsulEndpoint.UnixSocket unix -> HttpUrl.get("http://localhost/");
    };
  }
}
