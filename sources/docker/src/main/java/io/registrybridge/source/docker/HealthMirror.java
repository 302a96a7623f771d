package io.registrybridge.source.docker;

import io.registrybridge.core.Health;
import io.registrybridge.source.docker.ContainerView.DockerHealth;
import java.util.Optional;

/**
 * A container's own {@code HEALTHCHECK}, as a status its services carry to the sinks
 * (gliderlabs/registrator#578 asked for this for years).
 *
 * <p>Docker's {@code starting} becomes warning: Consul's DNS and health API still return a
 * warning instance unless asked for passing ones only, and the mesh keeps it, which matches
 * what Docker itself does with a starting container (nothing). {@code healthy} is passing,
 * {@code unhealthy} critical. The status follows Docker's {@code health_status} events, which
 * make the source inspect the container again; nothing polls.
 *
 * <p>It applies to every port of a container with a health check unless the port has a {@code
 * SERVICE_CHECK_*} of its own (that check wins, as it always did), {@code
 * SERVICE_DOCKER_HEALTH=false} (or {@code SERVICE_<port>_DOCKER_HEALTH=false}) is set, or the
 * daemon runs with {@code -docker-health=false}.
 */
final class HealthMirror {
  /** The attribute that turns the mirror off for a container or a port. */
  static final String ATTRIBUTE = "docker_health";

  private HealthMirror() {}

  /** The status to mirror; empty for a status Docker may add one day and we do not know. */
  static Optional<Health> of(DockerHealth docker) {
    Health.Status status = switch (docker.status()) {
      case "starting" -> Health.Status.WARNING;
      case "healthy" -> Health.Status.PASSING;
      case "unhealthy" -> Health.Status.CRITICAL;
      default -> null;
    };
    return Optional.ofNullable(status).map(s -> new Health(s, docker.lastOutput()));
  }
}
