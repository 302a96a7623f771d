package io.registrybridge.source.docker;

import static org.assertj.core.api.Assertions.assertThat;

import io.registrybridge.core.ServiceInstance;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The canned container the source's warm-up normalizes must give a service, or it warms little. */
class WarmUpSampleTest {

  /** The sample shares no other container's network: the engine is never asked. */
  private static com.github.dockerjava.api.DockerClient noEngine() {
    return (com.github.dockerjava.api.DockerClient) java.lang.reflect.Proxy.newProxyInstance(
        WarmUpSampleTest.class.getClassLoader(),
        new Class<?>[] {com.github.dockerjava.api.DockerClient.class}, (proxy, method, args) -> {
          throw new AssertionError("the engine was asked: " + method.getName());
        });
  }

  @Test
  void theCannedContainerGivesOneServiceWithACheckInEitherMode() throws Exception {
    for (boolean internal : new boolean[] {false, true}) {
      NormalizingMapper mapper = new NormalizingMapper(
          new ContainerNormalizer(Fixtures.config().internal(internal).build()), noEngine());

      List<ServiceInstance> instances = mapper.instancesOf(DockerSource.warmUpSample());

      assertThat(instances).as("-internal=%s", internal).singleElement().satisfies(i -> {
        assertThat(i.name()).isEqualTo("warm-up");
        assertThat(i.tags()).containsExactly("a", "b");
        assertThat(i.checks()).hasSize(1);
      });
    }
  }

  @Test
  void theWarmUpRecordsNothing() throws Exception {
    NormalizingMapper mapper = new NormalizingMapper(
        new ContainerNormalizer(Fixtures.config().build()), noEngine());

    mapper.warmUp(DockerSource.warmUpSample());

    assertThat(mapper.objects()).isEmpty();
  }
}
