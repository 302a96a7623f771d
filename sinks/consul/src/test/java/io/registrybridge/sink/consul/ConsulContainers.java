package io.registrybridge.sink.consul;

import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * Real Consul agents in Docker for the integration tests. The image comes from {@code
 * CONSUL_IMAGE} (default {@value #DEFAULT_IMAGE}); without a Docker engine the tests fail, they
 * are never skipped.
 */
final class ConsulContainers {
  static final String DEFAULT_IMAGE = "hashicorp/consul:1.8.7";
  static final int HTTP_PORT = 8500;

  private ConsulContainers() {}

  static DockerImageName image() {
    String image = System.getenv("CONSUL_IMAGE");
    return DockerImageName.parse(image == null || image.isBlank() ? DEFAULT_IMAGE : image);
  }

  /**
   * A dev-mode agent (in-memory state: a restart forgets every service) with its HTTP API on
   * 8500, ready once it has elected itself leader.
   *
   * @param hcl extra configuration, e.g. ACLs or TLS; may be empty
   */
  @SuppressWarnings("resource") // closed by the test that starts it
  static GenericContainer<?> devAgent(String... hcl) {
    List<String> command = new ArrayList<>(List.of("agent", "-dev", "-client", "0.0.0.0"));
    for (String config : hcl) {
      command.add("-hcl");
      command.add(config);
    }
    return new GenericContainer<>(image())
        .withCommand(command.toArray(String[]::new))
        // What a killed test run leaves behind can be found and removed (README, "Run the tests").
        .withLabel("registry-bridge.test", "consul")
        .withExposedPorts(HTTP_PORT)
        .waitingFor(Wait.forHttp("/v1/status/leader").forPort(HTTP_PORT)
            .forResponsePredicate(body -> body.matches("\"[^\"]+\"\\s*"))
            .withStartupTimeout(Duration.ofSeconds(60)));
  }

  /** Binds the agent's 8500 to {@code hostPort}, so its address survives a container restart. */
  static GenericContainer<?> onFixedPort(GenericContainer<?> container, int hostPort) {
    return container.withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withPortBindings(
        new PortBinding(Ports.Binding.bindPort(hostPort), ExposedPort.tcp(HTTP_PORT))));
  }

  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException("no free port", e);
    }
  }

  /** The container's HTTP API as host:port, as seen from the tests. */
  static String address(GenericContainer<?> consul) {
    return consul.getHost() + ":" + consul.getMappedPort(HTTP_PORT);
  }

  /** The container's HTTP API as a URL, for the tests' own clients and proxies. */
  static String httpUrl(GenericContainer<?> consul) {
    return "http://" + address(consul);
  }

  /** The URI the sink uses for the container's plain HTTP API. */
  static String uri(GenericContainer<?> consul) {
    return "consul://" + address(consul);
  }

  static ConsulHttp http(GenericContainer<?> consul) {
    return new ConsulHttp(httpUrl(consul));
  }
}
