package io.registrybridge.sink.consul;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConsulTokenTest {
  private static final String SECRET = "0b5f1c2e-6c5e-4a0f-9d7e-2b0f3b1a9c11";

  @TempDir Path dir;

  @Test
  void noTokenWithoutEnvironment() {
    assertThat(ConsulToken.fromEnvironment(Map.of())).isEmpty();
    assertThat(ConsulToken.fromEnvironment(Map.of("CONSUL_HTTP_TOKEN", "  "))).isEmpty();
    assertThat(ConsulToken.fromEnvironment(Map.of("CONSUL_HTTP_TOKEN_FILE", ""))).isEmpty();
  }

  @Test
  void readsTokenFromEnvironment() {
    assertThat(ConsulToken.fromEnvironment(Map.of("CONSUL_HTTP_TOKEN", SECRET)))
        .contains(new ConsulToken(SECRET));
  }

  @Test
  void readsTrimmedTokenFromFile() throws IOException {
    Path file = Files.writeString(dir.resolve("token"), "\n  " + SECRET + "\n\n");
    assertThat(ConsulToken.fromEnvironment(Map.of("CONSUL_HTTP_TOKEN_FILE", file.toString())))
        .contains(new ConsulToken(SECRET));
  }

  @Test
  void fileWinsOverVariableLikeConsulsCli() throws IOException {
    Path file = Files.writeString(dir.resolve("token"), SECRET);
    Map<String, String> env = Map.of("CONSUL_HTTP_TOKEN", "other",
        "CONSUL_HTTP_TOKEN_FILE", file.toString());
    assertThat(ConsulToken.fromEnvironment(env)).contains(new ConsulToken(SECRET));
  }

  @Test
  void missingFileIsAnErrorNamingTheFile() {
    Path file = dir.resolve("absent");
    assertThatThrownBy(() ->
        ConsulToken.fromEnvironment(Map.of("CONSUL_HTTP_TOKEN_FILE", file.toString())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("CONSUL_HTTP_TOKEN_FILE: cannot read " + file + " (NoSuchFileException)");
  }

  @Test
  void emptyFileIsAnError() throws IOException {
    Path file = Files.writeString(dir.resolve("token"), " \n");
    assertThatThrownBy(() ->
        ConsulToken.fromEnvironment(Map.of("CONSUL_HTTP_TOKEN_FILE", file.toString())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("CONSUL_HTTP_TOKEN_FILE: " + file + " is empty");
  }

  @Test
  void tokenThatCannotBeAHeaderIsRefusedWithoutEchoingIt() throws IOException {
    Path file = Files.writeString(dir.resolve("token"), "abc def-" + SECRET);
    assertThatThrownBy(() ->
        ConsulToken.fromEnvironment(Map.of("CONSUL_HTTP_TOKEN_FILE", file.toString())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("CONSUL_HTTP_TOKEN_FILE: " + file + ": the ACL token holds a character that "
            + "cannot be sent in an HTTP header (position 3)");
    assertThatThrownBy(() -> new ConsulToken("é" + SECRET))
        .message().doesNotContain(SECRET);
  }

  @Test
  void neverPrintsTheValue() {
    ConsulToken token = new ConsulToken(SECRET);
    assertThat(token.toString()).isEqualTo("ConsulToken[redacted]");
    ConsulSinkConfig config = ConsulSinkConfig.fromUri("consul://localhost:8500",
        Map.of("CONSUL_HTTP_TOKEN", SECRET), "host-a");
    assertThat(config.token()).isEqualTo(Optional.of(token));
    assertThat(config.toString()).doesNotContain(SECRET).contains("ConsulToken[redacted]");
  }
}
