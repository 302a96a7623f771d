package io.registrybridge.source.docker;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Optional;

/**
 * The command-line options that decide how containers become services; the names are
 * Registrator's.
 *
 * @param internal {@code -internal}: register every exposed port with the container's own
 *     address and port instead of the published host port
 * @param hostIp {@code -ip}: the address of every published service, whatever the binding says,
 *     and of every service of a {@code host} network container; not used for {@code -internal}
 *     services, which have the container's own address
 * @param explicit {@code -explicit}: register only ports that have a {@code SERVICE_NAME} (or
 *     {@code SERVICE_<port>_NAME})
 * @param useIpFromLabel {@code -useIpFromLabel}: a label whose value, when set, is the service
 *     address
 * @param forcedTags {@code -tags}, already split: appended to every service's tags
 * @param hostName the first part of generated service IDs ({@code <host>:<container>:<port>});
 *     the caller picks it (Registrator used its own container's hostname)
 * @param preferredNetwork in {@code -internal} mode, the network whose address to use when the
 *     container is attached to it
 * @param dockerHealth {@code -docker-health}: mirror a container's {@code HEALTHCHECK} status
 *     into its services when they have no {@code SERVICE_CHECK_*} (see {@link HealthMirror})
 */
public record NormalizerConfig(
    boolean internal,
    Optional<String> hostIp,
    boolean explicit,
    Optional<String> useIpFromLabel,
    List<String> forcedTags,
    String hostName,
    Optional<String> preferredNetwork,
    boolean dockerHealth) {

  public NormalizerConfig {
    requireNonNull(hostName, "hostName");
    hostIp = nonBlank(requireNonNull(hostIp, "hostIp"));
    useIpFromLabel = nonBlank(requireNonNull(useIpFromLabel, "useIpFromLabel"));
    preferredNetwork = nonBlank(requireNonNull(preferredNetwork, "preferredNetwork"));
    forcedTags = forcedTags.stream().map(String::trim).filter(t -> !t.isEmpty()).toList();
    if (hostName.isBlank()) {
      throw new IllegalArgumentException("hostName must not be blank");
    }
  }

  /** Starts a builder with Registrator's defaults (published ports, no flags), health mirrored. */
  public static Builder builder(String hostName) {
    return new Builder(hostName);
  }

  // A flag given as an empty string (-ip "") means "not set", as in Registrator.
  private static Optional<String> nonBlank(Optional<String> value) {
    return value.map(String::trim).filter(v -> !v.isEmpty());
  }

  /** Fluent builder; unset options are off or empty. */
  public static final class Builder {
    private final String hostName;
    private boolean internal;
    private String hostIp;
    private boolean explicit;
    private String useIpFromLabel;
    private List<String> forcedTags = List.of();
    private String preferredNetwork;
    private boolean dockerHealth = true;

    private Builder(String hostName) {
      this.hostName = hostName;
    }

    public Builder internal(boolean internal) {
      this.internal = internal;
      return this;
    }

    public Builder hostIp(String hostIp) {
      this.hostIp = hostIp;
      return this;
    }

    public Builder explicit(boolean explicit) {
      this.explicit = explicit;
      return this;
    }

    public Builder useIpFromLabel(String label) {
      this.useIpFromLabel = label;
      return this;
    }

    public Builder forcedTags(List<String> tags) {
      this.forcedTags = tags;
      return this;
    }

    public Builder preferredNetwork(String network) {
      this.preferredNetwork = network;
      return this;
    }

    /** Whether to mirror Docker health checks; on unless turned off. */
    public Builder dockerHealth(boolean dockerHealth) {
      this.dockerHealth = dockerHealth;
      return this;
    }

    public NormalizerConfig build() {
      return new NormalizerConfig(internal, Optional.ofNullable(hostIp), explicit,
          Optional.ofNullable(useIpFromLabel), forcedTags, hostName,
          Optional.ofNullable(preferredNetwork), dockerHealth);
    }
  }
}
