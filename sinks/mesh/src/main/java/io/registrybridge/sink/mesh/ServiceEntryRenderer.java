package io.registrybridge.sink.mesh;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.kubernetes.client.utils.YamlDumpSettingsBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Renders {@link ServiceEntryModel}s as Kubernetes objects with the bridge's ownership labels and
 * content hash, and reads those marks back. Every transport carries exactly what this produces.
 *
 * <p>ServiceEntry objects are {@link GenericKubernetesResource}s with a spec built here rather
 * than fabric8's typed Istio model: the spec the bridge writes is small and already validated, one
 * code path serves {@code v1}, {@code v1beta1} and {@code v1alpha3} (the typed model has a class
 * per version; the spec is the same in all three), the
 * field order is ours (stable files, stable hashes), and nothing depends on the istio-model jar's
 * {@code META-INF/services} registration surviving shading.
 */
final class ServiceEntryRenderer {
  static final String KIND = "ServiceEntry";
  static final String MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
  static final String MANAGED_BY = "registry-bridge";
  static final String OWNER_LABEL = "registry-bridge.io/owner";
  static final String HASH_ANNOTATION = "registry-bridge.io/content-hash";
  static final String SERVICE_ANNOTATION = "registry-bridge.io/service";
  /**
   * The sources the object was written from, sorted and comma-separated ({@code docker,
   * kubernetes} without the space): what the engine reads back to know whose listing a rewrite
   * or delete of the object waits for. Absent when one instance had no known source.
   */
  static final String SOURCES_ANNOTATION = "registry-bridge.io/sources";

  /** Bumped when the rendering changes, so every object is rewritten once after an upgrade. */
  private static final String FORMAT = "1";

  private static final KubernetesSerialization YAML = new KubernetesSerialization(
      new ObjectMapper(), false, new YamlDumpSettingsBuilder().setMinimizeQuotes(true).build());
  // Map keys sorted at every level: the same content gives the same text whatever order a
  // reader (an API server, a YAML parser) left the fields in.
  private static final ObjectMapper CANONICAL = JsonMapper.builder()
      .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS).build();

  private final String namespace;
  private final String ownerLabel;

  /** @param ownerLabel the owner label's value, {@link MeshSinkConfig#ownerLabel()} */
  ServiceEntryRenderer(String namespace, String ownerLabel) {
    this.namespace = requireNonNull(namespace, "namespace");
    this.ownerLabel = requireNonNull(ownerLabel, "ownerLabel");
  }

  /** The labels every object of this bridge instance carries; also the list selector. */
  Map<String, String> ownerLabels() {
    SortedMap<String, String> labels = new TreeMap<>();
    labels.put(MANAGED_BY_LABEL, MANAGED_BY);
    labels.put(OWNER_LABEL, ownerLabel);
    return labels;
  }

  /**
   * The object for {@code entry} without {@code apiVersion}, which the store sets: the content
   * (and so the hash and the fingerprint) is the same for every version.
   */
  GenericKubernetesResource render(ServiceEntryModel entry) {
    return render(entry, null);
  }

  /** The object for {@code entry}, with {@code apiVersion} like {@code networking.istio.io/v1}. */
  GenericKubernetesResource render(ServiceEntryModel entry, String apiVersion) {
    Map<String, Object> spec = spec(entry);
    SortedMap<String, String> annotations = new TreeMap<>();
    annotations.put(SERVICE_ANNOTATION, entry.service());
    if (!entry.sources().isEmpty()) {
      annotations.put(SOURCES_ANNOTATION, String.join(",", entry.sources()));
    }
    annotations.put(HASH_ANNOTATION, hash(ownerLabels(), annotations, spec));
    ObjectMeta metadata = new ObjectMetaBuilder().withName(entry.name()).withNamespace(namespace)
        .withLabels(new TreeMap<>(ownerLabels())).withAnnotations(annotations).build();
    GenericKubernetesResource resource = new GenericKubernetesResource();
    resource.setApiVersion(apiVersion);
    resource.setKind(KIND);
    resource.setMetadata(metadata);
    resource.setAdditionalProperty("spec", spec);
    return resource;
  }

  /** A copy of {@code object} with {@code apiVersion}; the spec is shared, not copied. */
  static GenericKubernetesResource withApiVersion(GenericKubernetesResource object,
      String apiVersion) {
    GenericKubernetesResource copy = new GenericKubernetesResource();
    copy.setApiVersion(apiVersion);
    copy.setKind(object.getKind());
    copy.setMetadata(new ObjectMetaBuilder(object.getMetadata()).build());
    copy.setAdditionalProperties(new LinkedHashMap<>(object.getAdditionalProperties()));
    return copy;
  }

  /**
   * What an object says, as a short digest: its labels, annotations and spec, with map keys in a
   * fixed order, so that an object read back from an API server (which may order fields its own
   * way, and add bookkeeping such as {@code resourceVersion}) has the fingerprint of the object
   * rendered here exactly when they say the same. Unlike the content-hash annotation, which only
   * says what was meant, it notices a spec edited by hand.
   */
  static String fingerprint(HasMetadata object) {
    Map<String, Object> content = new LinkedHashMap<>();
    ObjectMeta metadata = object.getMetadata();
    content.put("labels", metadata == null || metadata.getLabels() == null ? Map.of()
        : metadata.getLabels());
    content.put("annotations", metadata == null || metadata.getAnnotations() == null ? Map.of()
        : metadata.getAnnotations());
    Object spec = object instanceof GenericKubernetesResource generic
        ? generic.getAdditionalProperties().get("spec") : null;
    content.put("spec", spec == null ? Map.of() : spec);
    try {
      return ContentDigest.of(CANONICAL.writeValueAsString(content));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a ServiceEntry that cannot be written as JSON", e);
    }
  }

  /** The YAML document for a file: {@code ---}, then the object, minimal quoting. */
  static String yaml(GenericKubernetesResource resource) {
    return YAML.asYaml(resource);
  }

  /** Parses one YAML or JSON document as a generic object. */
  static GenericKubernetesResource parse(String text) {
    return YAML.unmarshal(text, GenericKubernetesResource.class);
  }

  /** Whether this bridge instance owns {@code object}: both labels, with our owner ID. */
  boolean ownedByUs(HasMetadata object) {
    Map<String, String> labels = labelsOf(object);
    return MANAGED_BY.equals(labels.get(MANAGED_BY_LABEL))
        && ownerLabel.equals(labels.get(OWNER_LABEL));
  }

  /** Who owns {@code object}, for a warning about leaving it alone. */
  static String ownerOf(HasMetadata object) {
    Map<String, String> labels = labelsOf(object);
    if (MANAGED_BY.equals(labels.get(MANAGED_BY_LABEL)) && labels.containsKey(OWNER_LABEL)) {
      return "registry-bridge instance '" + labels.get(OWNER_LABEL) + "'";
    }
    return "someone else (no " + OWNER_LABEL + " label of this bridge)";
  }

  /** The content hash an object carries; empty when it has none. */
  static String hashOf(HasMetadata object) {
    ObjectMeta metadata = object.getMetadata();
    if (metadata == null || metadata.getAnnotations() == null) {
      return "";
    }
    return metadata.getAnnotations().getOrDefault(HASH_ANNOTATION, "");
  }

  /**
   * The sources an object says it was written from ({@link #SOURCES_ANNOTATION}); empty when it
   * does not say (written by an older bridge, an instance without a known source) or says it
   * badly, which the engine takes as "every source".
   */
  static SortedSet<String> sourcesOf(HasMetadata object) {
    ObjectMeta metadata = object.getMetadata();
    String value = metadata == null || metadata.getAnnotations() == null ? null
        : metadata.getAnnotations().get(SOURCES_ANNOTATION);
    SortedSet<String> sources = new TreeSet<>();
    if (value == null) {
      return sources;
    }
    for (String source : value.split(",", -1)) {
      if (source.isBlank()) {
        return new TreeSet<>();
      }
      sources.add(source.strip());
    }
    return sources;
  }

  /** {@code spec.hosts} of a ServiceEntry read back; empty when it has none or is malformed. */
  static List<String> hostsOf(GenericKubernetesResource object) {
    return stringList(specOf(object).get("hosts"));
  }

  /** {@code spec.addresses} of a ServiceEntry read back. */
  static List<String> addressesOf(GenericKubernetesResource object) {
    return stringList(specOf(object).get("addresses"));
  }

  private static Map<?, ?> specOf(GenericKubernetesResource object) {
    Object spec = object.getAdditionalProperties().get("spec");
    return spec instanceof Map<?, ?> map ? map : Map.of();
  }

  private static List<String> stringList(Object value) {
    List<String> result = new ArrayList<>();
    if (value instanceof List<?> list) {
      for (Object item : list) {
        if (item instanceof String s) {
          result.add(s);
        }
      }
    }
    return result;
  }

  private static Map<String, String> labelsOf(HasMetadata object) {
    ObjectMeta metadata = object.getMetadata();
    if (metadata == null || metadata.getLabels() == null) {
      return Map.of();
    }
    return metadata.getLabels();
  }

  /** The spec in Istio's field names and a fixed order. */
  private static Map<String, Object> spec(ServiceEntryModel entry) {
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("hosts", List.of(entry.host()));
    if (!entry.addresses().isEmpty()) {
      spec.put("addresses", entry.addresses());
    }
    if (!entry.exportTo().isEmpty()) {
      spec.put("exportTo", entry.exportTo());
    }
    spec.put("location", "MESH_INTERNAL");
    spec.put("resolution", "STATIC");
    List<Map<String, Object>> ports = new ArrayList<>();
    for (ServiceEntryModel.Port port : entry.ports()) {
      Map<String, Object> p = new LinkedHashMap<>();
      p.put("name", port.name());
      p.put("number", port.number());
      p.put("protocol", port.protocol().istioName());
      ports.add(p);
    }
    spec.put("ports", ports);
    List<Map<String, Object>> endpoints = new ArrayList<>();
    for (ServiceEntryModel.Endpoint endpoint : entry.endpoints()) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("address", endpoint.address());
      if (!endpoint.labels().isEmpty()) {
        e.put("labels", new TreeMap<>(endpoint.labels()));
      }
      if (!endpoint.ports().isEmpty()) {
        e.put("ports", new TreeMap<>(endpoint.ports()));
      }
      endpoints.add(e);
    }
    spec.put("endpoints", endpoints);
    return spec;
  }

  private static String hash(Map<String, String> labels, Map<String, String> annotations,
      Map<String, Object> spec) {
    Map<String, Object> content = new LinkedHashMap<>();
    content.put("format", FORMAT);
    content.put("labels", new TreeMap<>(labels));
    content.put("annotations", new TreeMap<>(annotations));
    content.put("spec", spec);
    return ContentDigest.of(YAML.asJson(content));
  }


  static Optional<String> firstHost(GenericKubernetesResource object) {
    List<String> hosts = hostsOf(object);
    return hosts.isEmpty() ? Optional.empty() : Optional.of(hosts.get(0));
  }
}
