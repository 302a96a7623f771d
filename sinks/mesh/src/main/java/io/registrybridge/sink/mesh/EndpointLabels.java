package io.registrybridge.sink.mesh;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Endpoint labels from an instance's tags, so DestinationRule subsets can select versions.
 *
 * <p>A tag becomes a label when it has the form {@code key|value} (the form Istio 1.1's Consul
 * adapter read, {@code version|v1}) or {@code key=value}, split at the first of the two
 * characters; other tags are plain tags and stay out. {@code app} defaults to the service's host
 * label and {@code version} to the {@code version} attribute, so Istio's telemetry and
 * version-based subsets work without extra tags. Labels that Kubernetes would reject are dropped
 * and described, never written.
 */
final class EndpointLabels {
  static final String APP = "app";
  static final String VERSION = "version";

  /**
   * @param labels the labels to write
   * @param dropped one sentence per tag or attribute that was left out, and why
   */
  record Result(SortedMap<String, String> labels, List<String> dropped) {
    Result {
      labels = Collections.unmodifiableSortedMap(new TreeMap<>(labels));
      dropped = List.copyOf(dropped);
    }
  }

  private EndpointLabels() {}

  static Result of(String app, List<String> tags, Map<String, String> meta) {
    SortedMap<String, String> labels = new TreeMap<>();
    List<String> dropped = new ArrayList<>();
    for (String tag : tags) {
      int split = firstSeparator(tag);
      if (split < 0) {
        continue;
      }
      String key = tag.substring(0, split);
      String value = tag.substring(split + 1);
      Optional<String> problem = problem(key, value);
      if (problem.isPresent()) {
        dropped.add("tag '" + tag + "' dropped: " + problem.get());
        continue;
      }
      String earlier = labels.putIfAbsent(key, value);
      if (earlier != null && !earlier.equals(value)) {
        dropped.add("tag '" + tag + "' dropped: label '" + key + "' is already '" + earlier
            + "' from an earlier tag");
      }
    }
    String version = meta.get(VERSION);
    if (version != null && !labels.containsKey(VERSION)) {
      Optional<String> problem = KubernetesNames.labelValueProblem(version);
      if (problem.isPresent()) {
        dropped.add("attribute version='" + version + "' dropped: label value " + problem.get());
      } else {
        labels.put(VERSION, version);
      }
    }
    labels.putIfAbsent(APP, app);
    return new Result(labels, dropped);
  }

  private static Optional<String> problem(String key, String value) {
    Optional<String> keyProblem = KubernetesNames.labelKeyProblem(key);
    if (keyProblem.isPresent()) {
      return Optional.of("label key '" + key + "' " + keyProblem.get());
    }
    return KubernetesNames.labelValueProblem(value)
        .map(p -> "label value '" + value + "' " + p);
  }

  private static int firstSeparator(String tag) {
    int pipe = tag.indexOf('|');
    int equals = tag.indexOf('=');
    if (pipe < 0) {
      return equals;
    }
    return equals < 0 ? pipe : Math.min(pipe, equals);
  }
}
