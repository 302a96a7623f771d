package io.registrybridge.sink.consul;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * A Consul ACL token, sent as the {@code X-Consul-Token} header (never as a {@code ?token=} query
 * parameter, which would end up in error messages and logs).
 *
 * <p>{@link #toString()} never prints the value, so a config record that holds a token can be
 * logged safely.
 */
public record ConsulToken(String value) {

  /** The token itself, like Consul's CLI. */
  public static final String TOKEN_ENV = "CONSUL_HTTP_TOKEN";

  /** A file holding the token (surrounding whitespace is ignored), like Consul's CLI. */
  public static final String TOKEN_FILE_ENV = "CONSUL_HTTP_TOKEN_FILE";

  public ConsulToken {
    requireNonNull(value, "value");
    if (value.isEmpty()) {
      throw new IllegalArgumentException("an ACL token must not be empty");
    }
    // OkHttp rejects such header values with a message that includes the value; refuse them
    // here with one that does not.
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        throw new IllegalArgumentException("the ACL token holds a character that cannot be sent "
            + "in an HTTP header (position " + i + ")");
      }
    }
  }

  /**
   * Reads the token the way Consul's own tools do: {@value #TOKEN_FILE_ENV} wins over {@value
   * #TOKEN_ENV}; a blank {@value #TOKEN_ENV} counts as unset.
   *
   * @param env the process environment (pass {@code System.getenv()})
   * @throws IllegalArgumentException when the token file cannot be read or is empty; the message
   *     names the file, never its content
   */
  public static Optional<ConsulToken> fromEnvironment(Map<String, String> env) {
    requireNonNull(env, "env");
    String file = env.get(TOKEN_FILE_ENV);
    if (file != null && !file.isBlank()) {
      return Optional.of(readFile(Path.of(file)));
    }
    String token = env.get(TOKEN_ENV);
    if (token != null && !token.isBlank()) {
      return Optional.of(new ConsulToken(token.strip()));
    }
    return Optional.empty();
  }

  private static ConsulToken readFile(Path file) {
    String content;
    try {
      content = Files.readString(file, StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new IllegalArgumentException(
          TOKEN_FILE_ENV + ": cannot read " + file + " (" + e.getClass().getSimpleName() + ")", e);
    }
    if (content.isEmpty()) {
      throw new IllegalArgumentException(TOKEN_FILE_ENV + ": " + file + " is empty");
    }
    try {
      return new ConsulToken(content);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(TOKEN_FILE_ENV + ": " + file + ": " + e.getMessage());
    }
  }

  @Override
  public String toString() {
    return "ConsulToken[redacted]";
  }
}
