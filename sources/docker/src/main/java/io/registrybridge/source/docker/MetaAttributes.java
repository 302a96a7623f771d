package io.registrybridge.source.docker;

import io.registrybridge.core.MetaKeys;
import io.registrybridge.source.docker.ServiceAttributes.Attribute;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiConsumer;

/** The meta of one service: its attributes that have no meaning of their own. */
final class MetaAttributes {
  // Registrator removed only name, id and tags from its attributes, so ignore, every check_*
  // setting and anything else it understood ended up registered as data.
  private static final Set<String> NOT_META =
      Set.of("name", "id", "tags", "ignore", "protocol", HealthMirror.ATTRIBUTE);

  private MetaAttributes() {}

  /**
   * Every attribute except {@code name}, {@code id}, {@code tags}, {@code ignore}, {@code
   * protocol}, {@code docker_health} and {@code check_*}, as far as {@link MetaKeys#sanitize} lets it through; each
   * dropped pair is reported under the key as written on the container, never with its value.
   */
  static SortedMap<String, String> of(Map<String, Attribute> attrs,
      BiConsumer<String, String> problems) {
    SortedMap<String, String> wanted = new TreeMap<>();
    Map<String, String> sourceKeys = new TreeMap<>();
    attrs.forEach((key, attr) -> {
      if (!NOT_META.contains(key) && !key.startsWith("check_")) {
        wanted.put(key, attr.value());
        sourceKeys.put(key, attr.sourceKey());
      }
    });
    List<String> warnings = new ArrayList<>();
    SortedMap<String, String> kept = MetaKeys.sanitize(wanted, warnings::add);
    // sanitize reports one warning per dropped key, in key order; pairing them up names the
    // container's own key in each problem. Should that ever not hold, the problems are still
    // reported, under a generic key.
    SortedSet<String> dropped = new TreeSet<>(wanted.keySet());
    dropped.removeAll(kept.keySet());
    List<String> droppedKeys = List.copyOf(dropped);
    for (int i = 0; i < warnings.size(); i++) {
      String key = warnings.size() == droppedKeys.size()
          ? sourceKeys.get(droppedKeys.get(i))
          : "SERVICE_*";
      problems.accept(key, warnings.get(i));
    }
    return kept;
  }
}
