package io.registrybridge.source.docker;

import io.registrybridge.core.MetaKeys;
import io.registrybridge.source.docker.ServiceAttributes.Attribute;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
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
   * protocol}, {@code docker_health} and {@code check_*}, as far as {@link
   * MetaKeys#sanitizeByKey} lets it through; each
   * dropped pair is reported under the key as written on the container, never with its value.
   */
  static SortedMap<String, String> of(Map<String, Attribute> attrs,
      BiConsumer<String, String> problems) {
    return MetaKeys.fromAttributes(attrs,
        key -> !NOT_META.contains(key) && !key.startsWith("check_"), Attribute::value,
        Attribute::sourceKey, Map.of(), problems);
  }
}
