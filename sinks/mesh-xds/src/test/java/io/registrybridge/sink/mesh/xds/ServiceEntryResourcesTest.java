package io.registrybridge.sink.mesh.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.registrybridge.sink.mesh.xds.proto.networking.ServiceEntry;
import io.registrybridge.sink.mesh.xds.proto.networking.ServicePort;
import io.registrybridge.sink.mesh.xds.proto.networking.WorkloadEntry;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every field the renderer writes reaches the protobuf, and an unknown one is an error. */
class ServiceEntryResourcesTest {

  @Test
  void everyRenderedFieldIsCarried() {
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("hosts", List.of("mongodb.service.consul"));
    spec.put("addresses", List.of("240.241.0.7"));
    spec.put("exportTo", List.of(".", "shop"));
    spec.put("location", "MESH_INTERNAL");
    spec.put("resolution", "STATIC");
    spec.put("ports", List.of(Map.of("name", "mongo-27017", "number", 27017,
        "protocol", "MONGO")));
    spec.put("endpoints", List.of(Map.of("address", "172.18.0.8",
        "labels", Map.of("app", "mongodb"), "ports", Map.of("mongo-27017", 32017L))));

    assertThat(ServiceEntryResources.serviceEntry(spec)).isEqualTo(ServiceEntry.newBuilder()
        .addHosts("mongodb.service.consul").addAddresses("240.241.0.7")
        .addExportTo(".").addExportTo("shop")
        .setLocation(ServiceEntry.Location.MESH_INTERNAL)
        .setResolution(ServiceEntry.Resolution.STATIC)
        .addPorts(ServicePort.newBuilder().setName("mongo-27017").setNumber(27017)
            .setProtocol("MONGO"))
        .addEndpoints(WorkloadEntry.newBuilder().setAddress("172.18.0.8")
            .putLabels("app", "mongodb").putPorts("mongo-27017", 32017))
        .build());
  }

  @Test
  void aFieldTheTransportDoesNotKnowIsAnErrorNotADrop() {
    assertThatThrownBy(() -> ServiceEntryResources.serviceEntry(Map.of("hosts", List.of("a.b"),
        "workloadSelector", Map.of())))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("the rendered ServiceEntry has spec.workloadSelector, which the xDS"
            + " transport does not carry");
  }
}
