package io.registrybridge.sink.consul;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConsulEndpointTest {

  @ParameterizedTest
  @CsvSource(delimiter = '|', textBlock = """
      consul://localhost:8500        | localhost     | 8500 | false
      consul://consul.service:1234   | consul.service | 1234 | false
      consul://10.0.0.7              | 10.0.0.7      | 8500 | false
      consul://10.0.0.7/             | 10.0.0.7      | 8500 | false
      consul://                      | 127.0.0.1     | 8500 | false
      consul://[::1]:8501            | ::1           | 8501 | false
      consul://my_alias:8500         | my_alias      | 8500 | false
      consul-tls://consul.example    | consul.example | 8500 | true
      consul-tls://consul.example:8501 | consul.example | 8501 | true
      """)
  void parsesTcpEndpoints(String uri, String host, int port, boolean tls) {
    assertThat(ConsulEndpoint.parse(uri)).isEqualTo(new ConsulEndpoint.Tcp(host, port, tls));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', textBlock = """
      consul://localhost:8500      | consul://localhost:8500
      consul://                    | consul://127.0.0.1:8500
      consul://[::1]:8501          | consul://[::1]:8501
      consul-tls://c.example       | consul-tls://c.example:8500
      consul-unix:///run/c.sock    | consul-unix:///run/c.sock
      """)
  void printsItselfAsANormalizedUri(String uri, String printed) {
    assertThat(ConsulEndpoint.parse(uri).uri()).isEqualTo(printed);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', textBlock = """
      consul-unix:///var/run/consul/consul.sock | /var/run/consul/consul.sock
      consul-unix:///tmp/a b/consul.sock        | /tmp/a b/consul.sock
      """)
  void parsesUnixSocketEndpoints(String uri, String path) {
    assertThat(ConsulEndpoint.parse(uri)).isEqualTo(new ConsulEndpoint.UnixSocket(Path.of(path)));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
      localhost:8500                 | expected consul://host:port, consul-tls://host:port or
      ""                             | expected consul://host:port
      http://localhost:8500          | unknown scheme 'http'; use consul, consul-tls or consul-unix
      Consul://localhost:8500        | unknown scheme 'Consul'
      consul://localhost:http        | cannot read host and port
      consul://localhost:0           | port must be between 1 and 65535
      consul://localhost:65536       | cannot read host and port
      consul://localhost:-1          | cannot read host and port
      consul://localhost:            | missing port after ':'
      consul://:8500                 | missing host
      consul://local host:8500       | 'local host' is neither a host name nor an IP address
      consul://-bad:8500             | '-bad' is neither a host name nor an IP address
      consul://localhost:8500/v1     | a path, query or fragment is not supported
      consul://localhost:8500?dc=a   | a path, query or fragment is not supported
      consul://localhost:8500#x      | a path, query or fragment is not supported
      consul://[::1                  | cannot read host and port
      consul-unix://                 | missing socket path
      consul-unix://host/run/c.sock  | (three slashes), not a host
      consul-unix:///run/c.sock?x=1  | a query or fragment is not supported
      consul-unix:///run/            | the socket path must name a file, not a directory
      """)
  void rejectsBadUrisNamingUriAndProblem(String uri, String problem) {
    assertThatThrownBy(() -> ConsulEndpoint.parse(uri))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("invalid Consul URI '" + uri + "': ")
        .hasMessageContaining(problem);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', textBlock = """
      consul://user:s3cret@localhost:8500      | consul://***@localhost:8500
      consul-tls://s3cret@localhost            | consul-tls://***@localhost
      """)
  void masksUserInfoInErrorsAndRefusesIt(String uri, String masked) {
    assertThatThrownBy(() -> ConsulEndpoint.parse(uri))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("invalid Consul URI '" + masked + "': user info is not supported; pass the "
            + "ACL token in CONSUL_HTTP_TOKEN or CONSUL_HTTP_TOKEN_FILE")
        .message().doesNotContain("s3cret");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', textBlock = """
      ''       | host must not be blank
      ' '      | host must not be blank
      """)
  void recordsValidateTheirParts(String host, String problem) {
    assertThatThrownBy(() -> new ConsulEndpoint.Tcp(host, 8500, false)).hasMessage(problem);
    assertThatThrownBy(() -> new ConsulEndpoint.Tcp("h", 0, false))
        .hasMessage("port out of range: 0");
    assertThatThrownBy(() -> new ConsulEndpoint.UnixSocket(Path.of("rel.sock")))
        .hasMessage("socket path must be absolute: rel.sock");
  }
}
