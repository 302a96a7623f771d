/**
 * The AOT training run: {@code java -XX:AOTCacheOutput=registry-bridge.aot -jar
 * registry-bridge.jar --aot-training}.
 *
 * <p>A JDK 25 AOT cache (JEP 483/514/515) holds the classes a <em>training run</em> loaded and
 * linked, so that later runs start with them already parsed, verified and linked. The cache
 * only helps for the classes the training run really used, so the training must take the
 * daemon's real start-up path: the real docker-java client over its real Unix-socket transport,
 * the real Consul client (kiwiproject consul-client: Retrofit, OkHttp, Jackson), the
 * reconciler, logging, Micrometer's Prometheus scrape. It must also run where neither a Docker
 * engine nor Consul exists, hence the in-process fakes of the {@code registry-bridge-training}
 * module ({@link io.registrybridge.training}): a Docker engine on a Unix domain socket and a
 * Consul agent on {@code 127.0.0.1}.
 *
 * <p>{@link io.registrybridge.bridge.training.AotTraining} wires them to a real {@code Bridge},
 * drives a few container events and checks that Consul ended up with what it should; a broken
 * training fails (exit status 1) instead of silently producing a useless cache.
 * {@code AotTrainingTest} runs it in-process, which keeps the fakes honest as the daemon
 * changes.
 */
package io.registrybridge.bridge.training;
