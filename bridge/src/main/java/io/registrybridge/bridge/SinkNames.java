package io.registrybridge.bridge;

import io.registrybridge.spi.SinkPlan;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Each sink's name in logs, metrics and {@code /readyz}: its kind ({@code consul}), or its kind
 * and instance ({@code mesh-dir:/etc/istio/a}) when two sinks share a kind, so that their gauges
 * and log lines never collide.
 */
final class SinkNames {
  private SinkNames() {}

  static List<String> of(List<SinkPlan> plans) {
    Map<String, Integer> perKind = new HashMap<>();
    plans.forEach(plan -> perKind.merge(plan.kind(), 1, Integer::sum));
    List<String> names = plans.stream().map(plan -> perKind.get(plan.kind()) > 1
        ? plan.kind() + ":" + plan.instance() : plan.kind()).toList();
    // Two sinks of one kind and one instance are refused before this (the same sink twice).
    if (names.stream().distinct().count() != names.size()) {
      throw new IllegalArgumentException("two sinks would have the same name: " + names);
    }
    return names;
  }
}
