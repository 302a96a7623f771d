package io.registrybridge.sink.mesh;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** Which version of {@code networking.istio.io} to write ServiceEntry objects with. */
public enum IstioApiVersion {
  /**
   * {@code v1} where the API server serves it (Istio 1.22 and later), else {@code v1beta1}, else
   * {@code v1alpha3} (Istio 1.1 to 1.4), found by discovery; the directory transport writes
   * {@code v1}.
   */
  AUTO(null),
  V1("v1"),
  V1BETA1("v1beta1"),
  /** The only version of Istio 1.1 to 1.4; the ServiceEntry spec is the same. */
  V1ALPHA3("v1alpha3");

  public static final String GROUP = "networking.istio.io";

  /** The versions {@link #AUTO} tries, newest first. */
  static final List<String> DISCOVERY_ORDER = List.of("v1", "v1beta1", "v1alpha3");

  private final String version;

  IstioApiVersion(String version) {
    this.version = version;
  }

  /** The version part ({@code v1}); empty for {@link #AUTO}. */
  public Optional<String> version() {
    return Optional.ofNullable(version);
  }

  /** Parses {@code auto}, {@code v1}, {@code v1beta1} or {@code v1alpha3}, ignoring case. */
  public static IstioApiVersion parse(String value) {
    return switch (value.toLowerCase(Locale.ROOT)) {
      case "auto" -> AUTO;
      case "v1", GROUP + "/v1" -> V1;
      case "v1beta1", GROUP + "/v1beta1" -> V1BETA1;
      case "v1alpha3", GROUP + "/v1alpha3" -> V1ALPHA3;
      default -> throw new IllegalArgumentException(
          "unknown Istio API version '" + value + "' (expected auto, v1, v1beta1 or v1alpha3)");
    };
  }
}
