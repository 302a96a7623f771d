package io.registrybridge.source.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import com.github.dockerjava.transport.DockerHttpClient;
import com.github.dockerjava.transport.SSLConfig;
import io.registrybridge.spi.PlainHttpOnly;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** Finds the Docker engine and opens a client to it. */
final class DockerClients {
  static final String DEFAULT_SOCKET = "unix:///var/run/docker.sock";
  /** Where Registrator's documentation mounts the socket. */
  static final String REGISTRATOR_SOCKET = "unix:///tmp/docker.sock";

  private DockerClients() {}

  /**
   * {@code DOCKER_HOST} when set; otherwise the default socket, or Registrator's {@code
   * /tmp/docker.sock} when only that one exists. When neither exists yet the default is used and
   * the source waits for it to appear.
   *
   * @throws IllegalArgumentException for Windows named pipes ({@code npipe://}): docker-java needs
   *     JNA for them, which the jar leaves out (see the root pom)
   */
  static String resolveHost(Map<String, String> env, Predicate<Path> exists) {
    String configured = env.get("DOCKER_HOST");
    if (configured != null && !configured.isBlank()) {
      String host = configured.trim();
      if (host.startsWith("npipe:")) {
        throw new IllegalArgumentException("DOCKER_HOST=" + host
            + ": Windows named pipes are not supported; use tcp:// or unix://");
      }
      return host;
    }
    if (!exists.test(Path.of("/var/run/docker.sock")) && exists.test(Path.of("/tmp/docker.sock"))) {
      return REGISTRATOR_SOCKET;
    }
    return DEFAULT_SOCKET;
  }

  /** @param host the engine's address, from {@link #resolveHost} */
  static DockerClient open(String host, Map<String, String> env) {
    DefaultDockerClientConfig.Builder builder = DefaultDockerClientConfig
        .createDefaultConfigBuilder()
        .withDockerHost(host);
    // docker-java reads the TLS settings from system properties; take them from our env map.
    if (env.containsKey("DOCKER_TLS_VERIFY")) {
      builder.withDockerTlsVerify(env.get("DOCKER_TLS_VERIFY"));
    }
    if (env.containsKey("DOCKER_CERT_PATH")) {
      builder.withDockerCertPath(env.get("DOCKER_CERT_PATH"));
    }
    DockerClientConfig config = builder.build();
    return DockerClientImpl.getInstance(config, new EngineHttpClient(
        () -> transport(config, REQUEST_CONNECTIONS, RESPONSE_TIMEOUT),
        transport(config, STREAM_CONNECTIONS, null)));
  }

  /**
   * How long a request may go without a byte from the engine. Info, listing and inspect answer
   * in milliseconds even on a busy engine; ten seconds of silence means a hung engine or a dead
   * connection. It is below the source's own deadline ({@code DockerSource.Timing#request}), so
   * that this client fails first and drops its pooled connections.
   */
  static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(10);
  /** Connections fail fast, so that an engine that went away is noticed and retried. */
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  private static final int REQUEST_CONNECTIONS = 32;
  private static final int STREAM_CONNECTIONS = 4;

  private static DockerHttpClient transport(DockerClientConfig config, int connections,
      Duration responseTimeout) {
    return new ApacheDockerHttpClient.Builder()
        .dockerHost(config.getDockerHost())
        .sslConfig(sslConfig(config))
        .maxConnections(connections)
        .connectionTimeout(CONNECT_TIMEOUT)
        .responseTimeout(responseTimeout)
        .build();
  }

  /**
   * The configured TLS, or for a Unix socket a context that is never used: given none, docker-java
   * sets the JDK's default TLS up for each transport (the trust store and an {@code SSLContext},
   * see {@link PlainHttpOnly}), though a socket file never speaks TLS. A {@code tcp://} engine
   * without TLS must get none: docker-java speaks https to a TCP engine whenever it has a context.
   */
  static SSLConfig sslConfig(DockerClientConfig config) {
    SSLConfig configured = config.getSSLConfig();
    if (configured == null && "unix".equals(config.getDockerHost().getScheme())) {
      return PlainHttpOnly::context;
    }
    return configured;
  }

  /**
   * Two transports behind one client. docker-java 3.7.1 has no per-request timeout, and Apache
   * HttpClient's response timeout is a read timeout for the whole response: on the open-ended
   * event stream it would end an idle stream every few seconds. So {@code GET /events} without
   * {@code until} goes to a transport without a response timeout (the source checks that stream
   * itself), and every other request, bounded {@code /events} checks included, to one with it.
   *
   * <p>When a request times out, the request transport is replaced by a new one and the old one
   * closed: its other pooled connections probably lead into the same black hole (a restarted
   * socket proxy, a dropped conntrack entry), and each would otherwise cost one more timeout.
   */
  static final class EngineHttpClient implements DockerHttpClient {
    private final Supplier<DockerHttpClient> requestTransports;
    private final DockerHttpClient streams;
    private volatile DockerHttpClient requests;

    EngineHttpClient(Supplier<DockerHttpClient> requestTransports, DockerHttpClient streams) {
      this.requestTransports = requestTransports;
      this.streams = streams;
      this.requests = requestTransports.get();
    }

    @Override
    public Response execute(Request request) {
      if (isOpenEventStream(request.path())) {
        return streams.execute(request);
      }
      DockerHttpClient transport = requests;
      try {
        return transport.execute(request);
      } catch (RuntimeException e) {
        if (timedOut(e)) {
          replace(transport);
        }
        throw e;
      }
    }

    static boolean isOpenEventStream(String path) {
      int query = path.indexOf('?');
      String route = query < 0 ? path : path.substring(0, query);
      return route.endsWith("/events") && (query < 0 || !path.substring(query).contains("until="));
    }

    private static boolean timedOut(Throwable e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof SocketTimeoutException) {
          return true;
        }
      }
      return false;
    }

    private synchronized void replace(DockerHttpClient stale) {
      if (requests == stale) {
        requests = requestTransports.get();
        try {
          stale.close();
        } catch (IOException | RuntimeException e) {
          // its connections are dead anyway
        }
      }
    }

    @Override
    public void close() throws IOException {
      try {
        requests.close();
      } finally {
        streams.close();
      }
    }
  }

  /**
   * Refuses a {@code DOCKER_HOST} that docker-java would fail on deep inside (a bare path has no
   * scheme and ends in a NullPointerException there), naming the value and the fix.
   *
   * @throws IllegalArgumentException for a value that is not {@code unix://PATH} or
   *     {@code tcp://HOST:PORT}
   */
  static void validate(Map<String, String> env) {
    String configured = env.get("DOCKER_HOST");
    if (configured == null || configured.isBlank()) {
      return;
    }
    String host = configured.trim();
    if (host.startsWith("/")) {
      throw new IllegalArgumentException("DOCKER_HOST=" + host + " has no scheme; use unix://"
          + host);
    }
    if (!(host.startsWith("unix:///") || host.startsWith("tcp://")
        || host.startsWith("npipe:"))) {
      throw new IllegalArgumentException("DOCKER_HOST=" + host + " is not unix:///PATH or"
          + " tcp://HOST:PORT");
    }
  }
}
