package io.registrybridge.sink.consul.kv;

import static java.util.Objects.requireNonNull;

import io.registrybridge.core.DesiredState;
import io.registrybridge.core.DesiredView;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.Sink;
import io.registrybridge.core.SinkTiming;
import io.registrybridge.core.SyncResult;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps Consul's KV store equal to the desired state in Registrator's consulkv layout: one key
 * {@code PREFIX/<name>/<id>} per instance, value {@code ip:port} ({@link KvLayout}), flags the
 * owner mark ({@link KvOwnership}).
 *
 * <p>Diff-based, like the Consul sink: a mirror of the keys we hold (filled by each full read and
 * by our own writes) answers {@link #apply} without a read, so an unchanged instance costs nothing
 * and a change one PUT or DELETE. {@link #sync} reads the prefix recursively, once. A key this
 * sink does not know is created with {@code ?cas=0}, so a key another writer holds is never
 * overwritten; only when that create fails is the key read, to tell ours (a stale mirror) from
 * theirs. A rename (same ID, new name) writes the new key, then removes the old one.
 *
 * <p>Nothing is removed before its source has listed once ({@link DesiredView#mayDelete}); a key
 * read back from Consul carries no source, so it waits for every source.
 *
 * <p>Errors: Consul not answering, 5xx or 429 (and a refused full read) throw {@link
 * io.registrybridge.core.ControlPlaneUnavailableException}: the reconciler backs off and starts
 * over with a full sync. A key Consul refuses (4xx: an ACL without {@code key:write} on it), a
 * name that cannot be a key, or a key another writer holds costs only that instance: logged once
 * with its ID, origin and key, tried again when it changes or after {@value
 * #REJECTED_RETRY_MINUTES} minutes.
 *
 * <p>{@link #apply} and {@link #sync} run on the reconciler's thread only.
 */
public final class ConsulKvSink implements Sink {
  private static final Logger log = LoggerFactory.getLogger(ConsulKvSink.class);

  static final long REJECTED_RETRY_MINUTES = 10;

  /** A key this sink holds. {@code source} is empty when read back from Consul. */
  private record Held(String key, String value, boolean legacy, String source) {}

  /** What was refused for an ID, so that it is neither retried nor logged on every call. */
  private record Rejected(String key, String value, Instant at) {}

  private final String name;
  private final ConsulKv kv;
  private final KvLayout layout;
  private final KvOwnership ownership;
  private final SinkTiming timing;
  private final Clock clock;
  private final Map<String, Held> held = new HashMap<>();
  private final Map<String, Rejected> rejected = new HashMap<>();
  private String nodeAddress; // read when an instance has no address; again at each full sync

  ConsulKvSink(String name, ConsulKv kv, KvLayout layout, KvOwnership ownership,
      SinkTiming timing, Clock clock) {
    this.name = requireNonNull(name, "name");
    this.kv = requireNonNull(kv, "kv");
    this.layout = requireNonNull(layout, "layout");
    this.ownership = requireNonNull(ownership, "ownership");
    this.timing = requireNonNull(timing, "timing");
    this.clock = requireNonNull(clock, "clock");
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public SinkTiming timing() {
    return timing;
  }

  @Override
  public SyncResult apply(Set<String> ids, DesiredView desired) {
    SyncResult result = SyncResult.NOTHING;
    for (String id : new TreeSet<>(ids)) {
      result = result.plus(converge(id, desired.get(id), desired::mayDelete, Map.of()));
    }
    return result;
  }

  @Override
  public SyncResult sync(DesiredState desired) {
    List<KvPair> pairs = kv.list(layout.readPrefix());
    nodeAddress = null;
    held.clear();
    Map<String, Long> foreign = new HashMap<>();
    List<String> strays = new ArrayList<>();
    for (KvPair pair : pairs) {
      Optional<KvLayout.KeyParts> parts = layout.parse(pair.key());
      boolean ours = ownership.ours(pair.flags());
      boolean legacy = parts.isPresent() && ownership.legacy(pair.flags(), parts.get().id());
      if (parts.isEmpty() || !(ours || legacy)) {
        foreign.put(pair.key(), pair.flags());
        continue;
      }
      String id = parts.get().id();
      Held found = new Held(pair.key(), pair.value(), !ours, "");
      Held before = held.get(id);
      // One ID under two keys (a rename that an outage cut short): keep the one to be desired.
      if (before == null || wantedKey(desired, id).filter(found.key()::equals).isPresent()) {
        held.put(id, found);
        if (before != null) {
          strays.add(before.key());
        }
      } else {
        strays.add(found.key());
      }
    }
    rejected.keySet().retainAll(desired.services().keySet());
    SyncResult result = SyncResult.NOTHING;
    for (String stray : strays) {
      result = result.plus(removeStray(stray, desired));
    }
    Set<String> ids = new TreeSet<>(desired.services().keySet());
    ids.addAll(held.keySet());
    for (String id : ids) {
      result = result.plus(converge(id, desired.get(id), desired::mayDelete, foreign));
    }
    return result;
  }

  private Optional<String> wantedKey(DesiredState desired, String id) {
    return desired.get(id).map(layout::key);
  }

  private SyncResult removeStray(String key, DesiredState desired) {
    Optional<String> id = layout.parse(key).map(KvLayout.KeyParts::id);
    if (id.isEmpty() || !(desired.services().containsKey(id.get()) || desired.complete())) {
      return SyncResult.NOTHING;
    }
    try {
      kv.delete(key);
      return new SyncResult(0, 0, 1);
    } catch (KvRefusedException e) {
      log.error("{}: Consul refused to delete {} (HTTP {}): {}", name, key, e.status(),
          e.getMessage());
      return SyncResult.NOTHING;
    }
  }

  /**
   * Makes one ID right.
   *
   * @param foreign keys the full read found that are not ours, with their flags; empty on the
   *     incremental path
   */
  private SyncResult converge(String id, Optional<ServiceInstance> wanted,
      Predicate<String> mayDelete, Map<String, Long> foreign) {
    Held have = held.get(id);
    if (wanted.isEmpty()) {
      rejected.remove(id);
      return have == null || !mayDelete.test(have.source()) ? SyncResult.NOTHING : remove(id, have);
    }
    ServiceInstance instance = wanted.get();
    String problem = layout.problemWith(instance);
    if (problem != null) {
      reject(instance, layout.key(instance), "", problem);
      return SyncResult.NOTHING;
    }
    String key = layout.key(instance);
    String value;
    try {
      value = KvLayout.value(instance.address().isEmpty() ? nodeAddress() : instance.address(),
          instance.port());
    } catch (KvRefusedException e) {
      reject(instance, key, "", "it has no address, and the agent's own address cannot be read "
          + "(HTTP " + e.status() + ": " + e.getMessage() + "); set -ip, or give the token "
          + "agent:read");
      return SyncResult.NOTHING;
    }
    if (have != null && !have.legacy() && have.key().equals(key) && have.value().equals(value)) {
      rejected.remove(id);
      return SyncResult.NOTHING;
    }
    Rejected before = rejected.get(id);
    if (before != null && before.key().equals(key) && before.value().equals(value)
        && clock.instant().isBefore(before.at().plus(Duration.ofMinutes(REJECTED_RETRY_MINUTES)))) {
      return SyncResult.NOTHING;
    }
    try {
      boolean knownKey = have != null && have.key().equals(key);
      if (!knownKey && !write(instance, key, value, foreign)) {
        return SyncResult.NOTHING;
      }
      if (knownKey) {
        kv.put(key, value, ownership.mark(), false);
      }
      held.put(id, new Held(key, value, false, instance.source()));
      rejected.remove(id);
      if (have != null && !have.key().equals(key)) {
        // Renamed: the new key is written, so the old one can go at once, complete or not.
        kv.delete(have.key());
      }
      return have == null ? new SyncResult(1, 0, 0) : new SyncResult(0, 1, 0);
    } catch (KvRefusedException e) {
      reject(instance, key, value, "Consul refused it (HTTP " + e.status() + "): "
          + e.getMessage());
      return SyncResult.NOTHING;
    }
  }

  /**
   * Writes a key the mirror does not hold; false when another writer holds it. Created with
   * {@code cas=0}, so that a key that appeared since the last read is never overwritten; only
   * when that fails is the key read.
   */
  private boolean write(ServiceInstance instance, String key, String value,
      Map<String, Long> foreign) {
    Long foreignFlags = foreign.get(key);
    if (foreignFlags == null && kv.put(key, value, ownership.mark(), true)) {
      return true;
    }
    if (foreignFlags == null) {
      Optional<KvPair> there = kv.get(key);
      if (there.isPresent() && !ownership.ours(there.get().flags())
          && !ownership.legacy(there.get().flags(), instance.id())) {
        foreignFlags = there.get().flags();
      }
    }
    if (foreignFlags != null) {
      reject(instance, key, value, "the key belongs to another writer (flags "
          + Long.toUnsignedString(foreignFlags) + "); left alone");
      return false;
    }
    // Ours after all (the mirror missed it), Registrator's with -cleanup, or gone meanwhile.
    kv.put(key, value, ownership.mark(), false);
    return true;
  }

  private SyncResult remove(String id, Held have) {
    try {
      kv.delete(have.key());
      held.remove(id);
      return new SyncResult(0, 0, 1);
    } catch (KvRefusedException e) {
      log.error("{}: Consul refused to delete {} of {} (HTTP {}): {}", name, have.key(), id,
          e.status(), e.getMessage());
      return SyncResult.NOTHING;
    }
  }

  private String nodeAddress() {
    if (nodeAddress == null) {
      nodeAddress = kv.nodeAddress();
    }
    return nodeAddress;
  }

  private void reject(ServiceInstance instance, String key, String value, String why) {
    Rejected before = rejected.put(instance.id(), new Rejected(key, value, clock.instant()));
    if (before == null || !before.key().equals(key) || !before.value().equals(value)) {
      log.error("{}: skipped {} ({}), key {}: {}", name, instance.id(), instance.origin(), key,
          why);
    }
  }

  /** Releases connections; the keys stay. */
  @Override
  public void close() {
    kv.close();
  }
}
