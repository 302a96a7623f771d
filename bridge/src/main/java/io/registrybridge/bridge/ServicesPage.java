package io.registrybridge.bridge;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.registrybridge.core.DesiredEntry;
import io.registrybridge.core.DesiredState;
import io.registrybridge.core.IdState;
import io.registrybridge.core.ServiceCheck;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.SinkReconciler;
import io.registrybridge.core.SourceObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code GET /debug/services[?id=ID][&name=NAME]}: why a service is (not) where it should be.
 * For each instance the daemon knows: its source object, the attributes it was built from, the
 * normalized result, and its state in every sink; then what the sources ignored, and why. The
 * field names are a contract (docs/operations.md), read by {@code registry-bridge explain}.
 */
final class ServicesPage {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ServicesPage() {}

  /**
   * @param objects what the sources read, by source name
   * @param sinks each running sink's reconciler
   */
  static String render(DesiredState desired, Map<String, List<SourceObject>> objects,
      List<SinkReconciler> sinks, Map<String, List<String>> query) {
    Optional<String> id = first(query, "id");
    Optional<String> name = first(query, "name");
    Map<String, SourceObject> byOrigin = new HashMap<>();
    objects.values().forEach(list -> list.forEach(o -> byOrigin.put(o.origin(), o)));
    List<Object> services = new ArrayList<>();
    for (ServiceInstance instance : desired.services().values()) {
      if (id.filter(want -> !want.equals(instance.id())).isPresent()
          || name.filter(want -> !want.equals(instance.name())
              && !instance.origin().endsWith(":" + want)).isPresent()) {
        continue;
      }
      services.add(service(instance, byOrigin.get(instance.origin()), sinks));
    }
    List<Object> ignored = new ArrayList<>();
    objects.forEach((source, list) -> list.forEach(object -> {
      boolean asked = id.isPresent() || name.isPresent();
      boolean matches = object.origin().equals(id.orElse(null))
          || name.map(n -> object.attributes().containsValue(n)
              || object.origin().endsWith(":" + n)).orElse(false);
      if (object.ignored().isPresent() && (!asked || matches)) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("source", source);
        entry.put("origin", object.origin());
        entry.put("object", object.object());
        entry.put("attributes", object.attributes());
        entry.put("problems", object.problems());
        entry.put("why", object.ignored().get());
        ignored.add(entry);
      }
    }));
    Map<String, Object> page = new LinkedHashMap<>();
    page.put("complete", desired.complete());
    page.put("services", services);
    page.put("ignored", ignored);
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(page);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write the page", e);
    }
  }

  private static Map<String, Object> service(ServiceInstance instance, SourceObject object,
      List<SinkReconciler> sinks) {
    Map<String, Object> entry = new LinkedHashMap<>();
    entry.put("id", instance.id());
    entry.put("name", instance.name());
    entry.put("source", instance.source());
    entry.put("origin", instance.origin());
    entry.put("object", object == null ? null : object.object());
    entry.put("attributes", object == null ? Map.of() : object.attributes());
    entry.put("problems", object == null ? List.of() : object.problems());
    entry.put("instance", normalized(instance));
    entry.put("hash", Long.toHexString(DesiredEntry.of(instance).contentHash()));
    Map<String, Object> states = new LinkedHashMap<>();
    for (SinkReconciler sink : sinks) {
      states.put(sink.sinkName(), state(sink.state(instance.id())));
    }
    entry.put("sinks", states);
    return entry;
  }

  private static Map<String, Object> normalized(ServiceInstance instance) {
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("address", instance.address());
    fields.put("port", instance.port());
    fields.put("targetPort", instance.targetPort());
    fields.put("transport", instance.transport().name().toLowerCase(java.util.Locale.ROOT));
    fields.put("protocol", instance.protocol().map(Object::toString).orElse(null));
    fields.put("tags", instance.tags());
    fields.put("meta", instance.meta());
    fields.put("checks", instance.checks().stream().map(ServicesPage::check).toList());
    fields.put("health", instance.health().map(h -> h.status().name()
        .toLowerCase(java.util.Locale.ROOT)).orElse(null));
    fields.put("weight", instance.weight().isPresent() ? instance.weight().getAsInt() : null);
    fields.put("placement", instance.placement().name().toLowerCase(java.util.Locale.ROOT));
    fields.put("node", instance.node().orElse(null));
    return fields;
  }

  private static Map<String, Object> check(ServiceCheck check) {
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("type", check.type().name().toLowerCase(java.util.Locale.ROOT));
    fields.put("target", check.target());
    fields.put("interval", check.interval().map(Object::toString).orElse(null));
    fields.put("timeout", check.timeout().map(Object::toString).orElse(null));
    fields.put("ttl", check.ttl().map(Object::toString).orElse(null));
    return fields;
  }

  private static Map<String, Object> state(IdState state) {
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("state", state.state());
    if (state.hash().isPresent()) {
      fields.put("hash", Long.toHexString(state.hash().getAsLong()));
    }
    state.why().ifPresent(why -> fields.put("why", why));
    state.nextAttempt().ifPresent(next -> fields.put("nextAttempt", next.toString()));
    return fields;
  }

  private static Optional<String> first(Map<String, List<String>> query, String key) {
    return Optional.ofNullable(query.get(key)).filter(v -> !v.isEmpty()).map(v -> v.get(0))
        .filter(v -> !v.isBlank());
  }
}
