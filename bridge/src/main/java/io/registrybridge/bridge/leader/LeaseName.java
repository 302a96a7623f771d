package io.registrybridge.bridge.leader;

import static java.util.Objects.requireNonNull;

/**
 * {@code -leader-elect=NAMESPACE/NAME}: the Lease that elects the one replica whose sinks write.
 */
public record LeaseName(String namespace, String name) {
  public LeaseName {
    requireNonNull(namespace, "namespace");
    requireNonNull(name, "name");
  }

  /** @throws IllegalArgumentException unless {@code value} is NAMESPACE/NAME */
  public static LeaseName parse(String value) {
    String[] parts = value.trim().split("/", -1);
    if (parts.length != 2 || !isDnsLabel(parts[0]) || !isDnsSubdomain(parts[1])) {
      throw new IllegalArgumentException("-leader-elect must be NAMESPACE/NAME (a Lease),"
          + " not '" + value + "'");
    }
    return new LeaseName(parts[0], parts[1]);
  }

  /**
   * The owner ID every replica shares when none is given: {@code <name>.<namespace>}, so a
   * new leader adopts what the previous one registered.
   */
  public String ownerId() {
    return name + "." + namespace;
  }

  @Override
  public String toString() {
    return namespace + "/" + name;
  }

  private static boolean isDnsLabel(String s) {
    return s.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  }

  private static boolean isDnsSubdomain(String s) {
    return s.length() <= 253 && s.matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?");
  }
}
