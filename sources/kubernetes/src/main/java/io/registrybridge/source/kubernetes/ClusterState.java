package io.registrybridge.source.kubernetes;

import io.registrybridge.source.kubernetes.SliceView.EndpointView;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What the source knows of the cluster, as views: Services, their slices, the labels of Pods
 * behind endpoints and node addresses. Each change returns the keys ({@code namespace/name}) of
 * the Services whose instances it may change, so only those are normalized again.
 *
 * <p>Not thread-safe: the source's thread owns it.
 */
final class ClusterState implements EndpointNormalizer.Cluster {
  private final Map<String, ServiceView> services = new HashMap<>();
  // service key -> slice name -> slice
  private final Map<String, Map<String, SliceView>> slices = new HashMap<>();
  // pod key -> the labels the normalizer reads
  private final Map<String, Map<String, String>> podLabels = new HashMap<>();
  // pod key -> service key -> how many endpoints of that Service's slices point at the Pod.
  // Derived from the slices alone, so it shrinks when a slice drops an endpoint or goes away,
  // whether or not the Pod is ever seen deleted (a Pod of another namespace, a missed event).
  private final Map<String, Map<String, Integer>> servicesOfPod = new HashMap<>();
  private final Map<String, Map<String, String>> nodeAddresses = new HashMap<>();

  static String key(String namespace, String name) {
    return namespace + "/" + name;
  }

  Collection<String> serviceKeys() {
    return List.copyOf(services.keySet());
  }

  ServiceView service(String key) {
    return services.get(key);
  }

  Collection<SliceView> slicesOf(String key) {
    return slices.getOrDefault(key, Map.of()).values();
  }

  Set<String> putService(ServiceView service) {
    services.put(service.key(), service);
    return Set.of(service.key());
  }

  Set<String> removeService(String key) {
    services.remove(key);
    return Set.of(key);
  }

  /** Replaces one slice of a Service; null removes it. */
  Set<String> putSlice(String serviceKey, String sliceName, SliceView slice) {
    Map<String, SliceView> ofService = slices.computeIfAbsent(serviceKey, k -> new TreeMap<>());
    SliceView before = slice == null ? ofService.remove(sliceName)
        : ofService.put(sliceName, slice);
    if (ofService.isEmpty()) {
      slices.remove(serviceKey);
    }
    String namespace = serviceKey.substring(0, serviceKey.indexOf('/'));
    if (before != null) {
      index(namespace, serviceKey, before, -1);
    }
    if (slice != null) {
      index(namespace, serviceKey, slice, +1);
    }
    return slice == null && before == null ? Set.of() : Set.of(serviceKey);
  }

  /** Replaces every slice of a Service at once (v1 Endpoints: one object, several subsets). */
  Set<String> putSlices(String serviceKey, List<SliceView> all) {
    Map<String, SliceView> before = slices.remove(serviceKey);
    if (before != null) {
      String namespace = serviceKey.substring(0, serviceKey.indexOf('/'));
      before.values().forEach(slice -> index(namespace, serviceKey, slice, -1));
    }
    for (SliceView slice : all) {
      putSlice(serviceKey, slice.name(), slice);
    }
    return before == null && all.isEmpty() ? Set.of() : Set.of(serviceKey);
  }

  /** Sets the labels of a Pod (null: it is gone); returns the Services to recompute. */
  Set<String> putPod(String namespace, String name, Map<String, String> labels) {
    String key = key(namespace, name);
    Map<String, String> relevant = labels == null ? null : relevant(labels);
    Map<String, String> before = relevant == null ? podLabels.remove(key)
        : podLabels.put(key, relevant);
    if ((relevant == null ? Map.of() : relevant).equals(before == null ? Map.of() : before)) {
      return Set.of();
    }
    // A deleted Pod stays indexed while slices still name it: they change next, and unindex it.
    return servicesOf(namespace, name);
  }

  /** The Services whose slices have an endpoint pointing at this Pod. */
  Set<String> servicesOf(String namespace, String podName) {
    return Set.copyOf(servicesOfPod.getOrDefault(key(namespace, podName), Map.of()).keySet());
  }

  /** How many Pods the index holds; for tests, to show that nothing is left behind. */
  int indexedPods() {
    return servicesOfPod.size();
  }

  /** Sets a node's addresses (null: it is gone); returns the NodePort Services on change. */
  Set<String> putNode(String name, Map<String, String> addresses) {
    Map<String, String> before = addresses == null ? nodeAddresses.remove(name)
        : nodeAddresses.put(name, Map.copyOf(addresses));
    if ((before == null ? Map.of() : before).equals(addresses == null ? Map.of() : addresses)) {
      return Set.of();
    }
    Set<String> nodePort = new HashSet<>();
    services.forEach((key, svc) -> {
      if (svc.type().equals("NodePort")) {
        nodePort.add(key);
      }
    });
    return nodePort;
  }

  @Override
  public Map<String, String> podLabels(String namespace, String name) {
    return podLabels.getOrDefault(key(namespace, name), Map.of());
  }

  @Override
  public Map<String, String> nodeAddresses(String nodeName) {
    return nodeAddresses.getOrDefault(nodeName, Map.of());
  }

  void clear() {
    services.clear();
    slices.clear();
    podLabels.clear();
    servicesOfPod.clear();
    nodeAddresses.clear();
  }

  /** Counts ({@code delta} +1) or uncounts (-1) the Pods a slice's endpoints point at. */
  private void index(String namespace, String serviceKey, SliceView slice, int delta) {
    for (EndpointView endpoint : slice.endpoints()) {
      endpoint.targetRef().filter(ref -> ref.kind().equals("Pod")).ifPresent(ref -> {
        String pod = key(ref.namespace() == null ? namespace : ref.namespace(), ref.name());
        Map<String, Integer> services = servicesOfPod.computeIfAbsent(pod, k -> new HashMap<>());
        services.merge(serviceKey, delta, (a, b) -> a + b == 0 ? null : a + b);
        if (services.isEmpty()) {
          servicesOfPod.remove(pod);
        }
      });
    }
  }

  private static Map<String, String> relevant(Map<String, String> labels) {
    Map<String, String> kept = new TreeMap<>();
    for (String label : EndpointNormalizer.POD_LABELS) {
      String value = labels.get(label);
      if (value != null) {
        kept.put(label, value);
      }
    }
    return kept;
  }
}
