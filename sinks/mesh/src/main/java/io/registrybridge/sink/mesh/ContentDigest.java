package io.registrybridge.sink.mesh;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** The content hashes of the mesh transports: objects' hashes, the xDS snapshot's version. */
public final class ContentDigest {
  private ContentDigest() {}

  /** SHA-256 of {@code text}, its first 128 bits in hex: plenty to tell two versions apart. */
  public static String of(String text) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(UTF_8));
      return HexFormat.of().formatHex(digest, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
