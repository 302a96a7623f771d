package io.registrybridge.source.docker;

import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.attributes.Finding;
import io.registrybridge.source.docker.ContainerNormalizer.Result;

/** Shared test data: a container called web-1 on host1. */
final class Fixtures {
  static final String HOST = "host1";
  static final String CONTAINER = "web-1";

  private Fixtures() {}

  static ContainerView.Builder container(String image) {
    return ContainerView.builder("0123456789ab", "/" + CONTAINER, image);
  }

  static NormalizerConfig.Builder config() {
    return NormalizerConfig.builder(HOST);
  }

  static Result normalize(NormalizerConfig.Builder config, ContainerView.Builder container) {
    return new ContainerNormalizer(config.build()).normalize(container.build());
  }

  static Result normalize(ContainerView.Builder container) {
    return normalize(config(), container);
  }

  /** The instance the normalizer builds for web-1 when nothing is overridden. */
  static ServiceInstance.Builder instance(String id, String name) {
    return ServiceInstance.builder(id, name).origin("docker:" + CONTAINER);
  }

  static Finding problem(String key, String message) {
    return new Finding("container", CONTAINER, key, message);
  }
}
