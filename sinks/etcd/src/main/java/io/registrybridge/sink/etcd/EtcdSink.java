package io.registrybridge.sink.etcd;

import static java.util.Objects.requireNonNull;

import io.registrybridge.core.ControlPlaneUnavailableException;
import io.registrybridge.core.DesiredState;
import io.registrybridge.core.DesiredView;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.Sink;
import io.registrybridge.core.SinkContext;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the keys of Registrator's etcd layouts ({@link Layout}) equal to the desired state,
 * through one {@link KeyStore} (etcd's v2 keys API, or v3 through its gateway).
 *
 * <h2>What it writes and what it deletes</h2>
 *
 * Every desired, valid service is written at its key as Registrator writes it: a foreign value
 * at that key is overwritten, as Registrator's {@code Set} did. Deleting is narrower, since an
 * etcd key carries no owner mark of its own. The sink deletes a key {@code root/<name>/<id>} only
 * when it is <em>ours</em>:
 *
 * <ul>
 *   <li>its ID starts with {@code <ownerId>:}, Registrator's {@code <hostname>:<container>:<port>}
 *       for this host, so a bridge adopts (and cleans up) what an earlier bridge or Registrator
 *       on the same host wrote; or
 *   <li>this process wrote it (a {@code SERVICE_ID} of the user's choice); or
 *   <li>it is on this bridge's lease ({@code etcd3://} with {@code -ttl}).
 * </ul>
 *
 * and only when its service is not desired any more and its source has listed once ({@link
 * DesiredView#mayDelete}), or when the service moved to another key (a new name). A key with a
 * chosen ID that an earlier run wrote is therefore not deleted after a restart: with {@code -ttl}
 * it runs out by itself.
 *
 * <h2>Incremental and full</h2>
 *
 * A mirror holds what etcd holds at the keys that concern us (ours, and those of desired IDs):
 * filled by the full read of {@link #sync} and by the sink's own writes. {@link #apply} compares
 * each ID with it and writes only differences (value, or TTL mark); an unchanged service costs
 * nothing. Many writes go out {@value #WRITERS} at a time.
 *
 * <h2>Errors</h2>
 *
 * No endpoint answering (or only with 5xx or 429), and credentials refused, are an outage: the
 * call throws {@link ControlPlaneUnavailableException} after the other writes of the batch
 * finished, and the reconciler backs off and starts over with a full sync. A key etcd refuses
 * (4xx), or a service that cannot be laid out (a name with {@code /}, no address), is logged with
 * the service, its origin and the key, and skipped until it changes, or for {@value
 * #REJECTED_RETRY_MINUTES} minutes.
 */
final class EtcdSink implements Sink {
  private static final Logger log = LoggerFactory.getLogger(EtcdSink.class);

  static final int WRITERS = 8;
  static final int REJECTED_RETRY_MINUTES = 10;

  private final String name;
  private final Layout layout;
  private final KeyStore store;
  private final String ownIdPrefix;
  private final SinkTiming timing;
  private final Clock clock;
  private final ExecutorService writers;

  /** What etcd holds at keys that concern us, by service ID, then key. Writers update it. */
  private final Map<String, Map<String, Held>> held = new ConcurrentHashMap<>();
  /** Keys this process wrote: ours whatever their ID. */
  private final Set<String> written = ConcurrentHashMap.newKeySet();
  /** What was refused, by ID, so that it is neither logged nor sent again while unchanged. */
  private final Map<String, Rejection> rejected = new ConcurrentHashMap<>();
  private volatile SinkContext context = SinkContext.NONE;

  /** A key as the mirror holds it; {@code source} is the source of the instance we wrote. */
  record Held(String key, String value, long mark, String source) {}

  private record Rejection(String what, Instant at) {}

  /** One write: a put when {@code value} is present, else a delete. */
  private record Write(String id, String origin, String key, Optional<String> value, long mark,
      String source, boolean create) {}

  EtcdSink(String name, Layout layout, KeyStore store, String ownerId, SinkTiming timing,
      Clock clock, ExecutorService writers) {
    this.name = requireNonNull(name, "name");
    this.layout = requireNonNull(layout, "layout");
    this.store = requireNonNull(store, "store");
    this.ownIdPrefix = requireNonNull(ownerId, "ownerId") + ":";
    this.timing = requireNonNull(timing, "timing");
    this.clock = requireNonNull(clock, "clock");
    this.writers = requireNonNull(writers, "writers");
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
  public void start(SinkContext context) {
    this.context = requireNonNull(context, "context");
  }

  @Override
  public SyncResult apply(Set<String> ids, DesiredView desired) {
    long mark = store.writeMark();
    List<Write> writes = new ArrayList<>();
    for (String id : ids) {
      plan(id, desired.get(id), desired, mark, writes);
    }
    return execute(writes);
  }

  @Override
  public SyncResult sync(DesiredState desired) {
    List<KeyStore.StoredKey> stored = store.readAll();
    store.adopt(); // first: a key on an adopted lease is ours
    Map<String, Map<String, Held>> fresh = new HashMap<>();
    for (KeyStore.StoredKey key : stored) {
      Layout.Parsed parsed = layout.parse(key.key());
      if (parsed == null) {
        continue; // not Registrator's layout: never ours
      }
      if (owned(parsed.id(), key.key(), key.mark()) || desired.services().containsKey(parsed.id())) {
        Held before = held.getOrDefault(parsed.id(), Map.of()).get(key.key());
        String source = before != null ? before.source() : "";
        fresh.computeIfAbsent(parsed.id(), x -> new HashMap<>())
            .put(key.key(), new Held(key.key(), key.value(), key.mark(), source));
      }
    }
    long mark = store.writeMark();
    held.clear();
    fresh.forEach((id, keys) -> held.put(id, Map.copyOf(keys)));
    rejected.keySet().retainAll(desired.services().keySet());
    Set<String> ids = new TreeSet<>(desired.services().keySet());
    ids.addAll(held.keySet());
    List<Write> writes = new ArrayList<>();
    for (String id : ids) {
      plan(id, Optional.ofNullable(desired.services().get(id)), desired, mark, writes);
    }
    return execute(writes);
  }

  private boolean owned(String id, String key, long mark) {
    return id.startsWith(ownIdPrefix) || written.contains(key) || store.markedByUs(mark);
  }

  private void plan(String id, Optional<ServiceInstance> desired, DesiredView view, long mark,
      List<Write> writes) {
    Map<String, Held> keys = held.getOrDefault(id, Map.of());
    String wantedKey = null;
    if (desired.isPresent()) {
      ServiceInstance instance = desired.get();
      String problem = layout.problem(instance);
      if (problem != null) {
        if (firstTime(id, "invalid:" + instance.name() + ":" + problem)) {
          log.error("{}: service {} ({}) cannot be written at {}: {}; skipped until it changes",
              name, id, instance.origin(), layout.root() + "/" + instance.name() + "/" + id,
              problem);
        }
        return; // what it held stays: a bad change does not delete the last good key
      }
      wantedKey = layout.key(instance);
      String value = layout.value(instance);
      Held now = keys.get(wantedKey);
      if (now == null || !now.value().equals(value) || now.mark() != mark) {
        if (!rejectedRecently(id, wantedKey + "=" + value)) {
          writes.add(new Write(id, instance.origin(), wantedKey, Optional.of(value), mark,
              instance.source(), now == null));
        }
      } else {
        rejected.remove(id);
      }
    }
    for (Held old : keys.values()) {
      if (old.key().equals(wantedKey) || !owned(id, old.key(), old.mark())) {
        continue;
      }
      // A service that moved (renamed) leaves its old key at once; one that went waits for
      // its source to have listed, so a restart never wipes what still runs.
      if (desired.isPresent() || view.mayDelete(old.source())) {
        if (!rejectedRecently(id, "delete " + old.key())) {
          writes.add(new Write(id, desired.map(ServiceInstance::origin).orElse(""), old.key(),
              Optional.empty(), KeyStore.PERMANENT, old.source(), false));
        }
      }
    }
  }

  private SyncResult execute(List<Write> writes) {
    if (writes.isEmpty()) {
      return SyncResult.NOTHING;
    }
    AtomicInteger created = new AtomicInteger();
    AtomicInteger updated = new AtomicInteger();
    AtomicInteger deleted = new AtomicInteger();
    Set<String> retry = ConcurrentHashMap.newKeySet();
    ControlPlaneUnavailableException outage = null;
    if (writes.size() == 1) {
      outage = run(writes.get(0), created, updated, deleted, retry);
    } else {
      List<Future<ControlPlaneUnavailableException>> results = new ArrayList<>();
      for (Write write : writes) {
        results.add(writers.submit(() -> run(write, created, updated, deleted, retry)));
      }
      for (Future<ControlPlaneUnavailableException> result : results) {
        try {
          ControlPlaneUnavailableException failed = result.get();
          outage = outage == null ? failed : outage;
        } catch (ExecutionException e) {
          throw new IllegalStateException("a write escaped its guard", e.getCause());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new ControlPlaneUnavailableException("interrupted while writing to etcd", e);
        }
      }
    }
    if (outage != null) {
      throw outage; // what was written is in the mirror; the full sync after backoff does the rest
    }
    return new SyncResult(created.get(), updated.get(), deleted.get(), retry);
  }

  /** One write, guarded: returns the outage it met, never throws. */
  private ControlPlaneUnavailableException run(Write write, AtomicInteger created,
      AtomicInteger updated, AtomicInteger deleted, Set<String> retry) {
    try {
      if (write.value().isPresent()) {
        long mark = store.put(write.key(), write.value().get(), write.mark());
        written.add(write.key());
        rejected.remove(write.id());
        remember(write.id(), write.key(),
            new Held(write.key(), write.value().get(), mark, write.source()));
        (write.create() ? created : updated).incrementAndGet();
      } else {
        store.delete(write.key());
        written.remove(write.key());
        remember(write.id(), write.key(), null);
        deleted.incrementAndGet();
      }
      return null;
    } catch (ControlPlaneUnavailableException e) {
      return e;
    } catch (KeyStore.Rejected e) {
      String what = write.value().map(v -> write.key() + "=" + v).orElse("delete " + write.key());
      rejected.put(write.id(), new Rejection(what, clock.instant()));
      log.error("{}: etcd refused to {} {} of service {}{}: {}; skipped until it changes, or"
              + " for {} minutes", name, write.value().isPresent() ? "write" : "delete",
          write.key(), write.id(), write.origin().isEmpty() ? "" : " (" + write.origin() + ")",
          e.getMessage(), REJECTED_RETRY_MINUTES);
      return null;
    } catch (RuntimeException e) {
      // A bug about this one key: the others are written; this one comes back after a backoff.
      log.error("{}: writing {} of service {} failed unexpectedly", name, write.key(),
          write.id(), e);
      retry.add(write.id());
      return null;
    }
  }

  private void remember(String id, String key, Held now) {
    held.compute(id, (x, keys) -> {
      Map<String, Held> next = new HashMap<>(keys == null ? Map.of() : keys);
      if (now == null) {
        next.remove(key);
      } else {
        next.put(key, now);
      }
      return next.isEmpty() ? null : Map.copyOf(next);
    });
  }

  private boolean firstTime(String id, String what) {
    Rejection before = rejected.get(id);
    if (before != null && before.what().equals(what)) {
      return false;
    }
    rejected.put(id, new Rejection(what, clock.instant()));
    return true;
  }

  private boolean rejectedRecently(String id, String what) {
    Rejection before = rejected.get(id);
    return before != null && before.what().equals(what)
        && Duration.between(before.at(), clock.instant()).toMinutes() < REJECTED_RETRY_MINUTES;
  }

  /**
   * Keeps the TTL of every key held alive (the TTL heartbeat's round); asks for a full sync when
   * etcd lost something meanwhile.
   *
   * @throws ControlPlaneUnavailableException when etcd does not answer
   */
  void refreshTtl() {
    List<KeyStore.StoredKey> keys = new ArrayList<>();
    for (Map<String, Held> byKey : held.values()) {
      for (Held key : byKey.values()) {
        keys.add(new KeyStore.StoredKey(key.key(), key.value(), key.mark()));
      }
    }
    if (!store.refresh(keys)) {
      context.requestFullSync("etcd lost keys or their lease while the TTL ran");
    }
  }

  @Override
  public void close() {
    writers.shutdownNow();
  }
}
