package io.registrybridge.sink.mesh;

import static java.util.Objects.requireNonNull;

/**
 * A problem the mesh sink found with one service, for the log and for callers who count them.
 * Reports describe the current state: the sink logs each one when it first appears, not again on
 * every sync while it lasts.
 *
 * @param kind what happened
 * @param service the service name concerned (for a port collision: the hosts, comma-separated)
 * @param message the whole explanation, naming the service, what was skipped and why
 */
public record MeshReport(Kind kind, String service, String message) {

  public MeshReport {
    requireNonNull(kind, "kind");
    requireNonNull(service, "service");
    requireNonNull(message, "message");
  }

  /** What the sink did about a problem. */
  public enum Kind {
    /** The service cannot become a valid ServiceEntry; nothing is written for its host. */
    INVALID_SERVICE(true),
    /** One instance cannot be an endpoint (address, protocol, port); the others are written. */
    SKIPPED_INSTANCE(true),
    /** A UDP instance; Istio's proxies do not carry UDP, so ServiceEntry cannot describe it. */
    SKIPPED_UDP(false),
    /**
     * Instances of a service disagree on a port's protocol: an instance without one is served
     * with the declared protocol, an instance outvoted by another protocol is left out; the
     * others are written.
     */
    PROTOCOL_CONFLICT(true),
    /** An instance whose mirrored health is critical; it leaves until it recovers. */
    UNHEALTHY(false),
    /** A tag could not become an endpoint label and was left out. */
    DROPPED_LABEL(true),
    /** Several service names map to one host and were merged. */
    MERGED_NAMES(true),
    /** An endpoint does not serve every port of its service. */
    PARTIAL_ENDPOINT(true),
    /** Several hosts share an opaque TCP port without addresses (collision mode report). */
    PORT_COLLISION(true),
    /** The collision guard could not give a host a virtual IP. */
    NO_VIRTUAL_IP(true),
    /** An object the bridge does not own already holds the name or host; it is left alone. */
    FOREIGN_OWNER(true),
    /** The control plane refused the object for good (422, admission webhook). */
    REJECTED(true),
    /**
     * Converting or writing one host failed unexpectedly (a bug, or an answer the store does
     * not know); that host keeps what the control plane holds and is tried again, the others
     * are written.
     */
    UNEXPECTED_ERROR(true);

    private final boolean warning;

    Kind(boolean warning) {
      this.warning = warning;
    }

    /** Whether the report is logged as a warning rather than as information. */
    public boolean warning() {
      return warning;
    }
  }
}
