package io.registrybridge.sink.mesh;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Compares text with a file under {@code src/test/resources/golden/}. Run the tests with
 * {@code -Dgolden.update=true} to rewrite the files after an intended change, then review the
 * diff like any other change.
 */
final class Golden {
  private static final Path DIR = Path.of("src", "test", "resources", "golden");

  private Golden() {}

  static void assertMatches(String file, String actual) {
    Path path = DIR.resolve(file);
    try {
      if (Boolean.getBoolean("golden.update")) {
        Files.createDirectories(DIR);
        Files.writeString(path, actual, UTF_8);
      }
      assertThat(path).as("golden file %s (run with -Dgolden.update=true to create it)", path)
          .exists();
      assertThat(actual).as("output compared with %s", path)
          .isEqualTo(Files.readString(path, UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every entry of a conversion as the files the directory transport would write. */
  static String render(Conversion conversion, MeshSinkConfig config) {
    ServiceEntryRenderer renderer = new ServiceEntryRenderer(config.namespace(), config.ownerId());
    StringBuilder text = new StringBuilder();
    for (ServiceEntryModel entry : conversion.entries().values()) {
      text.append(ServiceEntryRenderer.yaml(renderer.render(entry,
          IstioApiVersion.GROUP + "/" + IstioApiVersion.FILE_DEFAULT)));
    }
    return text.toString();
  }
}
