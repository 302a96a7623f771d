package io.registrybridge.source.docker;

import com.github.dockerjava.api.command.InspectContainerResponse;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.SourceObject;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns one inspected, running container into its service instances. Problems with the
 * container's labels are the mapper's to report; it never throws for bad user input.
 */
@FunctionalInterface
public interface ContainerMapper {
  List<ServiceInstance> instancesOf(InspectContainerResponse container);

  /**
   * What the mapper recorded of each container it mapped, by container ID, for {@code
   * /debug/services}; any thread. None by default.
   */
  default Map<String, SourceObject> objects() {
    return Map.of();
  }

  /** Forgets the record of all containers but these; called on the source's thread. */
  default void retainOnly(Set<String> containerIds) {}

  /** Forgets the record of a container that is gone; called on the source's thread. */
  default void forget(String containerId) {}

  /**
   * Maps {@code container} as {@link #instancesOf} would, recording and logging nothing: the
   * source's warm-up ({@link DockerSource#warmUp}); any thread. The default does nothing.
   */
  default void warmUp(InspectContainerResponse container) {}
}
