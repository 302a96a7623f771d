package io.registrybridge.core;

import java.util.Set;

/**
 * A control plane that the bridge keeps equal to the desired state: Consul, the Istio mesh.
 *
 * <p>Sinks are level-triggered and diff-based, and have two paths:
 *
 * <ul>
 *   <li>{@link #apply}: the incremental path. The reconciler hands over the IDs that changed since
 *       the last call; the sink compares each one's desired state with what it knows it holds and
 *       writes only the difference. Its cost grows with the number of IDs, not with the catalog.
 *   <li>{@link #sync}: the full path. The sink reads back everything it owns, compares it with the
 *       whole desired state and writes the differences. It runs at start, after failures, when the
 *       sink asks for it ({@link SinkContext#requestFullSync}) and every {@link
 *       SinkTiming#verifyInterval()}.
 * </ul>
 *
 * <p>Both are called from one thread (the sink's {@link SinkReconciler}). A sink touches only
 * objects it marked as its own, and deletes nothing while the desired state is incomplete.
 */
public interface Sink extends AutoCloseable {

  /** A short, stable name for logs and metrics ({@code consul}, {@code mesh-k8s}). */
  String name();

  /** How the reconciler paces this sink. */
  default SinkTiming timing() {
    return SinkTiming.DEFAULT;
  }

  /**
   * Called once, on the reconciler's thread, before anything else. A sink that watches its
   * control plane (for lost state) starts doing so here and reports through {@code context}.
   */
  default void start(SinkContext context) {}

  /**
   * Makes the control plane match {@code desired} for exactly these IDs: writes what is desired
   * and missing or different, removes what it owns and is no longer desired (only when {@link
   * DesiredView#complete()}). The default, for sinks without an incremental path, runs a full
   * {@link #sync}.
   *
   * @throws Exception when the control plane cannot be reached; the reconciler hands the same IDs
   *     back after a backoff, with a full sync first
   * @return what was written; IDs in {@link SyncResult#retry()} come back after a backoff
   */
  default SyncResult apply(Set<String> ids, DesiredView desired) throws Exception {
    return sync(desired.snapshot());
  }

  /**
   * Reads everything this sink owns on the control plane and makes it match {@code desired}.
   * Problems with one service that no retry can fix (a name the control plane rejects) are logged
   * and skipped, not thrown, so the other services still converge.
   *
   * @throws Exception when the control plane cannot be reached or refuses a write that may
   *     succeed later; the caller retries with the newest state
   * @return what was written; {@link SyncResult#NOTHING} at steady state
   */
  SyncResult sync(DesiredState desired) throws Exception;

  /**
   * Why the control plane's consumers do not hold what was written yet, beyond what the
   * reconciler knows (an istiod that has not acknowledged the current version); empty when they
   * do. {@code /readyz} fails while it is present. Called from any thread.
   */
  default java.util.Optional<String> notReady() {
    return java.util.Optional.empty();
  }

  /**
   * How often the reconciler asks {@link #answers()} while it backs off after an outage, so that
   * the first write follows soon after the control plane is back instead of waiting out a
   * backoff that grew while it was down. Empty (the default): no probe; the backoff runs its
   * course.
   */
  default java.util.Optional<java.time.Duration> probeInterval() {
    return java.util.Optional.empty();
  }

  /**
   * A cheap question to the control plane (Consul: who is the leader), asked on the sink's
   * thread while it backs off: true once it answers. Never throws for an outage: false.
   */
  default boolean answers() {
    return false;
  }

  /**
   * What this sink knows of one desired instance that the reconciler cannot: it refused it for good
   * ({@link IdState#REJECTED}, e.g. a name the control plane rejects) or keeps it back ({@link
   * IdState#HELD}, e.g. a port collision), with the reason, made with {@link IdState#of}. Empty
   * when it has nothing to add. Called from any thread, for {@code /debug/services}: read state
   * that is safe to read there.
   */
  default java.util.Optional<IdState> explain(ServiceInstance instance) {
    return java.util.Optional.empty();
  }

  /**
   * Runs this sink's own per-change code once on {@code sample}, writing nothing and reading
   * nothing, so that the first real change does not pay for it: class initialization, the
   * linkage of records' generated methods and lambdas, serializers built on first use (about 50 ms
   * on the first container after start, measured in docs/benchmarks.md). Called once, on a
   * thread of its own: after every sink's first full sync, or earlier when a sink first fails;
   * must not change what the sink holds. The default does nothing.
   */
  default void warmUp(ServiceInstance sample) {}

  /** Releases connections and stops background work; does not remove what was written. */
  @Override
  void close();
}
