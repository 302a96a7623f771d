package io.registrybridge.sink.consul;

import static java.util.Objects.requireNonNull;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * The synthetic catalog node that holds instances which do not run on this host (Kubernetes
 * endpoints), as consul-k8s's catalog sync does: such instances must not belong to the local
 * agent, whose node they would live and die with, so they are registered through {@code PUT
 * /v1/catalog/register} on a node of their own that no agent runs.
 *
 * <p>The node is created with {@link #ADDRESS} and {@link #META}, consul-k8s's values, by the
 * first registration; later registrations leave its address and meta alone ({@code
 * SkipNodeUpdate}), because other tools may share the node.
 *
 * @param name the node's name; consul-k8s's {@code -consul-node-name}, default {@value
 *     #DEFAULT_NAME}
 */
public record CatalogNode(String name) {
  // Consul accepts more, but warns about names DNS cannot carry; the name is also a URL segment.
  // Before DEFAULT, which the constructor checks against it.
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");

  /** consul-k8s's default, so that its ACL policies and catalog queries keep working. */
  public static final String DEFAULT_NAME = "k8s-sync";

  /** What consul-k8s gives its sync node; nothing ever connects to it. */
  public static final String ADDRESS = "127.0.0.1";

  /** consul-k8s marks its sync node as external, which also tells operators where it came from. */
  public static final Map<String, String> META = Map.of("external-source", "kubernetes");

  public static final CatalogNode DEFAULT = new CatalogNode(DEFAULT_NAME);

  public CatalogNode {
    requireNonNull(name, "name");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("invalid Consul node name '" + name + "': use letters,"
          + " digits, '-', '_' and '.', at most 128 characters, starting with a letter or digit");
    }
  }
}
