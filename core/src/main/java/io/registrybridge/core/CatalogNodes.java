package io.registrybridge.core;

import java.util.regex.Pattern;

/**
 * The rules a {@link ServiceInstance#node()} obeys: the name of the registry node that holds an
 * instance which does not run on the bridge's host, as consul-k8s's {@code -consul-node-name}
 * names its sync node.
 *
 * <p>Consul accepts more, but warns about names DNS cannot carry, and the name travels in URL
 * paths ({@code /v1/catalog/node/:node}); so the rule is the DNS-safe one.
 */
public final class CatalogNodes {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");

  /**
   * consul-k8s's default node name, so that its ACL policies ({@code node "k8s-sync" { policy =
   * "write" }}) and catalog queries keep working; also where instances that name no node go.
   */
  public static final String DEFAULT = "k8s-sync";

  private CatalogNodes() {}

  /** Why {@code name} cannot name a catalog node, or null when it can. */
  public static String problemWith(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      return "invalid Consul node name '" + name + "': use letters, digits, '-', '_' and '.',"
          + " at most 128 characters, starting with a letter or digit";
    }
    return null;
  }
}
