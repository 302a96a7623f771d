package io.registrybridge.bridge.leader;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lease-based leader election ({@code coordination.k8s.io/v1}) with fabric8's {@code
 * LeaderElector}, client-go's algorithm: the holder renews the Lease every {@code retryPeriod};
 * the others take it over when it was not renewed for {@code leaseDuration}. On {@link #close}
 * the Lease is released, so another replica takes over within one {@code retryPeriod} instead of
 * a whole {@code leaseDuration}.
 *
 * <p>An elector runs once (fabric8 starts each at most once). What leading means for the daemon
 * (when the sinks start, what a failure or a lost Lease does) is {@link Leadership}'s.
 *
 * <p>fabric8's elector calls back on its own thread, from inside its acquire/renew loop: a
 * callback that blocks delays the renewals, and one that throws is lost while the Lease is kept.
 * Listeners therefore only hand over.
 */
public final class LeaderElection implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LeaderElection.class);

  /** client-go's defaults (kube-controller-manager's flags). */
  public record Timing(Duration leaseDuration, Duration renewDeadline, Duration retryPeriod) {
    public static final Timing DEFAULT = new Timing(Duration.ofSeconds(15),
        Duration.ofSeconds(10), Duration.ofSeconds(2));
  }

  /** Told on the elector's thread; must return quickly. */
  public interface Listener {
    void startedLeading();

    void stoppedLeading();

    default void newLeader(String identity) {}
  }

  private final KubernetesClient client;
  private final String namespace;
  private final String name;
  private final String identity;
  private final Timing timing;
  private final Listener listener;
  private CompletableFuture<?> running;

  /**
   * @param identity this replica's name in the Lease's {@code holderIdentity}; unique among the
   *     replicas (the Pod name)
   */
  public LeaderElection(KubernetesClient client, String namespace, String name, String identity,
      Timing timing, Listener listener) {
    this.client = requireNonNull(client, "client");
    this.namespace = requireNonNull(namespace, "namespace");
    this.name = requireNonNull(name, "name");
    this.identity = requireNonNull(identity, "identity");
    this.timing = requireNonNull(timing, "timing");
    this.listener = requireNonNull(listener, "listener");
  }

  /** Starts competing for the Lease; returns at once. */
  public synchronized void start() {
    log.info("leader election: competing for Lease {}/{} as {}", namespace, name, identity);
    running = client.leaderElector().withConfig(new LeaderElectionConfigBuilder()
        .withName(namespace + "/" + name)
        .withLock(new LeaseLock(namespace, name, identity))
        .withLeaseDuration(timing.leaseDuration())
        .withRenewDeadline(timing.renewDeadline())
        .withRetryPeriod(timing.retryPeriod())
        .withReleaseOnCancel(true)
        .withLeaderCallbacks(new LeaderCallbacks(
            () -> {
              log.info("leader election: {} leads (Lease {}/{})", identity, namespace, name);
              listener.startedLeading();
            },
            () -> {
              log.info("leader election: {} stopped leading", identity);
              listener.stoppedLeading();
            },
            leader -> {
              if (!identity.equals(leader)) {
                log.info("leader election: {} leads; {} stands by", leader, identity);
              }
              listener.newLeader(leader);
            }))
        .build()).build().start();
  }

  /** {@code NAMESPACE/NAME} of the Lease. */
  public String lease() {
    return namespace + "/" + name;
  }

  /** This replica's {@code holderIdentity}. */
  public String identity() {
    return identity;
  }

  /**
   * Stops competing and, if this replica leads, releases the Lease (an update that empties its
   * {@code holderIdentity}, made before this returns: fabric8 releases in the cancelling thread)
   * and tells {@link Listener#stoppedLeading}.
   */
  @Override
  public synchronized void close() {
    if (running != null) {
      running.cancel(true);
      running = null;
    }
  }
}
