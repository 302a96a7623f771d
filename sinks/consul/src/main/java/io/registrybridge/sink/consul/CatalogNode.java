package io.registrybridge.sink.consul;

import static java.util.Objects.requireNonNull;

import io.registrybridge.core.CatalogNodes;
import io.registrybridge.core.ServiceInstance;
import java.util.Map;
import java.util.Optional;

/**
 * A synthetic catalog node that holds instances which do not run on this host (Kubernetes
 * endpoints), as consul-k8s's catalog sync does: such instances must not belong to the local
 * agent, whose node they would live and die with, so they are registered through {@code PUT
 * /v1/catalog/register} on a node of their own that no agent runs.
 *
 * <p>Each instance's source names its node ({@link ServiceInstance#node()}: the Kubernetes
 * source's {@code -k8s-consul-node}); one that names none goes on {@value #DEFAULT_NAME}. The node
 * is created with {@link #ADDRESS} and {@link #meta the source's name}, consul-k8s's values, by
 * the first registration; later registrations leave its address and meta alone ({@code
 * SkipNodeUpdate}), because other tools may share the node.
 *
 * @param name the node's name, valid per {@link CatalogNodes}
 */
public record CatalogNode(String name) {

  /** consul-k8s's default, and the node of instances whose source names none. */
  public static final String DEFAULT_NAME = CatalogNodes.DEFAULT;

  /** What consul-k8s gives its sync node; nothing ever connects to it. */
  public static final String ADDRESS = "127.0.0.1";

  /** The node meta key consul-k8s marks its sync node with, and Consul's UI shows. */
  public static final String EXTERNAL_SOURCE = "external-source";

  public static final CatalogNode DEFAULT = new CatalogNode(DEFAULT_NAME);

  public CatalogNode {
    requireNonNull(name, "name");
    String problem = CatalogNodes.problemWith(name);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
  }

  /** The node an instance from elsewhere goes on. */
  static CatalogNode of(ServiceInstance instance) {
    return instance.node().map(CatalogNode::new).orElse(DEFAULT);
  }

  /**
   * The node meta a new node gets: {@code external-source=<source>} (consul-k8s's {@code
   * kubernetes} for the Kubernetes source), which tells operators where it came from; none when
   * the source is unknown.
   */
  static Map<String, String> meta(Optional<String> source) {
    return source.filter(s -> !s.isEmpty()).map(s -> Map.of(EXTERNAL_SOURCE, s))
        .orElse(Map.of());
  }
}
