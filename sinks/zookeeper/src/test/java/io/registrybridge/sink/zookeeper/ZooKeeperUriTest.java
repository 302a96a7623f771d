package io.registrybridge.sink.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ZooKeeperUriTest {

  @Test
  void registratorsExampleParsesUnchanged() {
    ZooKeeperUri uri = ZooKeeperUri.parse("zookeeper://zookeeper:2181/services");
    assertThat(uri).isEqualTo(new ZooKeeperUri("zookeeper:2181", "/services",
        Duration.ofSeconds(10), Duration.ofSeconds(5)));
    assertThat(uri.instance()).isEqualTo("zookeeper:2181/services");
  }

  @Test
  void severalServersMakeOneConnectStringWithDefaultPorts() {
    assertThat(ZooKeeperUri.parse("zookeeper://ZK1:2181,zk2,[::1]:2182/a/b").connectString())
        .isEqualTo("zk1:2181,zk2:2181,[::1]:2182");
  }

  @ParameterizedTest
  @CsvSource({
      "zookeeper://zk:2181, /",
      "zookeeper://zk:2181/, /",
      "zookeeper://zk:2181/services/, /services",
      "ZOOKEEPER://zk:2181/a/b, /a/b",
  })
  void basePath(String uri, String path) {
    assertThat(ZooKeeperUri.parse(uri).path()).isEqualTo(path);
  }

  @Test
  void timeoutsAreParameters() {
    ZooKeeperUri uri =
        ZooKeeperUri.parse("zookeeper://zk/s?session-timeout=30s&connect-timeout=1500ms");
    assertThat(uri.sessionTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(uri.connectTimeout()).isEqualTo(Duration.ofMillis(1500));
    assertThat(ZooKeeperUri.parse("zookeeper://zk/s?session-timeout=1m").sessionTimeout())
        .isEqualTo(Duration.ofMinutes(1));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
      "zookeeper:///services | no host",
      "zookeeper://zk:99999/s | port 99999 of 'zk:99999' is out of range",
      "zookeeper://zk:2181,/s | '' is not HOST or HOST:PORT",
      "zookeeper://zk:abc/s | 'zk:abc' is not HOST or HOST:PORT",
      "zookeeper://user@zk/s | user information is not supported",
      "zookeeper://zk/a//b | the path '/a//b' is not a ZooKeeper path",
      "zookeeper://zk/a/../b | the path '/a/../b' is not a ZooKeeper path",
      "zookeeper://zk/s?ttl=5s | unknown parameter 'ttl' (known: session-timeout, connect-timeout)",
      "zookeeper://zk/s?session-timeout=10 | session-timeout='10' is not a duration",
      "zookeeper://zk/s?connect-timeout=5ms | connect-timeout='5ms' is out of range",
      "zookeeper://zk/s#x | a fragment",
      "consul://zk:2181/s | expected zookeeper://HOST:PORT/PATH",
  })
  void badUrisAreNamedWithTheProblem(String uri, String problem) {
    assertThatThrownBy(() -> ZooKeeperUri.parse(uri))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("sink URI " + uri + ": ")
        .hasMessageContaining(problem);
  }
}
