package io.registrybridge.training;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What one training fake saw: requests answered, requests it does not know (a hint when the
 * training fails), and errors of the fake itself (bugs, which fail the training at once).
 */
public final class FakeTraffic {
  private final AtomicInteger requests = new AtomicInteger();
  private final List<String> unhandled = new CopyOnWriteArrayList<>();
  private final List<String> failures = new CopyOnWriteArrayList<>();

  void request() {
    requests.incrementAndGet();
  }

  void unhandled(String method, String path) {
    unhandled.add(method + " " + path);
  }

  void failed(String what) {
    failures.add(what);
  }

  public List<String> failures() {
    return List.copyOf(failures);
  }

  /** {@code N requests (unknown to the fake: [METHOD path, ...])}. */
  @Override
  public String toString() {
    return requests.get() + " requests (unknown to the fake: " + List.copyOf(unhandled) + ")";
  }
}
