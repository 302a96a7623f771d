package io.registrybridge.sink.mesh;

import java.util.Locale;
import java.util.Optional;

/** Which version of {@code networking.istio.io} to write ServiceEntry objects with. */
public enum IstioApiVersion {
  /**
   * {@code v1} where the API server serves it (Istio 1.22 and later), {@code v1beta1} otherwise,
   * found by discovery; the directory transport writes {@code v1}.
   */
  AUTO(null),
  V1("v1"),
  V1BETA1("v1beta1");

  public static final String GROUP = "networking.istio.io";

  private final String version;

  IstioApiVersion(String version) {
    this.version = version;
  }

  /** The version part ({@code v1}); empty for {@link #AUTO}. */
  public Optional<String> version() {
    return Optional.ofNullable(version);
  }

  /** Parses {@code auto}, {@code v1} or {@code v1beta1}, ignoring case. */
  public static IstioApiVersion parse(String value) {
    return switch (value.toLowerCase(Locale.ROOT)) {
      case "auto" -> AUTO;
      case "v1", GROUP + "/v1" -> V1;
      case "v1beta1", GROUP + "/v1beta1" -> V1BETA1;
      default -> throw new IllegalArgumentException(
          "unknown Istio API version '" + value + "' (expected auto, v1 or v1beta1)");
    };
  }
}
