package io.registrybridge.core;

/**
 * Something that knows which services run: the Docker engine, a Kubernetes cluster.
 *
 * <p>A source owns its threads. After {@link #start} it reports what it sees to the listener:
 * a full listing with {@link SourceListener#replaceAll} whenever it (re)lists, then changes with
 * {@link SourceListener#update}. A source never gives up: when its backend goes away it waits,
 * reconnects, and lists again.
 */
public interface Source extends AutoCloseable {

  /** A short, stable name for logs and metrics ({@code docker}). */
  String name();

  /** Starts watching; returns at once. Called once. */
  void start(SourceListener listener);

  /**
   * Asks for a full re-listing soon (Registrator's {@code -resync}); the default does nothing,
   * for sources whose watch already guarantees a complete view.
   */
  default void resync() {}

  /**
   * The objects this source read, with what each gave or why it gave nothing, for {@code
   * /debug/services}. Called from any thread; empty for sources that keep no such record.
   */
  default java.util.List<SourceObject> objects() {
    return java.util.List.of();
  }

  /**
   * Runs the source's own per-change code once (decoding and normalizing a canned object),
   * reporting nothing, so that the first real change does not pay for class initialization and
   * linkage; see {@link Sink#warmUp}, which says when it is called. The default does nothing.
   */
  default void warmUp() {}

  /** Stops watching and releases the backend connection. Never throws. */
  @Override
  void close();
}
