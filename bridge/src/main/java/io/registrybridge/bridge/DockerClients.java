package io.registrybridge.bridge;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Predicate;

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
    // The event stream is long-lived: no response timeout. Connections fail fast so that an
    // engine that went away is noticed and retried with backoff.
    ApacheDockerHttpClient http = new ApacheDockerHttpClient.Builder()
        .dockerHost(config.getDockerHost())
        .sslConfig(config.getSSLConfig())
        .maxConnections(32)
        .connectionTimeout(Duration.ofSeconds(5))
        .build();
    return DockerClientImpl.getInstance(config, http);
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
