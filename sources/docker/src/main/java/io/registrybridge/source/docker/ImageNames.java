package io.registrybridge.source.docker;

import java.util.Optional;

/** The default service name of a container: the base name of its image. */
final class ImageNames {
  private ImageNames() {}

  /**
   * The last path segment of an image reference without tag and digest: {@code
   * registry:5000/team/web:1.2@sha256:abc} gives {@code web}, {@code localhost:5000/app} gives
   * {@code app}, {@code busybox} gives {@code busybox}.
   *
   * <p>Registrator took {@code path.Base(image)} up to the first {@code :}, which turns a
   * digest-pinned {@code web@sha256:abc} into the name {@code web@sha256}; the digest is removed
   * first here. A container created from an image ID ({@code sha256:...}) has no meaningful name,
   * where Registrator called the service {@code sha256}: empty is returned and the caller asks
   * for {@code SERVICE_NAME}.
   */
  static Optional<String> baseName(String image) {
    String ref = image.trim();
    if (ref.startsWith("sha256:")) {
      return Optional.empty();
    }
    int at = ref.indexOf('@');
    if (at >= 0) {
      ref = ref.substring(0, at);
    }
    // The registry host may carry a port (localhost:5000/app), so the tag is looked for only in
    // the last segment.
    String last = ref.substring(ref.lastIndexOf('/') + 1);
    int colon = last.indexOf(':');
    if (colon >= 0) {
      last = last.substring(0, colon);
    }
    return last.isEmpty() ? Optional.empty() : Optional.of(last);
  }
}
