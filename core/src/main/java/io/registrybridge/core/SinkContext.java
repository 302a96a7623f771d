package io.registrybridge.core;

/** What a {@link Sink} may ask of the reconciler that drives it; thread-safe. */
public interface SinkContext {

  /**
   * Asks for a full {@link Sink#sync} soon, for instance because the sink noticed that its control
   * plane lost what it had written (a Consul agent restarted in dev mode).
   */
  void requestFullSync(String reason);

  /** A context that ignores requests, for sinks driven by hand (tests, tools). */
  SinkContext NONE = reason -> { };
}
