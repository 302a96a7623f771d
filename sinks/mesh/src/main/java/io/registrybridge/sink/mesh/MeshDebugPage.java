package io.registrybridge.sink.mesh;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.function.Predicate;

/**
 * A mesh sink's part of {@code GET /debug/mesh}, one JSON object:
 *
 * <ul>
 *   <li>{@code transport}: {@code mesh-k8s}, {@code mesh-dir} or {@code mesh-xds};
 *   <li>{@code serviceEntries}: object name to the object exactly as the transport carries it
 *       ({@code format} says how: {@code yaml} for files and the API server, {@code json} for
 *       the xDS bodies), and what only that transport knows (the directory, the xDS clients);
 *   <li>{@code heldBack}: what is not written as the desired state would have it, each with a
 *       {@code reason} ({@code invalid}, {@code collision}, {@code protocol conflict}, {@code
 *       incomplete state}, ...), the service and the whole explanation.
 * </ul>
 *
 * <p>{@code ?name=X} (repeatable) keeps only the objects and reports of object or service X.
 */
final class MeshDebugPage {
  static final String PATH = "/debug/mesh";
  private static final ObjectMapper JSON = new ObjectMapper();

  private MeshDebugPage() {}

  static String render(ServiceEntryStore store, MeshSinkStatus status,
      SortedSet<String> waiting, Map<String, List<String>> query) {
    Set<String> names = Set.copyOf(query.getOrDefault("name", List.of()));
    Predicate<String> wanted = name -> names.isEmpty() || names.contains(name);
    Map<String, Object> page = new LinkedHashMap<>();
    page.put("transport", store.name());
    Map<String, Object> transport = new LinkedHashMap<>(store.debug(wanted));
    List<Object> held = new ArrayList<>();
    if (transport.remove("heldBack") instanceof List<?> byTransport) {
      held.addAll(byTransport); // what the transport holds back as a whole (xDS, before a
      // complete state)
    }
    page.putAll(transport);
    for (MeshReport report : status.reports()) {
      if (names.isEmpty() || names.contains(report.service())
          || names.stream().anyMatch(report.message()::contains)) {
        held.add(entry(reason(report.kind()), report.kind().name().toLowerCase(
            java.util.Locale.ROOT), report.service(), report.message()));
      }
    }
    for (String object : waiting) {
      if (wanted.test(object)) {
        held.add(entry("incomplete state", "waiting", object, "ServiceEntry " + object
            + " keeps what it holds: it is rewritten or deleted once every source it depends on"
            + " has listed once"));
      }
    }
    page.put("heldBack", held);
    try {
      return JSON.writeValueAsString(page);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("the debug page does not serialize", e);
    }
  }

  private static Map<String, Object> entry(String reason, String kind, String service,
      String message) {
    Map<String, Object> entry = new LinkedHashMap<>();
    entry.put("reason", reason);
    entry.put("kind", kind);
    entry.put("service", service);
    entry.put("message", message);
    return entry;
  }

  /** Why something is left out, in the words of the list. */
  static String reason(MeshReport.Kind kind) {
    return switch (kind) {
      case INVALID_SERVICE, SKIPPED_INSTANCE, DROPPED_LABEL, PARTIAL_ENDPOINT -> "invalid";
      case PORT_COLLISION, NO_VIRTUAL_IP -> "collision";
      case PROTOCOL_CONFLICT -> "protocol conflict";
      case SKIPPED_UDP -> "udp";
      case UNHEALTHY -> "unhealthy";
      case MERGED_NAMES -> "merged names";
      case FOREIGN_OWNER -> "held by another owner";
      case REJECTED -> "rejected by the control plane";
      case UNEXPECTED_ERROR -> "unexpected error";
    };
  }
}
