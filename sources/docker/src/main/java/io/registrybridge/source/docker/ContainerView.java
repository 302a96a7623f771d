package io.registrybridge.source.docker;

import static java.util.Objects.requireNonNull;

import io.registrybridge.core.Transport;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What {@link ContainerNormalizer} needs to know about one container, and nothing more.
 *
 * <p>The bridge reads containers through the Docker socket, which is root-equivalent, and a
 * container's environment often holds passwords and tokens. So the view keeps only the
 * environment entries whose key starts with {@code SERVICE_}: the rest never leaves the code that
 * converts Docker's inspect response, and cannot end up in a log line or a registry.
 *
 * @param id the full container ID
 * @param name the container name without Docker's leading {@code /}
 * @param image the image as configured ({@code Config.Image}), e.g. {@code
 *     registry:5000/team/web:1.2@sha256:...}; the default service name comes from it
 * @param serviceEnv the {@code SERVICE_*} environment entries only; other keys are dropped here
 * @param labels every container label
 * @param networkMode {@code HostConfig.NetworkMode}: {@code default}, {@code bridge}, {@code
 *     host}, {@code none}, {@code container:<id>} or a user network name
 * @param networks the container's networks by name. For {@code container:<id>} network mode
 *     these must be the effective networks, i.e. those of the container whose network stack is
 *     shared: the caller inspects that container and passes its networks in
 * @param ports one entry per exposed port and one per host binding; an exposed port that is not
 *     published has empty host fields. Duplicates are harmless: the normalizer groups entries by
 *     container port and transport
 * @param running {@code State.Running}; for the caller, the normalizer does not look at state
 * @param paused {@code State.Paused}
 * @param exitCode {@code State.ExitCode}
 * @param health {@code State.Health} when the container has a {@code HEALTHCHECK}: its status
 *     ({@code starting}, {@code healthy}, {@code unhealthy}) and the last probe's output
 */
public record ContainerView(
    String id,
    String name,
    String image,
    SortedMap<String, String> serviceEnv,
    SortedMap<String, String> labels,
    String networkMode,
    SortedMap<String, NetworkAddress> networks,
    List<PortView> ports,
    boolean running,
    boolean paused,
    long exitCode,
    Optional<DockerHealth> health) {

  /** The prefix of the environment entries a view keeps. */
  public static final String SERVICE_PREFIX = "SERVICE_";

  public ContainerView {
    requireNonNull(id, "id");
    requireNonNull(name, "name");
    requireNonNull(image, "image");
    requireNonNull(serviceEnv, "serviceEnv");
    requireNonNull(labels, "labels");
    requireNonNull(networkMode, "networkMode");
    requireNonNull(networks, "networks");
    requireNonNull(ports, "ports");
    requireNonNull(health, "health");
    name = name.startsWith("/") ? name.substring(1) : name;
    if (name.isBlank()) {
      throw new IllegalArgumentException("container name must not be blank (id " + id + ")");
    }
    // Filtered again here, not only in serviceEnv(String...), so that no caller can hand a
    // secret to the normalizer by mistake.
    SortedMap<String, String> env = new TreeMap<>();
    serviceEnv.forEach((k, v) -> {
      if (k.startsWith(SERVICE_PREFIX)) {
        env.put(k, v == null ? "" : v);
      }
    });
    serviceEnv = Collections.unmodifiableSortedMap(env);
    SortedMap<String, String> labelCopy = new TreeMap<>();
    labels.forEach((k, v) -> labelCopy.put(k, v == null ? "" : v));
    labels = Collections.unmodifiableSortedMap(labelCopy);
    networks = Collections.unmodifiableSortedMap(new TreeMap<>(networks));
    ports = List.copyOf(ports);
  }

  /**
   * The {@code SERVICE_*} entries of a Docker environment list ({@code KEY=value} strings, as in
   * {@code Config.Env}); every other entry is skipped without being looked at further. An entry
   * without {@code =} has no value and is skipped; when a key repeats, the last one wins, as in
   * Docker.
   */
  public static SortedMap<String, String> serviceEnv(String... env) {
    SortedMap<String, String> kept = new TreeMap<>();
    if (env == null) {
      return kept;
    }
    for (String entry : env) {
      if (entry == null || !entry.startsWith(SERVICE_PREFIX)) {
        continue;
      }
      int eq = entry.indexOf('=');
      if (eq > 0) {
        kept.put(entry.substring(0, eq), entry.substring(eq + 1));
      }
    }
    return kept;
  }

  /** Starts a builder; defaults: network mode {@code default}, running, exit code 0. */
  public static Builder builder(String id, String name, String image) {
    return new Builder(id, name, image);
  }

  /**
   * The addresses of the container on one network; an empty string when there is none.
   *
   * @param ipv4 {@code IPAddress}
   * @param ipv6 {@code GlobalIPv6Address}
   */
  public record NetworkAddress(String ipv4, String ipv6) {
    public static final NetworkAddress NONE = new NetworkAddress("", "");

    public NetworkAddress {
      ipv4 = ipv4 == null ? "" : ipv4.trim();
      ipv6 = ipv6 == null ? "" : ipv6.trim();
    }

    /** IPv4 when there is one, else IPv6, else empty. */
    public Optional<String> preferred() {
      if (!ipv4.isEmpty()) {
        return Optional.of(ipv4);
      }
      return ipv6.isEmpty() ? Optional.empty() : Optional.of(ipv6);
    }
  }

  /**
   * One exposed port, or one host binding of it.
   *
   * @param containerPort the port inside the container (the exposed port)
   * @param transport TCP or UDP
   * @param hostIp the binding's {@code HostIp}; empty when not published. {@code 0.0.0.0}, {@code
   *     ::} and the empty string mean every host address
   * @param hostPort the binding's {@code HostPort}; empty when not published
   */
  public record PortView(int containerPort, Transport transport, Optional<String> hostIp,
      Optional<Integer> hostPort) {

    public PortView {
      requireNonNull(transport, "transport");
      requireNonNull(hostIp, "hostIp");
      requireNonNull(hostPort, "hostPort");
      checkPort(containerPort, "container port");
      hostPort.ifPresent(p -> checkPort(p, "host port"));
      hostIp = hostIp.map(String::trim);
    }

    /** An exposed port that is not published. */
    public static PortView exposed(int containerPort, Transport transport) {
      return new PortView(containerPort, transport, Optional.empty(), Optional.empty());
    }

    /** A host binding of a container port; {@code hostIp} may be empty or a wildcard. */
    public static PortView published(int containerPort, Transport transport, String hostIp,
        int hostPort) {
      return new PortView(containerPort, transport, Optional.ofNullable(hostIp),
          Optional.of(hostPort));
    }

    public boolean isPublished() {
      return hostPort.isPresent();
    }

    private static void checkPort(int port, String what) {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException(what + " out of range: " + port);
      }
    }
  }

  /**
   * Docker's verdict on a container with a {@code HEALTHCHECK}.
   *
   * @param status {@code starting}, {@code healthy} or {@code unhealthy}
   * @param lastOutput the output of the most recent probe, trimmed; empty before the first
   */
  public record DockerHealth(String status, String lastOutput) {
    public DockerHealth {
      requireNonNull(status, "status");
      lastOutput = lastOutput == null ? "" : lastOutput.strip();
    }
  }

  /** Builds views, mostly for tests and for the code that converts inspect responses. */
  public static final class Builder {
    private final String id;
    private final String name;
    private final String image;
    private final Map<String, String> env = new LinkedHashMap<>();
    private final Map<String, String> labels = new LinkedHashMap<>();
    private String networkMode = "default";
    private final Map<String, NetworkAddress> networks = new LinkedHashMap<>();
    private final List<PortView> ports = new ArrayList<>();
    private boolean running = true;
    private boolean paused;
    private long exitCode;
    private DockerHealth health;

    private Builder(String id, String name, String image) {
      this.id = id;
      this.name = name;
      this.image = image;
    }

    /** Adds an environment entry; keys not starting with {@code SERVICE_} are dropped. */
    public Builder env(String key, String value) {
      env.put(key, value);
      return this;
    }

    public Builder label(String key, String value) {
      labels.put(key, value);
      return this;
    }

    public Builder networkMode(String networkMode) {
      this.networkMode = networkMode;
      return this;
    }

    public Builder network(String name, String ipv4, String ipv6) {
      networks.put(name, new NetworkAddress(ipv4, ipv6));
      return this;
    }

    public Builder port(PortView port) {
      ports.add(port);
      return this;
    }

    /** An exposed, unpublished TCP port. */
    public Builder exposed(int containerPort) {
      return port(PortView.exposed(containerPort, Transport.TCP));
    }

    public Builder exposed(int containerPort, Transport transport) {
      return port(PortView.exposed(containerPort, transport));
    }

    /** A TCP port published on every host address ({@code 0.0.0.0}). */
    public Builder published(int containerPort, int hostPort) {
      return published(containerPort, Transport.TCP, "0.0.0.0", hostPort);
    }

    public Builder published(int containerPort, Transport transport, String hostIp,
        int hostPort) {
      return port(PortView.published(containerPort, transport, hostIp, hostPort));
    }

    public Builder state(boolean running, boolean paused, long exitCode) {
      this.running = running;
      this.paused = paused;
      this.exitCode = exitCode;
      return this;
    }

    /** Docker's health status and last probe output; a container without one has none. */
    public Builder health(String status, String lastOutput) {
      this.health = new DockerHealth(status, lastOutput);
      return this;
    }

    public ContainerView build() {
      return new ContainerView(id, name, image, new TreeMap<>(env), new TreeMap<>(labels),
          networkMode, new TreeMap<>(networks), ports, running, paused, exitCode,
          Optional.ofNullable(health));
    }
  }
}
