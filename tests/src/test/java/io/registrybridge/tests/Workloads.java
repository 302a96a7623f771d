package io.registrybridge.tests;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HealthCheck;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.testcontainers.DockerClientFactory;

/**
 * Test containers that only need to exist with the right ports, labels and environment: busybox
 * looping until it receives SIGTERM, then exiting 0. Everything created is removed on close.
 */
final class Workloads implements AutoCloseable {
  static final String IMAGE = "busybox:1.36";
  /** On every container and network a test creates, so that a killed run's can be removed. */
  static final String LABEL = "registry-bridge.test";
  /** Exits 0 on SIGTERM (docker stop) within a second; busybox as PID 1 ignores it otherwise. */
  private static final String[] LOOP =
      {"sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"};

  private final DockerClient docker = DockerClientFactory.instance().client();
  private final String run = UUID.randomUUID().toString().substring(0, 8);
  private final List<String> containers = new ArrayList<>();
  private final List<String> networks = new ArrayList<>();

  DockerClient docker() {
    return docker;
  }

  /** A unique prefix for names in this test, so services of other runs never mix in. */
  String prefix(String base) {
    return base + "-" + run;
  }

  /** Describes one container to start. */
  static final class Spec {
    final String name;
    final Map<String, String> env = new LinkedHashMap<>();
    final Map<String, String> labels = new LinkedHashMap<>();
    final List<ExposedPort> exposed = new ArrayList<>();
    final List<PortBinding> bindings = new ArrayList<>();
    final List<String> networks = new ArrayList<>();
    String networkMode;
    Consumer<CreateContainerCmd> customizer = cmd -> { };

    Spec(String name) {
      this.name = name;
    }

    Spec env(String key, String value) {
      env.put(key, value);
      return this;
    }

    Spec label(String key, String value) {
      labels.put(key, value);
      return this;
    }

    /** Exposes a TCP port without publishing it. */
    Spec expose(int port) {
      exposed.add(ExposedPort.tcp(port));
      return this;
    }

    /** Exposes and publishes a TCP port on a random host port. */
    Spec publish(int port) {
      return publish(ExposedPort.tcp(port));
    }

    Spec publishUdp(int port) {
      return publish(ExposedPort.udp(port));
    }

    private Spec publish(ExposedPort port) {
      exposed.add(port);
      bindings.add(new PortBinding(Ports.Binding.empty(), port));
      return this;
    }

    /** Connects to a user network (the first one is the container's network mode). */
    Spec network(String network) {
      networks.add(network);
      return this;
    }

    Spec networkMode(String mode) {
      networkMode = mode;
      return this;
    }

    /** A HEALTHCHECK running {@code shell} with {@code sh -c}; one failure makes it unhealthy. */
    Spec healthCheck(String shell, Duration interval) {
      customizer = cmd -> cmd.withHealthcheck(new HealthCheck()
          .withTest(List.of("CMD-SHELL", shell))
          .withInterval(interval.toNanos())
          .withTimeout(Duration.ofSeconds(5).toNanos())
          .withRetries(1));
      return this;
    }
  }

  /** Runs {@code sh -c shell} in a running container and waits for it to finish. */
  void exec(String id, String shell) {
    String exec = docker.execCreateCmd(id).withCmd("sh", "-c", shell).exec().getId();
    try {
      docker.execStartCmd(exec).start().awaitCompletion(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Creates and starts the container; returns its ID. */
  String start(Spec spec) {
    List<String> env = new ArrayList<>();
    spec.env.forEach((k, v) -> env.add(k + "=" + v));
    HostConfig host = HostConfig.newHostConfig().withPortBindings(spec.bindings);
    if (spec.networkMode != null) {
      host.withNetworkMode(spec.networkMode);
    } else if (!spec.networks.isEmpty()) {
      host.withNetworkMode(spec.networks.get(0));
    }
    Map<String, String> labels = new LinkedHashMap<>(spec.labels);
    labels.put(LABEL, run);
    CreateContainerCmd cmd = docker.createContainerCmd(IMAGE)
        .withName(spec.name)
        .withCmd(LOOP)
        .withEnv(env)
        .withLabels(labels)
        .withExposedPorts(spec.exposed)
        .withHostConfig(host);
    spec.customizer.accept(cmd);
    String id = cmd.exec().getId();
    containers.add(id);
    for (String network : spec.networks.subList(Math.min(1, spec.networks.size()),
        spec.networks.size())) {
      docker.connectToNetworkCmd().withNetworkId(network).withContainerId(id).exec();
    }
    docker.startContainerCmd(id).exec();
    return id;
  }

  InspectContainerResponse inspect(String id) {
    return docker.inspectContainerCmd(id).exec();
  }

  /** The host port a container port was published on. */
  int hostPort(String id, int containerPort) {
    Ports.Binding[] bindings = inspect(id).getNetworkSettings().getPorts().getBindings()
        .get(ExposedPort.tcp(containerPort));
    for (Ports.Binding binding : bindings) {
      if (!binding.getHostIp().contains(":")) {
        return Integer.parseInt(binding.getHostPortSpec());
      }
    }
    return Integer.parseInt(bindings[0].getHostPortSpec());
  }

  /** The container's IPv4 address on a network. */
  String ip(String id, String network) {
    return inspect(id).getNetworkSettings().getNetworks().get(network).getIpAddress();
  }

  void stop(String id) {
    docker.stopContainerCmd(id).withTimeout(5).exec();
  }

  void kill(String id) {
    docker.killContainerCmd(id).exec();
  }

  void remove(String id) {
    docker.removeContainerCmd(id).withForce(true).exec();
    containers.remove(id);
  }

  String createNetwork(String name) {
    docker.createNetworkCmd().withName(name).withDriver("bridge").withLabels(Map.of(LABEL, run))
        .exec();
    networks.add(name);
    return name;
  }

  @Override
  public void close() {
    for (String id : List.copyOf(containers)) {
      try {
        docker.removeContainerCmd(id).withForce(true).exec();
      } catch (RuntimeException e) {
        // already gone
      }
    }
    for (String network : networks) {
      try {
        docker.removeNetworkCmd(network).exec();
      } catch (RuntimeException e) {
        // still in use by a container of another test: harmless
      }
    }
  }
}
