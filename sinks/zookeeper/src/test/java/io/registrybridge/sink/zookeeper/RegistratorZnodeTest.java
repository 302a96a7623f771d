package io.registrybridge.sink.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.registrybridge.core.Protocol;
import io.registrybridge.core.ServiceInstance;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RegistratorZnodeTest {

  private static ServiceInstance.Builder web() {
    return ServiceInstance.builder("host:web-1:80", "web").address("10.0.0.5").port(8080)
        .targetPort(80).origin("docker:web-1");
  }

  @Test
  void pathsFollowRegistratorsAdapter() {
    RegistratorZnode znode = RegistratorZnode.of("/services", web().build(), "10.0.0.5");
    assertThat(znode.serviceNode()).isEqualTo("/services/web");
    assertThat(znode.path()).isEqualTo("/services/web/10.0.0.5:8080");
    // Registrator: basePath = r.path + name when the path is "/".
    assertThat(RegistratorZnode.of("/", web().build(), "10.0.0.5").path())
        .isEqualTo("/web/10.0.0.5:8080");
  }

  @Test
  void bodyIsGosJsonOfZnodeBody() {
    ServiceInstance instance = web().tags(List.of("a", "b,c")).protocol(Protocol.GRPC)
        .meta(Map.of("zone", "z1", "Env", "prod")).build();
    assertThat(new String(RegistratorZnode.of("/s", instance, "10.0.0.5").body(),
        StandardCharsets.UTF_8)).isEqualTo("{\"Name\":\"web\",\"IP\":\"10.0.0.5\","
            + "\"PublicPort\":8080,\"PrivatePort\":80,\"ContainerID\":\"web-1\","
            + "\"Tags\":[\"a\",\"b,c\"],\"Attrs\":{\"Env\":\"prod\",\"protocol\":\"grpc\","
            + "\"zone\":\"z1\"}}");
  }

  @Test
  void emptyTagsAndAttrsAreEmptyNotNull() {
    // Registrator's combineTags made an empty slice and its metadata an empty map: [] and {}.
    assertThat(RegistratorZnode.body(web().build(), "10.0.0.5"))
        .endsWith(",\"Tags\":[],\"Attrs\":{}}");
  }

  @Test
  void stringsAreEscapedAsGoEscapesThem() {
    StringBuilder json = new StringBuilder();
    RegistratorZnode.string(json, "a\"b\\c\n\r\t<>&\u2028\u0001\u007f\ud83d\ude00\ud800é");
    assertThat(json.toString()).isEqualTo(
        "\"a\\\"b\\\\c\\n\\r\\t\\u003c\\u003e\\u0026\\u2028\\u0001\u007f\ud83d\ude00\ufffdé\"");
  }

  @Test
  void aNameOrAddressThatIsNotOneSegmentIsRefused() {
    assertThatThrownBy(() -> RegistratorZnode.of("/s", web().name("a/b").build(), "10.0.0.5"))
        .hasMessage("service name 'a/b' contains '/', which ZooKeeper reads as another level");
    assertThatThrownBy(() -> RegistratorZnode.of("/s", web().name("..").build(), "10.0.0.5"))
        .hasMessageContaining("relative path segment");
    assertThatThrownBy(() -> RegistratorZnode.of("/s", web().build(), ""))
        .hasMessage("no address (give -ip)");
  }

  @Test
  void containerIdIsTheContainersNameForDockerAndTheOriginOtherwise() {
    assertThat(RegistratorZnode.body(web().origin("kubernetes:ns/svc").build(), "10.0.0.5"))
        .contains("\"ContainerID\":\"kubernetes:ns/svc\"");
  }
}
