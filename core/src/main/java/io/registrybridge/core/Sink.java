package io.registrybridge.core;

/**
 * A control plane that the bridge keeps equal to the desired state: Consul, the Istio mesh.
 *
 * <p>Sinks are level-triggered: {@link #sync} reads what the control plane holds that this bridge
 * owns, compares it with the desired state, and writes only the differences. It is called from a
 * single thread (its {@link SinkReconciler}), again after failures and periodically to notice
 * state the control plane lost. A sink touches only objects it marked as its own, and deletes
 * nothing while {@link DesiredState#complete()} is false.
 */
public interface Sink extends AutoCloseable {

  /** A short, stable name for logs and metrics ({@code consul}, {@code mesh-k8s}). */
  String name();

  /**
   * Makes the control plane match {@code desired}. Throws when the control plane cannot be
   * reached or refuses a write that may succeed later; the caller retries with the newest state.
   * Problems with one service that no retry can fix (a name the control plane rejects) are logged
   * and skipped, not thrown, so the other services still converge.
   *
   * @return what was written; {@link SyncResult#NOTHING} at steady state
   */
  SyncResult sync(DesiredState desired) throws Exception;

  /** Releases connections; does not remove what was written. Never throws. */
  @Override
  void close();
}
