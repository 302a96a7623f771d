package io.registrybridge.sink.mesh;

import io.registrybridge.core.Sink;

/**
 * A {@link Sink} that writes ServiceEntry objects and tells what it found on the way. Its
 * {@link Sink#notReady()} says why istiod does not hold the newest objects yet (an istiod that
 * has not acknowledged them), where the transport can tell.
 */
public interface MeshSink extends Sink {

  /** What the last sync found; safe to call from any thread. */
  MeshSinkStatus status();
}
