package io.registrybridge.sink.mesh;

import io.registrybridge.core.Sink;
import java.util.Optional;

/** A {@link Sink} that writes ServiceEntry objects and tells what it found on the way. */
public interface MeshSink extends Sink {

  /** What the last sync found; safe to call from any thread. */
  MeshSinkStatus status();

  /**
   * Why the consumers of this sink's objects do not hold the newest ones yet (an istiod that has
   * not acknowledged them); empty when they do or when the transport cannot tell. Safe to call
   * from any thread.
   */
  default Optional<String> notReady() {
    return Optional.empty();
  }
}
