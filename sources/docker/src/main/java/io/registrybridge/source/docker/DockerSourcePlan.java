package io.registrybridge.source.docker;

import com.github.dockerjava.api.DockerClient;
import io.registrybridge.core.Source;
import io.registrybridge.spi.DaemonSettings;
import io.registrybridge.spi.SourceHost;
import io.registrybridge.spi.SourcePlan;
import java.nio.file.Files;
import java.util.Optional;

/** The Docker source's checked settings; opens the engine's client and names the host. */
final class DockerSourcePlan implements SourcePlan {
  private final DockerOptions options;
  private final DaemonSettings settings;
  private final DeregisterPolicy deregister;
  private String host;
  private DockerClient docker;

  private DockerSourcePlan(DockerOptions options, DaemonSettings settings,
      DeregisterPolicy deregister) {
    this.options = options;
    this.settings = settings;
    this.deregister = deregister;
  }

  /** @throws IllegalArgumentException naming the flag or variable that is wrong */
  static DockerSourcePlan of(DockerOptions options, DaemonSettings settings) {
    DockerClients.validate(settings.env());
    String hostIp = blankToNull(options.hostIp);
    if (hostIp != null && !io.registrybridge.core.IpLiterals.isIpLiteral(hostIp)) {
      throw new IllegalArgumentException("-ip must be an IP address, not '" + hostIp + "'");
    }
    return new DockerSourcePlan(options, settings, DeregisterPolicy.parse(options.deregister));
  }

  /** {@code -deregister}, parsed. */
  DeregisterPolicy deregister() {
    return deregister;
  }

  @Override
  public void open() {
    host = DockerClients.resolveHost(settings.env(), Files::exists);
    docker = DockerClients.open(host, settings.env());
  }

  @Override
  public Optional<String> hostName(HostNameWait wait) {
    return Optional.ofNullable(EngineName.waitFor(docker, host, settings.retry(),
        wait.stopping(), wait.gaveUp()));
  }

  @Override
  public String waitingFor() {
    return "waiting for the Docker engine";
  }

  @Override
  public Source create(SourceHost sourceHost) {
    ContainerNormalizer normalizer = new ContainerNormalizer(normalizerConfig(
        sourceHost.ownerId()));
    return new DockerSource(docker, new NormalizingMapper(normalizer, docker), deregister,
        settings.retry().backoff(), sourceHost.executor(), sourceHost.clock(),
        sourceHost.meters());
  }

  /** What a container becomes, with this owner; for tests of the flags. */
  NormalizerConfig normalizerConfig(String ownerId) {
    NormalizerConfig.Builder builder = NormalizerConfig.builder(ownerId)
        .internal(options.internal)
        .explicit(options.explicit)
        .forcedTags(settings.forcedTags())
        .dockerHealth(options.dockerHealth);
    Optional.ofNullable(blankToNull(options.hostIp)).ifPresent(builder::hostIp);
    Optional.ofNullable(blankToNull(options.useIpFromLabel)).ifPresent(builder::useIpFromLabel);
    Optional.ofNullable(blankToNull(options.network)).ifPresent(builder::preferredNetwork);
    return builder.build();
  }

  @Override
  public void close() {
    if (docker != null) {
      try {
        docker.close();
      } catch (java.io.IOException | RuntimeException e) {
        // Closing at shutdown: nothing is left to tell.
      }
    }
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value.trim();
  }
}
