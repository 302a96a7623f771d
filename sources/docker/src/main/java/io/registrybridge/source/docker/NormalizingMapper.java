package io.registrybridge.source.docker;

import static java.util.Objects.requireNonNull;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import io.registrybridge.core.ServiceInstance;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The production {@link ContainerMapper}: inspect response → {@link ContainerView} → {@link
 * ContainerNormalizer}, with every problem logged as one WARN line naming the container and the
 * key. Each container's problems are logged when its services are computed, i.e. on start and on
 * every re-listing, not on every event-free resync of the sinks.
 */
public final class NormalizingMapper implements ContainerMapper {
  private static final Logger log = LoggerFactory.getLogger(NormalizingMapper.class);

  private final ContainerNormalizer normalizer;
  private final DockerClient docker;

  /** @param docker used only to inspect the container whose network a container shares */
  public NormalizingMapper(ContainerNormalizer normalizer, DockerClient docker) {
    this.normalizer = requireNonNull(normalizer, "normalizer");
    this.docker = requireNonNull(docker, "docker");
  }

  @Override
  public List<ServiceInstance> instancesOf(InspectContainerResponse container) {
    ContainerView view = InspectedContainers.view(container, this::inspect);
    ContainerNormalizer.Result result = normalizer.normalize(view);
    for (ContainerNormalizer.Problem problem : result.problems()) {
      log.warn("docker: container {}: {}: {}", problem.container(), problem.key(),
          problem.message());
    }
    if (log.isDebugEnabled()) {
      for (ContainerNormalizer.Problem note : result.notes()) {
        log.debug("docker: container {}: {}: {}", note.container(), note.key(), note.message());
      }
    }
    return result.instances();
  }

  private Optional<InspectContainerResponse> inspect(String containerId) {
    try {
      return Optional.of(docker.inspectContainerCmd(containerId).exec());
    } catch (NotFoundException e) {
      return Optional.empty();
    }
  }
}
