package io.registrybridge.core.attributes;

import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The attributes of one container or object, generic ones and port-specific ones, resolved per
 * port. A source reads its own key spelling into a {@link Builder}; the precedence rules are
 * the same for every source:
 *
 * <ul>
 *   <li>a port-specific attribute beats a generic one;
 *   <li>the source adds its attributes in layers (Docker: environment, then labels; Kubernetes:
 *       consul-k8s's annotations, then ours), and a later layer beats an earlier one;
 *   <li>within one layer, when two keys mean the same ({@code SERVICE_Name}, {@code
 *       SERVICE_NAME}), the one whose spelling sorts first wins, so the outcome never depends
 *       on the order a map was read in.
 * </ul>
 *
 * <p>A set value wins even when it is empty: to the users of an attribute, empty means unset,
 * so {@code SERVICE_80_CHECK_HTTP=} switches off a generic HTTP check for port 80.
 *
 * @param <P> how a port is referred to: a number (Docker), a number or a name (Kubernetes)
 */
public final class AttributeSet<P extends Comparable<P>> {
  private final SortedMap<String, Attribute> generic;
  private final SortedMap<P, SortedMap<String, Attribute>> byPort;

  private AttributeSet(SortedMap<String, Attribute> generic,
      SortedMap<P, SortedMap<String, Attribute>> byPort) {
    this.generic = generic;
    this.byPort = byPort;
  }

  public static <P extends Comparable<P>> Builder<P> builder() {
    return new Builder<>();
  }

  /**
   * The attributes that apply to the port that {@code refs} name, by key: the generic ones,
   * then those of each reference in turn, a later reference beating an earlier one (Kubernetes:
   * the port's number, then its name).
   */
  public SortedMap<String, Attribute> forPort(List<P> refs) {
    SortedMap<String, Attribute> resolved = new TreeMap<>(generic);
    for (P ref : refs) {
      resolved.putAll(byPort.getOrDefault(ref, Collections.emptySortedMap()));
    }
    return Collections.unmodifiableSortedMap(resolved);
  }

  /** The generic attributes, by key. */
  public SortedMap<String, Attribute> generic() {
    return Collections.unmodifiableSortedMap(generic);
  }

  /** The port-specific attributes by port reference, including ports the source lacks. */
  public SortedMap<P, SortedMap<String, Attribute>> portSpecific() {
    return Collections.unmodifiableSortedMap(byPort);
  }

  /** Collects attributes layer by layer; see the class comment for who wins. */
  public static final class Builder<P extends Comparable<P>> {
    private final SortedMap<String, Attribute> generic = new TreeMap<>();
    private final SortedMap<P, SortedMap<String, Attribute>> byPort = new TreeMap<>();
    private final Map<String, Attribute> layerGeneric = new HashMap<>();
    private final Map<P, Map<String, Attribute>> layerByPort = new HashMap<>();

    private Builder() {}

    /** Adds an attribute for every port ({@code portSpecific} must be false). */
    public Builder<P> generic(Attribute attribute) {
      if (attribute.portSpecific()) {
        throw new IllegalArgumentException("a port-specific attribute: " + attribute.key());
      }
      keepFirstSorted(layerGeneric, attribute);
      return this;
    }

    /** Adds an attribute for the port {@code ref} ({@code portSpecific} must be true). */
    public Builder<P> port(P ref, Attribute attribute) {
      if (!attribute.portSpecific()) {
        throw new IllegalArgumentException("a generic attribute: " + attribute.key());
      }
      keepFirstSorted(layerByPort.computeIfAbsent(ref, r -> new HashMap<>()), attribute);
      return this;
    }

    /** Ends the current layer: what is added from now on beats what was added so far. */
    public Builder<P> nextLayer() {
      generic.putAll(layerGeneric);
      layerByPort.forEach((ref, attrs) ->
          byPort.computeIfAbsent(ref, r -> new TreeMap<>()).putAll(attrs));
      layerGeneric.clear();
      layerByPort.clear();
      return this;
    }

    public AttributeSet<P> build() {
      nextLayer();
      return new AttributeSet<>(new TreeMap<>(generic), new TreeMap<>(byPort));
    }

    private static void keepFirstSorted(Map<String, Attribute> layer, Attribute attribute) {
      layer.merge(attribute.key(), attribute, (kept, added) ->
          added.sourceKey().compareTo(kept.sourceKey()) < 0 ? added : kept);
    }
  }
}
