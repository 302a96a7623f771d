package io.registrybridge.sink.mesh;

import static java.util.Objects.requireNonNull;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Settings of a mesh sink, shared by every transport. Every value is checked here, so a bad flag
 * fails at start-up with a message naming it, not at the first write.
 *
 * @param ownerId names this bridge instance in the {@code registry-bridge.io/owner} label; two
 *     bridges writing to the same namespace or directory must use different IDs. Letters,
 *     digits, '-', '_', '.', alphanumeric at both ends; one longer than a label value's 63
 *     characters is shortened with a hash ({@link #ownerLabel()})
 * @param namespace {@code metadata.namespace} of every ServiceEntry (default {@code
 *     istio-system})
 * @param domain hosts are {@code <service>.<domain>} (default {@code service.consul}, so mesh
 *     clients use the names they know from Consul DNS)
 * @param exportTo {@code spec.exportTo}; empty (the default) leaves visibility to the mesh
 *     config's {@code defaultServiceExportTo}
 * @param collisionMode what to do about hosts sharing an opaque TCP port
 * @param virtualIpRange the CIDR that {@link CollisionMode#ALLOCATE} takes virtual IPs from
 *     (default {@code 240.241.0.0/16}: class E, never routed, and next to, not inside, the
 *     {@code 240.240.0.0/16} that Istio's own auto-allocation uses)
 * @param apiVersion which {@code networking.istio.io} version to write
 */
public record MeshSinkConfig(String ownerId, String namespace, String domain,
    List<String> exportTo, CollisionMode collisionMode, String virtualIpRange,
    IstioApiVersion apiVersion) {

  public static final String DEFAULT_NAMESPACE = "istio-system";
  public static final String DEFAULT_DOMAIN = "service.consul";
  public static final String DEFAULT_VIRTUAL_IP_RANGE = "240.241.0.0/16";

  public MeshSinkConfig {
    requireNonNull(ownerId, "ownerId");
    requireNonNull(namespace, "namespace");
    requireNonNull(domain, "domain");
    requireNonNull(collisionMode, "collisionMode");
    requireNonNull(virtualIpRange, "virtualIpRange");
    requireNonNull(apiVersion, "apiVersion");
    exportTo = List.copyOf(exportTo);
    if (ownerId.isEmpty()) {
      throw new IllegalArgumentException("ownerId must not be empty");
    }
    fail("ownerId '" + ownerId + "'", KubernetesNames.labelValueCharactersProblem(ownerId));
    fail("namespace '" + namespace + "'", KubernetesNames.dns1123LabelProblem(namespace));
    fail("domain '" + domain + "'", KubernetesNames.hostProblem(domain));
    // A service label (<= 63) + '.' + the domain must still fit Istio's 255 characters and an
    // object name's 253.
    if (domain.length() > KubernetesNames.DNS1123_SUBDOMAIN_MAX - 64) {
      throw new IllegalArgumentException("domain '" + domain + "' is longer than "
          + (KubernetesNames.DNS1123_SUBDOMAIN_MAX - 64) + " characters");
    }
    fail("exportTo " + exportTo, exportToProblem(exportTo));
    VirtualIpRange.parse(virtualIpRange);
  }

  /**
   * The value of the {@code registry-bridge.io/owner} label, which every read that selects our
   * objects uses too: the owner ID itself when it fits a label value (63 characters), else a
   * readable prefix of it and a hash of all of it (a Lease's {@code NAME.NAMESPACE} or a fully
   * qualified engine name can be longer). Derived from the ID alone, so every replica and every
   * run finds the same objects.
   */
  public String ownerLabel() {
    return KubernetesNames.labelValueOf(ownerId);
  }

  /** Defaults for everything but the owner ID. */
  public static Builder builder(String ownerId) {
    return new Builder(ownerId);
  }

  /** A builder holding these values, to change a few. */
  public Builder toBuilder() {
    return new Builder(ownerId).namespace(namespace).domain(domain).exportTo(exportTo)
        .collisionMode(collisionMode).virtualIpRange(virtualIpRange).apiVersion(apiVersion);
  }

  private static void fail(String what, Optional<String> problem) {
    problem.ifPresent(p -> {
      throw new IllegalArgumentException(what + " is invalid: " + p);
    });
  }

  /** Istio's validateExportTo for a ServiceEntry. */
  static Optional<String> exportToProblem(List<String> exportTo) {
    Set<String> seen = new HashSet<>();
    for (String entry : exportTo) {
      if (!seen.add(entry)) {
        return Optional.of("duplicate entry '" + entry + "'");
      }
      if (!entry.equals(".") && !entry.equals("*") && !entry.equals("~")) {
        Optional<String> problem = KubernetesNames.dns1123LabelProblem(entry);
        if (problem.isPresent()) {
          return Optional.of("'" + entry + "' is neither '.', '*', '~' nor a namespace: "
              + problem.get());
        }
      }
    }
    if (exportTo.size() > 1 && seen.contains("*")) {
      return Optional.of("'*' cannot be combined with other entries");
    }
    if (exportTo.size() > 1 && seen.contains("~")) {
      return Optional.of("'~' (export to no one) cannot be combined with other entries");
    }
    return Optional.empty();
  }

  /** Fluent builder with the documented defaults. */
  public static final class Builder {
    private final String ownerId;
    private String namespace = DEFAULT_NAMESPACE;
    private String domain = DEFAULT_DOMAIN;
    private List<String> exportTo = List.of();
    private CollisionMode collisionMode = CollisionMode.REPORT;
    private String virtualIpRange = DEFAULT_VIRTUAL_IP_RANGE;
    private IstioApiVersion apiVersion = IstioApiVersion.AUTO;

    private Builder(String ownerId) {
      this.ownerId = requireNonNull(ownerId, "ownerId");
    }

    public Builder namespace(String namespace) {
      this.namespace = requireNonNull(namespace, "namespace");
      return this;
    }

    public Builder domain(String domain) {
      this.domain = requireNonNull(domain, "domain");
      return this;
    }

    public Builder exportTo(List<String> exportTo) {
      this.exportTo = List.copyOf(exportTo);
      return this;
    }

    public Builder collisionMode(CollisionMode collisionMode) {
      this.collisionMode = requireNonNull(collisionMode, "collisionMode");
      return this;
    }

    public Builder virtualIpRange(String virtualIpRange) {
      this.virtualIpRange = requireNonNull(virtualIpRange, "virtualIpRange");
      return this;
    }

    public Builder apiVersion(IstioApiVersion apiVersion) {
      this.apiVersion = requireNonNull(apiVersion, "apiVersion");
      return this;
    }

    public MeshSinkConfig build() {
      return new MeshSinkConfig(ownerId, namespace, domain, exportTo, collisionMode,
          virtualIpRange, apiVersion);
    }
  }
}
