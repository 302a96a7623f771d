package io.registrybridge.spi;

/** A validated sink URI: what the daemon knows of a sink before it starts. */
public interface SinkPlan {

  /**
   * The kind of sink, short and stable, for logs and metrics: {@code consul}, {@code mesh-dir}.
   * The daemon gives each sink its final name ({@link SinkHost#sinkName()}).
   */
  String kind();

  /**
   * What tells two sinks of one kind apart, e.g. the directory or the port. The daemon appends it
   * to the kind ({@code mesh-dir:/etc/istio/a}) only when two sinks share a kind.
   */
  String instance();

  /**
   * Binds what clients connect to (the {@code istio-xds} port), at once when the process starts,
   * before any source connects, so that a client started beside the bridge finds it there. Not
   * called with {@code -leader-elect}: followers hold no port, and {@link PreparedSink#create}
   * binds it then.
   *
   * @throws IllegalArgumentException when the port cannot be bound (exit status 2)
   */
  default void bindEarly() {}

  /**
   * Checks the settings again with what the daemon knows once it starts (the owner ID), reading
   * token and certificate files again. Called on every replica before it competes for a Lease.
   *
   * @throws IllegalArgumentException naming what is wrong (exit status 2)
   */
  PreparedSink prepare(SinkHost host);
}
