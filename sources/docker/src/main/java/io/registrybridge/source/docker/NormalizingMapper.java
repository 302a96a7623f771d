package io.registrybridge.source.docker;

import static java.util.Objects.requireNonNull;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.SourceObject;
import io.registrybridge.core.attributes.Finding;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The production {@link ContainerMapper}: inspect response → {@link ContainerView} → {@link
 * ContainerNormalizer}, with every problem logged as one WARN line naming the container and the
 * key. A container is normalized on every event about it and on every re-listing; its problems
 * are logged when they first appear or change, not again each time.
 *
 * <p>Called only from the source's thread.
 */
public final class NormalizingMapper implements ContainerMapper {
  private static final Logger log = LoggerFactory.getLogger(NormalizingMapper.class);
  /** Bounds the memory of what was logged; a forgotten container is logged once more. */
  private static final int REMEMBERED_CONTAINERS = 4096;

  /** What each running container gave, by ID; pruned by the source as containers go. */
  private final Map<String, SourceObject> objects = new java.util.concurrent.ConcurrentHashMap<>();
  private final ContainerNormalizer normalizer;
  private final DockerClient docker;
  private final Map<String, List<Finding>> logged =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(
            Map.Entry<String, List<Finding>> eldest) {
          return size() > REMEMBERED_CONTAINERS;
        }
      };

  /** @param docker used only to inspect the container whose network a container shares */
  public NormalizingMapper(ContainerNormalizer normalizer, DockerClient docker) {
    this.normalizer = requireNonNull(normalizer, "normalizer");
    this.docker = requireNonNull(docker, "docker");
  }

  @Override
  public List<ServiceInstance> instancesOf(InspectContainerResponse container) {
    ContainerView view =
        InspectedContainers.view(container, id -> InspectedContainers.inspect(docker, id));
    ContainerNormalizer.Result result = normalizer.normalize(view);
    objects.put(view.id(), record(view, result));
    List<Finding> before = logged.put(view.id(), result.problems());
    if (!result.problems().equals(before)) {
      for (Finding problem : result.problems()) {
        log.warn("docker: container {}: {}: {}", problem.object(), problem.key(),
            problem.message());
      }
    }
    if (log.isDebugEnabled()) {
      for (Finding note : result.notes()) {
        log.debug("docker: container {}: {}: {}", note.object(), note.key(), note.message());
      }
    }
    return result.instances();
  }

  @Override
  public void warmUp(InspectContainerResponse container) {
    // The sample is self-contained: a container sharing another's network is not looked up.
    ContainerView view = InspectedContainers.view(container, id -> java.util.Optional.empty());
    normalizer.normalize(view);
  }

  @Override
  public Map<String, SourceObject> objects() {
    return Map.copyOf(objects);
  }

  @Override
  public void retainOnly(Set<String> containerIds) {
    objects.keySet().retainAll(containerIds);
  }

  @Override
  public void forget(String containerId) {
    objects.remove(containerId);
  }

  /**
   * What a container gave: its {@code SERVICE_*} variables and the labels the bridge reads
   * ({@code SERVICE_*}, {@code registry-bridge.network}; the view holds no other variable: they
   * may be secrets), its problems, and why it gave nothing.
   */
  private static SourceObject record(ContainerView view, ContainerNormalizer.Result result) {
    java.util.SortedMap<String, String> attributes = new java.util.TreeMap<>(view.serviceEnv());
    view.labels().forEach((key, value) -> {
      if (key.startsWith(ContainerView.SERVICE_PREFIX)
          || key.equals(ContainerAddresses.NETWORK_LABEL)) {
        attributes.put(key, value);
      }
    });
    String id = view.id().length() > 12 ? view.id().substring(0, 12) : view.id();
    return SourceObject.of("docker:" + view.name(), "container " + view.name() + " (" + id
        + ")", attributes, result.problems(), result.notes(), !result.instances().isEmpty(),
        view.ports().isEmpty() ? "the container exposes and publishes no port"
            : "no port to register");
  }
}
