package io.registrybridge.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An {@code istio-xds} start through {@code bin/registry-bridge} prints no JVM warning: gRPC's
 * shaded Netty uses {@code sun.misc.Unsafe}, which Java 24+ warns about in four lines unless the
 * launcher passes {@code --sun-misc-unsafe-memory-access=allow}.
 */
class LauncherQuietJvmIT {
  @TempDir Path tmp;
  private DaemonProcesses daemons;

  @AfterEach
  void tearDown() {
    if (daemons != null) {
      daemons.close();
    }
  }

  @Test
  void anIstioXdsStartPrintsNoJvmWarning() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    daemons = new DaemonProcesses(tmp);
    Path log = daemons.launcher(Map.of("REGISTRY_BRIDGE_LOCAL_CONSUL", "off"),
        "-hostname", "it-quiet", "-http-listen=127.0.0.1:0",
        "istio-xds://127.0.0.1:" + port).log();

    // Netty's first use of Unsafe happens when the xDS server starts; its warning comes first.
    await().atMost(Duration.ofSeconds(60)).until(() -> Files.readString(log)
        .contains("serving ServiceEntry over xDS on 127.0.0.1:" + port));
    List<String> lines = Files.readAllLines(log);
    assertThat(lines).as(String.join("\n", lines))
        .noneMatch(line -> line.startsWith("WARNING:"));
  }
}
