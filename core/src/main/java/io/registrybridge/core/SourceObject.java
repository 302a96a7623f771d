package io.registrybridge.core;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * An object a source read (a container, a Kubernetes Service), for an operator asking why a
 * service is (not) there ({@code /debug/services}). Field names are part of that page's contract.
 *
 * @param origin as {@link ServiceInstance#origin()} of its instances ({@code docker:web-1}), which
 *     joins the two
 * @param object what the operator knows it by: {@code container web-1 (3f2a9c1b2d4e)}
 * @param attributes the attributes read, by key: a container's {@code SERVICE_*} variables and
 *     labels, a Service's annotations. Never other environment variables, which hold secrets
 * @param problems each as {@code KEY: message}, as the source logged them
 * @param ignored why no instance came from it; empty when some did
 */
public record SourceObject(String origin, String object, SortedMap<String, String> attributes,
    List<String> problems, Optional<String> ignored) {

  /**
   * What one object gave, from its normalization: its problems as {@code KEY: message}, and
   * when it gave no instance, why (its notes and problems, else {@code whenNoReason}).
   */
  public static SourceObject of(String origin, String object,
      java.util.Map<String, String> attributes,
      List<io.registrybridge.core.attributes.Finding> problems,
      List<io.registrybridge.core.attributes.Finding> notes, boolean gaveInstances,
      String whenNoReason) {
    List<String> problemLines = problems.stream().map(p -> p.key() + ": " + p.message())
        .toList();
    Optional<String> ignored = Optional.empty();
    if (!gaveInstances) {
      List<String> reasons = new java.util.ArrayList<>(notes.stream()
          .map(p -> p.key() + ": " + p.message()).toList());
      reasons.addAll(problemLines);
      ignored = Optional.of(reasons.isEmpty() ? whenNoReason : String.join("; ", reasons));
    }
    return new SourceObject(origin, object, new TreeMap<>(attributes), problemLines, ignored);
  }

  public SourceObject {
    requireNonNull(origin, "origin");
    requireNonNull(object, "object");
    attributes = Collections.unmodifiableSortedMap(new TreeMap<>(attributes));
    problems = List.copyOf(problems);
    requireNonNull(ignored, "ignored");
  }
}
