package io.registrybridge.sink.mesh.xds;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.registrybridge.sink.mesh.xds.proto.mcp.Metadata;
import io.registrybridge.sink.mesh.xds.proto.mcp.Resource;
import io.registrybridge.sink.mesh.xds.proto.networking.ServiceEntry;
import io.registrybridge.sink.mesh.xds.proto.networking.ServicePort;
import io.registrybridge.sink.mesh.xds.proto.networking.WorkloadEntry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An xDS ServiceEntry resource as istiod turns it into a config object: {@code metadata.name}
 * split at '/' into namespace and name, {@code create_time} as the creation timestamp, {@code
 * version} as the resource version, and the body in Istio's JSON field names (proto3's JSON
 * mapping: fields at their default value are left out, as on the wire). For the debug page and
 * {@code mesh-dump}, which show what istiod receives.
 */
final class ServiceEntryViews {
  private ServiceEntryViews() {}

  /**
   * {@code resource} as a ServiceEntry object of {@code apiVersion}.
   *
   * @throws InvalidProtocolBufferException when the body is not a ServiceEntry
   */
  static Map<String, Object> config(Resource resource, String apiVersion)
      throws InvalidProtocolBufferException {
    Metadata meta = resource.getMetadata();
    Map<String, Object> metadata = new LinkedHashMap<>();
    String[] parts = meta.getName().split("/", 2);
    metadata.put("name", parts.length == 2 ? parts[1] : parts[0]);
    if (parts.length == 2) {
      metadata.put("namespace", parts[0]);
    }
    if (meta.hasCreateTime()) {
      metadata.put("creationTimestamp", Instant.ofEpochSecond(meta.getCreateTime().getSeconds(),
          meta.getCreateTime().getNanos()).toString());
    }
    if (!meta.getVersion().isEmpty()) {
      metadata.put("resourceVersion", meta.getVersion());
    }
    if (meta.getLabelsCount() > 0) {
      metadata.put("labels", new TreeMap<>(meta.getLabelsMap()));
    }
    if (meta.getAnnotationsCount() > 0) {
      metadata.put("annotations", new TreeMap<>(meta.getAnnotationsMap()));
    }
    Map<String, Object> object = new LinkedHashMap<>();
    object.put("apiVersion", apiVersion);
    object.put("kind", XdsTypes.SERVICE_ENTRY);
    object.put("metadata", metadata);
    object.put("spec", spec(resource.getBody()));
    return object;
  }

  /** The resources of one response, each as {@link #config}. */
  static List<Map<String, Object>> configs(List<Any> resources, String apiVersion)
      throws InvalidProtocolBufferException {
    List<Map<String, Object>> all = new ArrayList<>(resources.size());
    for (Any any : resources) {
      all.add(config(any.unpack(Resource.class), apiVersion));
    }
    return all;
  }

  private static Map<String, Object> spec(Any body) throws InvalidProtocolBufferException {
    ServiceEntry entry = body.unpack(ServiceEntry.class);
    Map<String, Object> spec = new LinkedHashMap<>();
    putList(spec, "hosts", entry.getHostsList());
    putList(spec, "addresses", entry.getAddressesList());
    List<Map<String, Object>> ports = new ArrayList<>();
    for (ServicePort port : entry.getPortsList()) {
      Map<String, Object> shown = new LinkedHashMap<>();
      shown.put("number", port.getNumber());
      putText(shown, "protocol", port.getProtocol());
      putText(shown, "name", port.getName());
      if (port.getTargetPort() != 0) {
        shown.put("targetPort", port.getTargetPort());
      }
      ports.add(shown);
    }
    putList(spec, "ports", ports);
    spec.put("location", entry.getLocation().name());
    spec.put("resolution", entry.getResolution().name());
    List<Map<String, Object>> endpoints = new ArrayList<>();
    for (WorkloadEntry endpoint : entry.getEndpointsList()) {
      Map<String, Object> shown = new LinkedHashMap<>();
      putText(shown, "address", endpoint.getAddress());
      if (endpoint.getPortsCount() > 0) {
        shown.put("ports", new TreeMap<>(endpoint.getPortsMap()));
      }
      if (endpoint.getLabelsCount() > 0) {
        shown.put("labels", new TreeMap<>(endpoint.getLabelsMap()));
      }
      putText(shown, "network", endpoint.getNetwork());
      putText(shown, "locality", endpoint.getLocality());
      if (endpoint.getWeight() != 0) {
        shown.put("weight", endpoint.getWeight());
      }
      putText(shown, "serviceAccount", endpoint.getServiceAccount());
      endpoints.add(shown);
    }
    putList(spec, "endpoints", endpoints);
    putList(spec, "exportTo", entry.getExportToList());
    putList(spec, "subjectAltNames", entry.getSubjectAltNamesList());
    return spec;
  }

  private static void putList(Map<String, Object> map, String key, List<?> list) {
    if (!list.isEmpty()) {
      map.put(key, List.copyOf(list));
    }
  }

  private static void putText(Map<String, Object> map, String key, String text) {
    if (!text.isEmpty()) {
      map.put(key, text);
    }
  }
}
