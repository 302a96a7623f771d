package io.registrybridge.sink.mesh;

import static io.registrybridge.sink.mesh.Fixtures.bookinfo;
import static io.registrybridge.sink.mesh.Fixtures.config;
import static io.registrybridge.sink.mesh.Fixtures.instance;
import static io.registrybridge.sink.mesh.Fixtures.state;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.istio.api.api.networking.v1alpha3.ServicePort;
import io.fabric8.istio.api.api.networking.v1alpha3.WorkloadEntry;
import io.fabric8.istio.api.networking.v1.ServiceEntry;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.registrybridge.core.DesiredState;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What the sink writes is what Istio's schema names: every rendered ServiceEntry, read by
 * fabric8's typed Istio model (generated from Istio's protos), has no field the model does not
 * know, and reads back to the same spec. Production code does not depend on that model.
 */
class IstioSchemaTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  static Stream<Arguments> conversions() {
    MeshSinkConfig allocate = config().toBuilder().collisionMode(CollisionMode.ALLOCATE)
        .exportTo(List.of(".", "shop")).build();
    DesiredState mixed = state(List.of(
        instance("api-http", "api", "172.18.0.20", 8080).protocol("http").build(),
        instance("api-grpc", "api", "172.18.0.20", 9090).protocol("grpc")
            .tags(List.of("security.istio.io/tlsMode=istio")).build(),
        instance("db", "db", "fd00::4", 32771).protocol("mysql").build()));
    return Stream.of(
        Arguments.of(config(), state(bookinfo("http"))),
        Arguments.of(allocate, state(bookinfo(null))),
        Arguments.of(allocate, mixed));
  }

  @ParameterizedTest
  @MethodSource("conversions")
  void renderedEntriesMatchIstiosSchema(MeshSinkConfig config, DesiredState desired)
      throws Exception {
    Conversion conversion = new ServiceEntryConverter(config).convert(desired, Map.of());
    ServiceEntryRenderer renderer = new ServiceEntryRenderer(config.namespace(), config.ownerId());
    assertThat(conversion.entries()).isNotEmpty();
    for (ServiceEntryModel entry : conversion.entries().values()) {
      GenericKubernetesResource rendered = renderer.render(entry, "networking.istio.io/v1");
      String yaml = ServiceEntryRenderer.yaml(rendered);

      ServiceEntry typed = Serialization.unmarshal(yaml, ServiceEntry.class);

      assertThat(typed.getAdditionalProperties()).isEmpty();
      assertThat(typed.getSpec().getAdditionalProperties()).isEmpty();
      for (ServicePort port : typed.getSpec().getPorts()) {
        assertThat(port.getAdditionalProperties()).isEmpty();
      }
      for (WorkloadEntry endpoint : typed.getSpec().getEndpoints()) {
        assertThat(endpoint.getAdditionalProperties()).isEmpty();
      }
      assertThat(typed.getSpec().getLocation().name()).isEqualTo("MESH_INTERNAL");
      assertThat(typed.getSpec().getResolution().name()).isEqualTo("STATIC");
      assertThat(JSON.readTree(Serialization.asJson(typed.getSpec())))
          .isEqualTo(JSON.readTree(Serialization.asJson(
              rendered.getAdditionalProperties().get("spec"))));
    }
  }
}
