package io.registrybridge.source.docker;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ImageNamesTest {

  @ParameterizedTest
  @CsvSource({
      "busybox, busybox",
      "busybox:latest, busybox",
      "redis:7.2-alpine, redis",
      "gliderlabs/foobar, foobar",
      "library/nginx:1.25, nginx",
      "localhost:5000/app, app",
      "localhost:5000/app:2, app",
      "registry:5000/team/web:1.2@sha256:abc, web",
      "registry:5000/team/web@sha256:abc, web",
      "docker.io/library/postgres:16@sha256:0123456789abcdef, postgres",
      "'  web:1  ', web"
  })
  void takesTheLastPathSegmentWithoutTagOrDigest(String image, String expected) {
    assertThat(ImageNames.baseName(image)).contains(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "  ", "sha256:4e5021d210f65ebe915670c7089120120bc0a303b9020859",
      "registry:5000/team/", ":latest", "@sha256:abc"})
  void givesNothingWhenThereIsNoName(String image) {
    assertThat(ImageNames.baseName(image)).isEmpty();
  }
}
