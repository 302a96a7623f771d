package io.registrybridge.source.kubernetes;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Which node address a NodePort Service is registered at; consul-k8s's {@code
 * -node-port-sync-type}, with its spellings and its default.
 */
public enum NodePortSync {
  /** The node's ExternalIP; a node without one registers nothing (consul-k8s' default). */
  EXTERNAL_ONLY("ExternalOnly"),
  /** The node's ExternalIP, else its InternalIP. */
  EXTERNAL_FIRST("ExternalFirst"),
  /** The node's InternalIP. */
  INTERNAL_ONLY("InternalOnly");

  private final String spelling;

  NodePortSync(String spelling) {
    this.spelling = spelling;
  }

  public String spelling() {
    return spelling;
  }

  /** @throws IllegalArgumentException naming the accepted values */
  public static NodePortSync parse(String value) {
    for (NodePortSync sync : values()) {
      if (sync.spelling.equalsIgnoreCase(value.trim())) {
        return sync;
      }
    }
    throw new IllegalArgumentException("-node-port-sync-type must be one of "
        + Arrays.stream(values()).map(NodePortSync::spelling).collect(Collectors.joining(", "))
        + ", not '" + value + "'");
  }
}
