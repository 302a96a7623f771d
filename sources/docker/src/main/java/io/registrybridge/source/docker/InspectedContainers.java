package io.registrybridge.source.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.command.InspectContainerResponse.ContainerState;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.ContainerConfig;
import com.github.dockerjava.api.model.ContainerNetwork;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.InternetProtocol;
import com.github.dockerjava.api.model.NetworkSettings;
import com.github.dockerjava.api.model.Ports;
import io.registrybridge.core.Transport;
import io.registrybridge.source.docker.ContainerView.PortView;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Converts docker-java's inspect response into a {@link ContainerView}. This is the one place
 * that reads a container's environment, and it keeps only {@code SERVICE_*} entries.
 */
final class InspectedContainers {
  private InspectedContainers() {}

  /** Inspects a container; empty when it no longer exists (removed since the event or listing). */
  static Optional<InspectContainerResponse> inspect(DockerClient docker, String containerId) {
    try {
      return Optional.of(docker.inspectContainerCmd(containerId).exec());
    } catch (NotFoundException e) {
      return Optional.empty();
    }
  }

  /**
   * @param networkOwner inspects the container whose network stack a {@code container:<id>}
   *     container shares, so that the view carries the addresses it is really reachable on
   */
  static ContainerView view(InspectContainerResponse inspect,
      Function<String, Optional<InspectContainerResponse>> networkOwner) {
    ContainerConfig config = inspect.getConfig();
    String networkMode = inspect.getHostConfig() == null
        || inspect.getHostConfig().getNetworkMode() == null
        ? "default" : inspect.getHostConfig().getNetworkMode();
    NetworkSettings addressing = inspect.getNetworkSettings();
    if (networkMode.startsWith("container:")) {
      addressing = networkOwner.apply(networkMode.substring("container:".length()))
          .map(InspectContainerResponse::getNetworkSettings)
          .orElse(null);
    }
    ContainerState state = inspect.getState();
    return new ContainerView(
        inspect.getId(),
        inspect.getName() == null ? inspect.getId() : inspect.getName(),
        config == null || config.getImage() == null ? "" : config.getImage(),
        ContainerView.serviceEnv(config == null ? null : config.getEnv()),
        new TreeMap<>(config == null || config.getLabels() == null
            ? Map.of() : config.getLabels()),
        networkMode,
        networks(addressing),
        ports(config, inspect.getNetworkSettings()),
        state != null && Boolean.TRUE.equals(state.getRunning()),
        state != null && Boolean.TRUE.equals(state.getPaused()),
        state == null || state.getExitCodeLong() == null ? 0 : state.getExitCodeLong(),
        health(state));
  }

  /** Docker's health status, with the output of the newest probe in its log (the last entry). */
  private static Optional<ContainerView.DockerHealth> health(ContainerState state) {
    if (state == null || state.getHealth() == null || state.getHealth().getStatus() == null) {
      return Optional.empty();
    }
    var log = state.getHealth().getLog();
    String output = log == null || log.isEmpty() ? "" : log.get(log.size() - 1).getOutput();
    return Optional.of(new ContainerView.DockerHealth(state.getHealth().getStatus(), output));
  }

  private static SortedMap<String, ContainerView.NetworkAddress> networks(
      NetworkSettings settings) {
    SortedMap<String, ContainerView.NetworkAddress> networks = new TreeMap<>();
    if (settings != null && settings.getNetworks() != null) {
      for (Map.Entry<String, ContainerNetwork> e : settings.getNetworks().entrySet()) {
        ContainerNetwork net = e.getValue();
        networks.put(e.getKey(), new ContainerView.NetworkAddress(net.getIpAddress(),
            net.getGlobalIPv6Address()));
      }
    }
    return networks;
  }

  /**
   * Every exposed port, plus one entry per host binding. Exposed ports come from the image and
   * {@code --expose}; bindings only exist while the container runs with published ports. Host
   * network containers have exposed ports but no bindings.
   */
  private static List<PortView> ports(ContainerConfig config, NetworkSettings settings) {
    List<PortView> ports = new ArrayList<>();
    if (config != null && config.getExposedPorts() != null) {
      for (ExposedPort exposed : config.getExposedPorts()) {
        transport(exposed).ifPresent(t -> ports.add(PortView.exposed(exposed.getPort(), t)));
      }
    }
    Ports bound = settings == null ? null : settings.getPorts();
    if (bound != null && bound.getBindings() != null) {
      for (Map.Entry<ExposedPort, Ports.Binding[]> e : bound.getBindings().entrySet()) {
        Optional<Transport> transport = transport(e.getKey());
        if (transport.isEmpty()) {
          continue;
        }
        if (e.getValue() == null) {
          ports.add(PortView.exposed(e.getKey().getPort(), transport.get()));
          continue;
        }
        for (Ports.Binding binding : e.getValue()) {
          hostPort(binding.getHostPortSpec()).ifPresent(hostPort -> ports.add(
              PortView.published(e.getKey().getPort(), transport.get(), binding.getHostIp(),
                  hostPort)));
        }
      }
    }
    return ports;
  }

  /** SCTP ports cannot be registered anywhere we write to; they are left out. */
  private static Optional<Transport> transport(ExposedPort port) {
    InternetProtocol protocol = port.getProtocol();
    if (protocol == InternetProtocol.UDP) {
      return Optional.of(Transport.UDP);
    }
    return protocol == InternetProtocol.TCP || protocol == null
        ? Optional.of(Transport.TCP) : Optional.empty();
  }

  private static Optional<Integer> hostPort(String spec) {
    try {
      int port = Integer.parseInt(spec);
      return port >= 1 && port <= 65535 ? Optional.of(port) : Optional.empty();
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }
}
