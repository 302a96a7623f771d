package io.registrybridge.source.docker;

import com.github.dockerjava.api.command.InspectContainerResponse;
import io.registrybridge.core.ServiceInstance;
import java.util.List;

/**
 * Turns one inspected, running container into its service instances. Problems with the
 * container's labels are the mapper's to report; it never throws for bad user input.
 */
@FunctionalInterface
public interface ContainerMapper {
  List<ServiceInstance> instancesOf(InspectContainerResponse container);
}
