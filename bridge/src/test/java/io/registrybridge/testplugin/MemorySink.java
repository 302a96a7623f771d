package io.registrybridge.testplugin;

import io.registrybridge.core.DesiredState;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.Sink;
import io.registrybridge.core.SyncResult;
import io.registrybridge.spi.DebugView;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Holds what it is given, as a control plane would: only the full path, diffed against what it
 * holds. Not ready until a test says its reader has read ({@link #markRead}), as a mesh sink is
 * until istiod acknowledges. Shows its state at {@code /debug/memory}.
 */
public final class MemorySink implements Sink, DebugView {
  private final String name;
  private final String ownerId;
  private final String flag;
  // Written on the reconciler's thread, read by tests and the health server.
  private volatile SortedMap<String, ServiceInstance> held = new TreeMap<>();
  private volatile boolean read;
  private volatile boolean closed;

  MemorySink(String name, String ownerId, String flag) {
    this.name = name;
    this.ownerId = ownerId;
    this.flag = flag;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public SyncResult sync(DesiredState desired) {
    SortedMap<String, ServiceInstance> next = new TreeMap<>(held);
    int created = 0;
    int updated = 0;
    int deleted = 0;
    for (ServiceInstance instance : desired.services().values()) {
      ServiceInstance before = next.put(instance.id(), instance);
      if (before == null) {
        created++;
      } else if (!before.equals(instance)) {
        updated++;
      }
    }
    if (desired.complete()) {
      deleted = (int) next.keySet().stream().filter(id -> !desired.services().containsKey(id))
          .count();
      next.keySet().retainAll(desired.services().keySet());
    }
    held = next;
    return new SyncResult(created, updated, deleted);
  }

  @Override
  public Optional<String> notReady() {
    return read ? Optional.empty() : Optional.of("its reader has not read yet");
  }

  /** The reader caught up: the sink is ready. */
  public void markRead() {
    read = true;
  }

  @Override
  public String path() {
    return "/debug/memory";
  }

  @Override
  public String json(Map<String, List<String>> query) {
    // IDs, the owner and the flag are tests' own plain values: no escaping needed.
    return "{\"owner\":\"" + ownerId + "\",\"flag\":\"" + flag + "\",\"services\":["
        + String.join(",", held.keySet().stream().map(id -> "\"" + id + "\"").toList()) + "]}";
  }

  /** What it holds now, by ID. */
  public SortedMap<String, ServiceInstance> held() {
    return held;
  }

  public String ownerId() {
    return ownerId;
  }

  public String flag() {
    return flag;
  }

  public boolean closed() {
    return closed;
  }

  @Override
  public void close() {
    closed = true;
  }
}
