package io.registrybridge.sink.mesh.xds;

/**
 * The type URLs istiod asks a config source for. They are group/version/kind strings, not
 * {@code type.googleapis.com/...}: {@code core/v1alpha1/MeshConfig}, {@code
 * networking.istio.io/v1/ServiceEntry} (Istio 1.24 on), {@code
 * networking.istio.io/v1alpha3/ServiceEntry} (up to 1.23), and one per other Pilot collection.
 */
final class XdsTypes {
  static final String GROUP = "networking.istio.io";
  static final String SERVICE_ENTRY = "ServiceEntry";
  /** The metrics' tag for every type that is not ServiceEntry; type URLs are client input. */
  static final String OTHER = "other";

  private XdsTypes() {}

  /** Whether {@code typeUrl} asks for ServiceEntry objects, in any version. */
  static boolean isServiceEntry(String typeUrl) {
    String[] parts = typeUrl.split("/", -1);
    return parts.length == 3 && parts[0].equals(GROUP) && !parts[1].isEmpty()
        && parts[2].equals(SERVICE_ENTRY);
  }

  /** {@link #SERVICE_ENTRY} or {@link #OTHER}, for metric tags. */
  static String kind(String typeUrl) {
    return isServiceEntry(typeUrl) ? SERVICE_ENTRY : OTHER;
  }
}
