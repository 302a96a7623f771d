package io.registrybridge.sink.mesh;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.registrybridge.core.SinkTiming;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A {@link ServiceEntryStore} in memory, recording what the engine asks of it: the store the
 * engine is specified against, and the smallest transport there is.
 */
final class InMemoryStore implements ServiceEntryStore {
  /** Our objects, by name, as written. */
  final SortedMap<String, GenericKubernetesResource> objects = new TreeMap<>();
  /** Names and hosts someone else holds, to the phrase the store reports. */
  final Map<String, String> foreign = new HashMap<>();
  /** Every write and delete, in order: "create x", "update x", "delete x". */
  final List<String> operations = new ArrayList<>();
  int fullReads;
  /** The {@code complete} flag of every {@link #commit}, in order. */
  final List<Boolean> commits = new ArrayList<>();
  /** Object names whose writes throw this exception, to inject failures. */
  final Map<String, RuntimeException> failWrites = new HashMap<>();

  @Override
  public String name() {
    return "mesh-test";
  }

  @Override
  public SinkTiming timing() {
    return SinkTiming.DEFAULT;
  }

  @Override
  public void open() {}

  @Override
  public Map<String, StoredEntry> readAll() {
    fullReads++;
    Map<String, StoredEntry> all = new HashMap<>();
    objects.forEach((name, object) -> all.put(name, StoredEntry.of(object)));
    return all;
  }

  @Override
  public Optional<StoredEntry> held(String name) {
    return Optional.ofNullable(objects.get(name)).map(StoredEntry::of);
  }

  @Override
  public Optional<String> heldElsewhere(String name, String host) {
    String holder = foreign.containsKey(name) ? foreign.get(name) : foreign.get(host);
    return Optional.ofNullable(holder).map(h -> "is already held by " + h);
  }

  @Override
  public WriteResult write(RenderedEntry entry) {
    RuntimeException failure = failWrites.get(entry.name());
    if (failure != null) {
      throw failure;
    }
    GenericKubernetesResource before = objects.put(entry.name(),
        ServiceEntryRenderer.withApiVersion(entry.object(), "networking.istio.io/v1"));
    operations.add((before == null ? "create " : "update ") + entry.name());
    return before == null ? new WriteResult.Created() : new WriteResult.Updated();
  }

  @Override
  public boolean delete(String name) {
    operations.add("delete " + name);
    return objects.remove(name) != null;
  }

  @Override
  public void commit(boolean complete) {
    commits.add(complete);
  }

  /** What the store holds, as fingerprints, to compare two stores. */
  SortedMap<String, String> fingerprints() {
    SortedMap<String, String> all = new TreeMap<>();
    objects.forEach((name, object) -> all.put(name, ServiceEntryRenderer.fingerprint(object)));
    return all;
  }

  @Override
  public void close() {}
}
