package io.registrybridge.bridge.leader;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the Lease gates, as one lifecycle: a replica holds the Lease only while its sinks write.
 *
 * <ul>
 *   <li>The daemon builds and checks its sinks before {@link #start}: a bad token file or option
 *       ends it before it competes, so a replica that cannot write never takes the Lease.
 *   <li>Taking the Lease hands the start of the sinks to {@code executor}: fabric8's elector
 *       thread only hands over, so a slow start never delays a renewal, and a failing one is
 *       seen instead of lost inside the elector (which would keep renewing a Lease whose holder
 *       never writes).
 *   <li>A start that fails stops whatever did start, releases the Lease, so another replica
 *       takes over within one retry period instead of a whole lease duration, and exits with 1.
 *   <li>A lost Lease (not renewed within the renew deadline, or taken by another replica) stops
 *       the sinks at once and exits with 1, as client-go's controllers do: an elector runs once,
 *       and the restarted replica comes back as a clean follower.
 *   <li>{@link #close}, at shutdown, releases the Lease; the daemon calls it after its sinks
 *       stopped, so that two leaders never write at once.
 * </ul>
 *
 * <p>Every transition but {@link #close} runs on {@code executor}, in the order the elector
 * reported them.
 */
public final class Leadership implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Leadership.class);

  /** Where a replica is in its lifecycle. */
  public enum State {
    /** Competing for the Lease, or waiting for another replica to let it go. */
    STANDING_BY,
    /** Holds the Lease; the sinks are being started. */
    STARTING,
    /** Holds the Lease; the sinks run. */
    WRITING,
    /** Could not start the sinks; released the Lease and asked to exit with 1. */
    FAILED,
    /** Lost the Lease; stopped the sinks and asked to exit with 1. */
    LOST,
    /** Shut down. */
    CLOSED
  }

  /** What runs only while this replica leads: the sinks. */
  public interface Writers {
    /**
     * Starts writing; called on the leadership executor once the Lease is held.
     *
     * @throws RuntimeException when the sinks cannot start (an address taken, a file gone)
     */
    void start();

    /** Stops writing at once, including what {@link #start} started before it failed. */
    void stop();
  }

  private final LeaderElection election;
  private final Writers writers;
  private final Executor executor;
  private final IntConsumer exit;
  private final AtomicReference<State> state = new AtomicReference<>(State.STANDING_BY);

  /**
   * @param identity this replica's {@code holderIdentity}, unique among the replicas
   * @param executor runs the start and stop of the writers; one thread, the daemon's
   * @param exit told the exit status when this replica must go (1)
   */
  public Leadership(KubernetesClient client, String namespace, String name, String identity,
      LeaderElection.Timing timing, Writers writers, Executor executor, IntConsumer exit) {
    this.writers = requireNonNull(writers, "writers");
    this.executor = requireNonNull(executor, "executor");
    this.exit = requireNonNull(exit, "exit");
    this.election = new LeaderElection(client, namespace, name, identity, timing,
        new LeaderElection.Listener() {
          @Override
          public void startedLeading() {
            hand(Leadership.this::startWriting);
          }

          @Override
          public void stoppedLeading() {
            // Our own release (a failed start, close()) tells this too: nothing left to do.
            State now = state.get();
            if (now != State.FAILED && now != State.CLOSED) {
              hand(Leadership.this::lost);
            }
          }
        });
  }

  /** Starts competing for the Lease; returns at once. */
  public void start() {
    election.start();
  }

  public State state() {
    return state.get();
  }

  private void startWriting() {
    if (!state.compareAndSet(State.STANDING_BY, State.STARTING)) {
      return; // closed meanwhile
    }
    try {
      writers.start();
    } catch (RuntimeException | Error e) {
      failed(e);
      return;
    }
    state.compareAndSet(State.STARTING, State.WRITING);
  }

  private void failed(Throwable error) {
    if (!state.compareAndSet(State.STARTING, State.FAILED)) {
      return; // closed meanwhile: shutdown stops and releases anyway
    }
    log.error("leader election: {} took Lease {} but could not start its sinks ({}); releasing"
        + " the Lease so that another replica leads, and exiting", election.identity(),
        election.lease(), describe(error), error);
    try {
      writers.stop();
    } catch (RuntimeException e) {
      log.warn("leader election: stopping the sinks: {}", describe(e), e);
    }
    election.close();
    exit.accept(1);
  }

  private void lost() {
    if (!state.compareAndSet(State.WRITING, State.LOST)) {
      return;
    }
    log.error("leader election: {} lost Lease {}; stopping the sinks and exiting",
        election.identity(), election.lease());
    writers.stop();
    exit.accept(1);
  }

  private void hand(Runnable transition) {
    try {
      executor.execute(transition);
    } catch (RejectedExecutionException e) {
      // The daemon is shutting down; close() stops the writers and releases the Lease.
      log.debug("leader election: not handed over, shutting down", e);
    }
  }

  /** Stops competing and releases the Lease if this replica holds it. */
  @Override
  public void close() {
    state.set(State.CLOSED);
    election.close();
  }

  private static String describe(Throwable e) {
    return e.getMessage() == null ? e.getClass().getSimpleName()
        : e.getClass().getSimpleName() + ": " + e.getMessage();
  }
}
