package io.registrybridge.sink.mesh.xds;

import com.google.protobuf.Any;
import com.google.protobuf.Timestamp;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.registrybridge.sink.mesh.ServiceEntryStore.RenderedEntry;
import io.registrybridge.sink.mesh.xds.proto.mcp.Metadata;
import io.registrybridge.sink.mesh.xds.proto.mcp.Resource;
import io.registrybridge.sink.mesh.xds.proto.networking.ServiceEntry;
import io.registrybridge.sink.mesh.xds.proto.networking.ServicePort;
import io.registrybridge.sink.mesh.xds.proto.networking.WorkloadEntry;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A rendered ServiceEntry as istiod reads it from a config source: an {@code
 * istio.mcp.v1alpha1.Resource} whose body is an {@code istio.networking.v1alpha3.ServiceEntry}
 * (the body type istiod decodes for every ServiceEntry version it asks for).
 *
 * <p>The spec comes from the object the mesh engine rendered, field by field in Istio's names, so
 * the xDS feed carries exactly what the Kubernetes and directory transports write. A field this
 * class does not know is an error, not something to drop: it would mean the renderer grew a field
 * that istiod would then never see.
 */
final class ServiceEntryResources {
  private ServiceEntryResources() {}

  /**
   * The resource for {@code entry}.
   *
   * @param createTime when the bridge first served this object; istiod keeps it as the
   *     object's creation time, which orders conflicting objects
   */
  static Resource resource(RenderedEntry entry, Instant createTime) {
    ObjectMeta meta = entry.object().getMetadata();
    Metadata.Builder metadata = Metadata.newBuilder()
        // istiod splits the name at '/' into namespace and name, and drops one without it.
        .setName(meta.getNamespace() + "/" + meta.getName())
        .setCreateTime(Timestamp.newBuilder().setSeconds(createTime.getEpochSecond())
            .setNanos(createTime.getNano()))
        // The content hash: istiod replaces its copy only when the version differs.
        .setVersion(entry.hash());
    if (meta.getLabels() != null) {
      metadata.putAllLabels(meta.getLabels());
    }
    if (meta.getAnnotations() != null) {
      metadata.putAllAnnotations(meta.getAnnotations());
    }
    Object spec = entry.object().getAdditionalProperties().get("spec");
    return Resource.newBuilder().setMetadata(metadata)
        .setBody(Any.pack(serviceEntry(map(spec, "spec")))).build();
  }

  /** The spec map in Istio's field names, as {@code ServiceEntryRenderer} builds it. */
  static ServiceEntry serviceEntry(Map<?, ?> spec) {
    ServiceEntry.Builder builder = ServiceEntry.newBuilder();
    spec.forEach((key, value) -> {
      switch (String.valueOf(key)) {
        case "hosts" -> builder.addAllHosts(strings(value, "hosts"));
        case "addresses" -> builder.addAllAddresses(strings(value, "addresses"));
        case "exportTo" -> builder.addAllExportTo(strings(value, "exportTo"));
        case "location" -> builder.setLocation(ServiceEntry.Location.valueOf((String) value));
        case "resolution" -> builder.setResolution(
            ServiceEntry.Resolution.valueOf((String) value));
        case "ports" -> list(value, "ports").forEach(p -> builder.addPorts(port(map(p, "port"))));
        case "endpoints" -> list(value, "endpoints")
            .forEach(e -> builder.addEndpoints(endpoint(map(e, "endpoint"))));
        default -> throw unknown("spec", key);
      }
    });
    return builder.build();
  }

  private static ServicePort port(Map<?, ?> port) {
    ServicePort.Builder builder = ServicePort.newBuilder();
    port.forEach((key, value) -> {
      switch (String.valueOf(key)) {
        case "name" -> builder.setName((String) value);
        case "number" -> builder.setNumber(((Number) value).intValue());
        case "protocol" -> builder.setProtocol((String) value);
        case "targetPort" -> builder.setTargetPort(((Number) value).intValue());
        default -> throw unknown("spec.ports[]", key);
      }
    });
    return builder.build();
  }

  private static WorkloadEntry endpoint(Map<?, ?> endpoint) {
    WorkloadEntry.Builder builder = WorkloadEntry.newBuilder();
    endpoint.forEach((key, value) -> {
      switch (String.valueOf(key)) {
        case "address" -> builder.setAddress((String) value);
        case "labels" -> map(value, "labels").forEach(
            (k, v) -> builder.putLabels(String.valueOf(k), String.valueOf(v)));
        case "ports" -> map(value, "ports").forEach(
            (k, v) -> builder.putPorts(String.valueOf(k), ((Number) v).intValue()));
        default -> throw unknown("spec.endpoints[]", key);
      }
    });
    return builder.build();
  }

  private static Map<?, ?> map(Object value, String what) {
    if (value instanceof Map<?, ?> map) {
      return map;
    }
    throw new IllegalStateException(what + " is not a map: " + value);
  }

  private static List<?> list(Object value, String what) {
    if (value instanceof List<?> list) {
      return list;
    }
    throw new IllegalStateException(what + " is not a list: " + value);
  }

  private static List<String> strings(Object value, String what) {
    return list(value, what).stream().map(String.class::cast).toList();
  }

  private static IllegalStateException unknown(String where, Object key) {
    return new IllegalStateException("the rendered ServiceEntry has " + where + "." + key
        + ", which the xDS transport does not carry");
  }
}
