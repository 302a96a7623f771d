/**
 * In-process fakes for the AOT training run ({@code io.registrybridge.bridge.training.AotTraining}
 * in {@code bridge/}), which must take the daemon's real start-up path where neither a Docker
 * engine nor Consul exists: in {@code docker build}, on a laptop, in a unit test. They answer
 * just what the daemon asks:
 *
 * <ul>
 *   <li>{@link io.registrybridge.training.FakeDockerEngine}: the Docker Engine API on a Unix
 *       domain socket, hand-written HTTP/1.1 with a chunked {@code /events} stream, reporting
 *       the {@linkplain io.registrybridge.training.CannedContainers canned containers};
 *   <li>{@link io.registrybridge.training.FakeConsulAgent}: the Consul agent API on {@code
 *       127.0.0.1}, on the JDK's HTTP server.
 * </ul>
 *
 * <p>A module of their own, so that the daemon's code holds no fake and the fakes depend on
 * nothing of the daemon (the JDK and Jackson only); the runnable jar still carries them, since
 * the image build trains with it. The answers are shaped after Docker 20.10 (API 1.41) and
 * Consul 1.8.7.
 */
package io.registrybridge.training;
