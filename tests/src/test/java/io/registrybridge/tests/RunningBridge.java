package io.registrybridge.tests;

import io.registrybridge.bridge.Bridge;
import io.registrybridge.bridge.BridgeConfig;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

/** The bridge, in this JVM, started from a command line exactly as the daemon parses it. */
final class RunningBridge implements AutoCloseable {
  private final Bridge bridge;

  private RunningBridge(Bridge bridge) {
    this.bridge = bridge;
  }

  static RunningBridge start(String... args) {
    return start(Map.of(), args);
  }

  /** @param extraEnv added to this process's environment (CONSUL_HTTP_TOKEN, DOCKER_HOST...) */
  static RunningBridge start(Map<String, String> extraEnv, String... args) {
    Map<String, String> env = new HashMap<>(System.getenv());
    env.putAll(extraEnv);
    Bridge bridge = Bridge.create(BridgeConfig.fromArgs(args), env, Clock.systemUTC());
    try {
      bridge.start();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return new RunningBridge(bridge);
  }

  Bridge bridge() {
    return bridge;
  }

  /** Stops the bridge the way a SIGKILL would leave things: registrations stay in Consul. */
  @Override
  public void close() {
    bridge.close();
  }
}
