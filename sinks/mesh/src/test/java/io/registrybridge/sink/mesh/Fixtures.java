package io.registrybridge.sink.mesh;

import io.registrybridge.core.DesiredState;
import io.registrybridge.core.ServiceInstance;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Desired states the tests share: Bookinfo on Docker Compose, and small variations. */
final class Fixtures {
  static final String OWNER = "test-bridge";

  private Fixtures() {}

  static MeshSinkConfig config() {
    return MeshSinkConfig.builder(OWNER).build();
  }

  static ServiceInstance.Builder instance(String id, String name, String address, int port) {
    return ServiceInstance.builder(id, name).address(address).port(port).origin("docker:" + id);
  }

  /**
   * Bookinfo as {@code docker compose} runs it with {@code -internal}: every container on its own
   * IP, every service on 9080. The three reviews versions carry their version in the three forms
   * the sink reads: an Istio 1.1 tag, a {@code key=value} tag and the {@code version} attribute.
   */
  static List<ServiceInstance> bookinfo(String protocol) {
    return List.of(
        instance("productpage-v1", "productpage", "172.18.0.2", 9080).protocol(protocol)
            .tags(List.of("version|v1")).build(),
        instance("details-v1", "details", "172.18.0.3", 9080).protocol(protocol)
            .tags(List.of("version|v1")).build(),
        instance("ratings-v1", "ratings", "172.18.0.4", 9080).protocol(protocol)
            .tags(List.of("version|v1")).build(),
        instance("reviews-v1", "reviews", "172.18.0.5", 9080).protocol(protocol)
            .tags(List.of("version|v1")).build(),
        instance("reviews-v2", "reviews", "172.18.0.6", 9080).protocol(protocol)
            .tags(List.of("version=v2", "stars=black")).build(),
        instance("reviews-v3", "reviews", "172.18.0.7", 9080).protocol(protocol)
            .tags(List.of("stars=red")).meta(Map.of("version", "v3")).build());
  }

  static DesiredState state(List<ServiceInstance> instances) {
    return state(instances, true);
  }

  static DesiredState state(List<ServiceInstance> instances, boolean complete) {
    Map<String, ServiceInstance> byId = new LinkedHashMap<>();
    for (ServiceInstance instance : instances) {
      byId.put(instance.id(), instance);
    }
    return DesiredState.of(byId, complete, 1);
  }
}
