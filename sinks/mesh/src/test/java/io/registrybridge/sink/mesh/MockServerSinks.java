package io.registrybridge.sink.mesh;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.core.ConditionTimeoutException;

/**
 * The Kubernetes sinks a test opened, closed after it. fabric8's mock server stalls (and then
 * fails to shut down) when a client closes a watch while the server is sending an event on it,
 * so each sink is closed once its cache has seen its own writes; writes the server never sends
 * an event for (scripted answers) are waited for at most a second.
 */
final class MockServerSinks {
  private final List<MeshSink> sinks = new ArrayList<>();

  MeshSink add(MeshSink sink) {
    sinks.add(sink);
    return sink;
  }

  void closeAll() {
    for (MeshSink sink : sinks) {
      if (sink instanceof MeshEngine engine
          && engine.store() instanceof KubernetesServiceEntryStore store) {
        try {
          await().atMost(Duration.ofSeconds(1)).until(() -> store.unseenWrites() == 0);
        } catch (ConditionTimeoutException e) {
          // A scripted answer the server holds no object for: no event will come.
        }
      }
      sink.close();
    }
    sinks.clear();
  }
}
