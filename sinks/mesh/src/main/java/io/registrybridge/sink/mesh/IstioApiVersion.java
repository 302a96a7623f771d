package io.registrybridge.sink.mesh;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** Which version of {@code networking.istio.io} to write ServiceEntry objects with. */
public enum IstioApiVersion {
  /**
   * Through the API server ({@code istio-k8s}): {@code v1} where it serves it (Istio 1.22 and
   * later), else {@code v1beta1}, else {@code v1alpha3} (Istio 1.1 to 1.4), found by discovery.
   * The API server serves every version the CRD lists and converts between them (the spec is
   * the same), so istiod sees the objects whatever version it watches; the newest avoids the
   * deprecation warnings old versions may carry. For files ({@code istio-dir}): {@link
   * #FILE_DEFAULT}, because istiod reading files ({@code fs://}, {@code --configDir}) converts
   * nothing: up to at least 1.14 it takes {@code v1alpha3} files only and skips the others
   * without a word, and every release to date still takes {@code v1alpha3}.
   */
  AUTO(null),
  V1("v1"),
  V1BETA1("v1beta1"),
  /** The only version of Istio 1.1 to 1.4; the ServiceEntry spec is the same. */
  V1ALPHA3("v1alpha3");

  public static final String GROUP = "networking.istio.io";

  /** What {@link #AUTO} writes into files: the one version every istiod reads from files. */
  public static final String FILE_DEFAULT = "v1alpha3";

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
