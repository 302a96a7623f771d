package io.registrybridge.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import com.google.common.net.HostAndPort;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.kiwiproject.consul.Consul;
import org.kiwiproject.consul.model.health.Service;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * A real Consul agent in dev mode (state in memory), on a fixed host port so that it keeps its
 * address across a restart, which is how tests make Consul lose everything.
 */
final class ConsulAgent implements AutoCloseable {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final ObjectMapper JSON = new ObjectMapper();
  private final int port;
  private final GenericContainer<?> container;
  private Consul client;

  private ConsulAgent(int port) {
    this.port = port;
    String image = System.getenv().getOrDefault("CONSUL_IMAGE", "hashicorp/consul:1.8.7");
    this.container = new GenericContainer<>(DockerImageName.parse(image))
        .withCommand("agent", "-dev", "-client", "0.0.0.0", "-log-level", "warn")
        // The bridge under test sees this container too: keep Consul out of the catalog.
        .withEnv("SERVICE_IGNORE", "true")
        // What a killed test run leaves behind can be found and removed (README, "Run the tests").
        .withLabel(Workloads.LABEL, "consul")
        .withExposedPorts(8500)
        .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withPortBindings(
            new PortBinding(Ports.Binding.bindPort(port), ExposedPort.tcp(8500))))
        .waitingFor(Wait.forHttp("/v1/status/leader")
            .forResponsePredicate(body -> body.startsWith("\"") && body.length() > 2)
            .withStartupTimeout(Duration.ofSeconds(60)));
  }

  /** Picks a free port but does not start; for tests where Consul comes up after the bridge. */
  static ConsulAgent onFreePort() {
    return new ConsulAgent(freePort());
  }

  static ConsulAgent started() {
    ConsulAgent agent = onFreePort();
    agent.start();
    return agent;
  }

  void start() {
    container.start();
  }

  /** Restarts the agent in place: dev mode forgets every registration. */
  void restart() {
    container.getDockerClient().restartContainerCmd(container.getContainerId())
        .withTimeout(2).exec();
    // As at start: ready once the HTTP API answers and a leader is elected.
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
        .until(() -> !client().statusClient().getLeader().isBlank());
  }

  String uri() {
    return "consul://localhost:" + port;
  }

  int port() {
    return port;
  }

  Consul client() {
    if (client == null) {
      client = Consul.builder().withHostAndPort(HostAndPort.fromParts("localhost", port))
          .withPing(false).build();
    }
    return client;
  }

  /**
   * {@code GET path} on the agent's HTTP API, parsed: for what kiwi's model leaves out or
   * reshapes (a catalog node's own address and meta, raw {@code Weights}, modify indexes).
   */
  JsonNode json(String path) {
    try {
      HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
          URI.create("http://localhost:" + port + path)).build(),
          HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IllegalStateException("GET " + path + ": " + response.statusCode() + " "
            + response.body());
      }
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Every service the agent holds, by ID. */
  Map<String, Service> services() {
    return new TreeMap<>(client().agentClient().getServices());
  }

  /** The services whose name starts with {@code prefix}, by ID: a test's own services. */
  Map<String, Service> servicesNamed(String prefix) {
    return services().entrySet().stream()
        .filter(e -> e.getValue().getService().startsWith(prefix))
        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a,
            TreeMap::new));
  }

  @Override
  public void close() {
    if (client != null) {
      client.destroy();
    }
    container.stop();
  }

  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
