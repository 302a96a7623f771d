package io.registrybridge.source.docker;

import io.registrybridge.core.AttributeValues;
import com.google.common.net.InetAddresses;
import io.registrybridge.source.docker.ContainerView.NetworkAddress;
import java.net.InetAddress;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;

/** Where a container can be reached: the address rules of the normalizer. */
final class ContainerAddresses {
  /** A container label naming the network whose address {@code -internal} registers. */
  static final String NETWORK_LABEL = "registry-bridge.network";

  private static final Set<String> SPECIAL_MODES = Set.of("default", "bridge", "host", "none");

  private ContainerAddresses() {}

  /**
   * The container's own address for {@code -internal} mode, IPv4 preferred, IPv6 when the chosen
   * network has only that. The network is, in order: the one named by the container's {@value
   * #NETWORK_LABEL} label, the {@code preferred} one (the command-line flag), Docker's {@code
   * bridge} network, the user network named by the network mode, and the alphabetically first
   * network with an address.
   *
   * <p>Registrator used the legacy {@code NetworkSettings.IPAddress} and otherwise the address on
   * whichever network Go's map iteration returned last, which changes between runs for a
   * container on two networks.
   *
   * @param problems receives a label naming a network the container has no address on
   * @param notes receives the same for the flag, which is expected to miss some containers
   */
  static Optional<String> internal(ContainerView c, Optional<String> preferred,
      BiConsumer<String, String> problems, BiConsumer<String, String> notes) {
    Map<String, NetworkAddress> networks = c.networks();
    String label = c.labels().getOrDefault(NETWORK_LABEL, "").trim();
    if (!label.isEmpty()) {
      Optional<String> ip = on(networks, label);
      if (ip.isPresent()) {
        return ip;
      }
      problems.accept(NETWORK_LABEL, "the container has no address on network '" + label
          + "'; using the default choice");
    }
    if (preferred.isPresent()) {
      Optional<String> ip = on(networks, preferred.get());
      if (ip.isPresent()) {
        return ip;
      }
      notes.accept("network", "no address on preferred network '" + preferred.get()
          + "'; using the default choice");
    }
    Optional<String> ip = on(networks, "bridge");
    if (ip.isEmpty() && !SPECIAL_MODES.contains(c.networkMode())) {
      ip = on(networks, c.networkMode());
    }
    if (ip.isPresent()) {
      return ip;
    }
    return networks.values().stream()
        .map(NetworkAddress::preferred)
        .flatMap(Optional::stream)
        .findFirst();
  }

  /**
   * The address in {@code useIpFromLabel}, without a {@code /prefix} ({@code 10.0.0.5/24} gives
   * {@code 10.0.0.5}); empty when the label is absent or blank. Registrator registered whatever
   * the label held; a value that is not an IP address is reported here and ignored.
   */
  static Optional<String> fromLabel(ContainerView c, String labelName,
      BiConsumer<String, String> problems) {
    String value = c.labels().getOrDefault(labelName, "").trim();
    if (value.isEmpty()) {
      return Optional.empty();
    }
    int slash = value.lastIndexOf('/');
    String ip = (slash >= 0 ? value.substring(0, slash) : value).trim();
    if (!InetAddresses.isInetAddress(ip)) {
      problems.accept(labelName, AttributeValues.quote(value)
          + " is not an IP address; using the usual address");
      return Optional.empty();
    }
    return Optional.of(ip);
  }

  /** Whether a binding's host IP names one address, rather than all ({@code 0.0.0.0}, ...). */
  static boolean isSpecific(String hostIp) {
    if (hostIp.isEmpty() || !InetAddresses.isInetAddress(hostIp)) {
      return false;
    }
    InetAddress address = InetAddresses.forString(hostIp);
    return !address.isAnyLocalAddress();
  }

  private static Optional<String> on(Map<String, NetworkAddress> networks, String name) {
    NetworkAddress address = networks.get(name);
    return address == null ? Optional.empty() : address.preferred();
  }
}
