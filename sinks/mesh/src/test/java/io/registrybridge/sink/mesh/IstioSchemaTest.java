package io.registrybridge.sink.mesh;

import static io.registrybridge.sink.mesh.Fixtures.bookinfo;
import static io.registrybridge.sink.mesh.Fixtures.config;
import static io.registrybridge.sink.mesh.Fixtures.instance;
import static io.registrybridge.sink.mesh.Fixtures.state;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.istio.api.api.networking.v1alpha3.ServicePort;
import io.fabric8.istio.api.api.networking.v1alpha3.WorkloadEntry;
import io.fabric8.istio.api.api.networking.v1alpha3.ServiceEntry;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
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
 * fabric8's typed Istio model (generated from Istio's protos) as {@code v1}, {@code v1beta1} and
 * {@code v1alpha3}, has no field the model does not know, and reads back to the same spec. The
 * three versions share one spec message in Istio (and in the model), so one rendering serves
 * all; port numbers are unsigned 32-bit integers there, which the rendered numbers are.
 * Production code does not depend on that model.
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
    List<Class<? extends HasMetadata>> versions = List.of(
        io.fabric8.istio.api.networking.v1.ServiceEntry.class,
        io.fabric8.istio.api.networking.v1beta1.ServiceEntry.class,
        io.fabric8.istio.api.networking.v1alpha3.ServiceEntry.class);
    return versions.stream().flatMap(type -> Stream.of(
        Arguments.of(config(), state(bookinfo("http")), type),
        Arguments.of(allocate, state(bookinfo(null)), type),
        Arguments.of(allocate, mixed, type)));
  }

  @ParameterizedTest
  @MethodSource("conversions")
  void renderedEntriesMatchIstiosSchema(MeshSinkConfig config, DesiredState desired,
      Class<? extends HasMetadata> type) throws Exception {
    String apiVersion = HasMetadata.getApiVersion(type);
    Conversion conversion = new ServiceEntryConverter(config).convert(desired, Map.of());
    ServiceEntryRenderer renderer = new ServiceEntryRenderer(config.namespace(), config.ownerId());
    assertThat(conversion.entries()).isNotEmpty();
    for (ServiceEntryModel entry : conversion.entries().values()) {
      GenericKubernetesResource rendered = renderer.render(entry, apiVersion);
      String yaml = ServiceEntryRenderer.yaml(rendered);

      HasMetadata object = Serialization.unmarshal(yaml, type);
      assertThat(object).isInstanceOf(type);
      assertThat(object.getApiVersion()).isEqualTo(apiVersion);
      ServiceEntry spec = (ServiceEntry) type.getMethod("getSpec").invoke(object);

      assertThat((Map<?, ?>) type.getMethod("getAdditionalProperties").invoke(object)).isEmpty();
      assertThat(spec.getAdditionalProperties()).isEmpty();
      for (ServicePort port : spec.getPorts()) {
        assertThat(port.getAdditionalProperties()).isEmpty();
        assertThat(port.getNumber()).isBetween(1L, 65535L);
      }
      for (WorkloadEntry endpoint : spec.getEndpoints()) {
        assertThat(endpoint.getAdditionalProperties()).isEmpty();
      }
      assertThat(spec.getLocation().name()).isEqualTo("MESH_INTERNAL");
      assertThat(spec.getResolution().name()).isEqualTo("STATIC");
      assertThat(JSON.readTree(Serialization.asJson(spec)))
          .isEqualTo(JSON.readTree(Serialization.asJson(
              rendered.getAdditionalProperties().get("spec"))));
    }
  }
}
