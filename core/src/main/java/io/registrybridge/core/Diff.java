package io.registrybridge.core;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiPredicate;

/**
 * What a sink must write to turn what it holds into what is desired, keyed by the sink's own
 * object key (a Consul service ID, a ServiceEntry name).
 *
 * @param create desired and absent
 * @param update desired and present, but different
 * @param delete present (and owned) but no longer desired
 */
public record Diff<V>(SortedMap<String, V> create, SortedMap<String, V> update,
    SortedSet<String> delete) {

  public Diff {
    create = Collections.unmodifiableSortedMap(create);
    update = Collections.unmodifiableSortedMap(update);
    delete = Collections.unmodifiableSortedSet(delete);
  }

  /**
   * Compares {@code desired} with {@code actual}.
   *
   * @param same whether an actual object already matches the desired one
   * @param allowDeletes false until every source has listed once ({@link
   *     DesiredState#complete()}); then nothing is deleted
   */
  public static <V, A> Diff<V> between(Map<String, V> desired, Map<String, A> actual,
      BiPredicate<V, A> same, boolean allowDeletes) {
    SortedMap<String, V> create = new TreeMap<>();
    SortedMap<String, V> update = new TreeMap<>();
    SortedSet<String> delete = new TreeSet<>();
    desired.forEach((key, want) -> {
      A have = actual.get(key);
      if (have == null) {
        create.put(key, want);
      } else if (!same.test(want, have)) {
        update.put(key, want);
      }
    });
    if (allowDeletes) {
      for (String key : actual.keySet()) {
        if (!desired.containsKey(key)) {
          delete.add(key);
        }
      }
    }
    return new Diff<>(create, update, delete);
  }

  public boolean isEmpty() {
    return create.isEmpty() && update.isEmpty() && delete.isEmpty();
  }
}
