package io.registrybridge.source.docker;

import io.registrybridge.spi.DaemonSettings;
import io.registrybridge.spi.SourcePlan;
import io.registrybridge.spi.SourceProvider;
import java.util.List;

/** {@code -source=docker}, the default: the local engine's containers, as Registrator. */
public final class DockerSourceProvider implements SourceProvider {
  private final DockerOptions options = new DockerOptions();

  @Override
  public String name() {
    return "docker";
  }

  @Override
  public boolean isDefault() {
    return true;
  }

  @Override
  public String title() {
    return "Docker source (-source=docker, the default; as Registrator):";
  }

  @Override
  public List<String> help() {
    return List.of(
        "  DOCKER_HOST            the engine: unix:///var/run/docker.sock (default; then",
        "                         unix:///tmp/docker.sock), tcp://HOST:2376",
        "  DOCKER_TLS_VERIFY, DOCKER_CERT_PATH   TLS to a tcp:// engine");
  }

  @Override
  public Object options() {
    return options;
  }

  @Override
  public SourcePlan plan(DaemonSettings settings) {
    return DockerSourcePlan.of(options, settings);
  }
}
