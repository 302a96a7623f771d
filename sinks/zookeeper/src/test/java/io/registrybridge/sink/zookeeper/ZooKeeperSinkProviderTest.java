package io.registrybridge.sink.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.registrybridge.retry.RetryPolicy;
import io.registrybridge.spi.DaemonSettings;
import io.registrybridge.spi.SinkPlan;
import io.registrybridge.spi.SinkProvider;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class ZooKeeperSinkProviderTest {
  private static final DaemonSettings SETTINGS = new DaemonSettings(Map.of(), List.of(),
      Optional.empty(), Optional.empty(), false, Optional.empty(),
      RetryPolicy.forever(Duration.ofSeconds(1), Duration.ofSeconds(10)), Optional.empty());

  private static SinkProvider provider() {
    return ServiceLoader.load(SinkProvider.class).stream().map(ServiceLoader.Provider::get)
        .filter(p -> p.schemes().contains("zookeeper")).findFirst().orElseThrow();
  }

  @Test
  void serviceLoaderFindsItForItsScheme() {
    assertThat(provider()).isInstanceOf(ZooKeeperSinkProvider.class);
    assertThat(provider().schemes()).containsExactly("zookeeper");
  }

  @Test
  void registratorsExampleCommandLinePlansUnchanged() {
    // registrator zookeeper://zookeeper:2181/services
    SinkPlan plan = provider().plan("zookeeper://zookeeper:2181/services", SETTINGS);
    assertThat(plan.kind()).isEqualTo("zookeeper");
    assertThat(plan.instance()).isEqualTo("zookeeper:2181/services");
  }

  @Test
  void aBadUriIsAnIllegalArgumentNamingIt() {
    assertThatThrownBy(() -> provider().plan("zookeeper://zk:2181/a//b", SETTINGS))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("zookeeper://zk:2181/a//b");
  }

  @Test
  void helpHasTheUriFormAndSaysItReadsNoEnvironment() {
    assertThat(provider().title()).contains("zookeeper://");
    assertThat(provider().help()).first().asString()
        .startsWith("  zookeeper://HOST:PORT/PATH   ");
    assertThat(provider().help()).contains("  No environment variables.");
  }
}
