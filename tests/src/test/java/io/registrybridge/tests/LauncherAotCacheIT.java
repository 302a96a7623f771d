package io.registrybridge.tests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledForJreRange;
import org.junit.jupiter.api.condition.JRE;
import org.junit.jupiter.api.io.TempDir;

/**
 * JVM options under which the JVM refuses the AOT cache it just made (a young generation larger
 * than the initial heap: "archived heap objects cannot be loaded"), which would end the JVM at
 * start: the launcher tries each new cache once, starts without it, and does not train again.
 */
@EnabledForJreRange(min = JRE.JAVA_25)
class LauncherAotCacheIT {
  @TempDir Path tmp;

  private record Run(int exit, String output) {}

  private Run launch(Path cache) throws Exception {
    Path out = tmp.resolve("out-" + System.nanoTime() + ".log");
    ProcessBuilder launcher = new ProcessBuilder("sh", DaemonProcesses.LAUNCHER.toString(),
        "--version").redirectErrorStream(true).redirectOutput(out.toFile());
    launcher.environment().putAll(java.util.Map.of(
        "JAVA_HOME", System.getProperty("java.home"),
        "REGISTRY_BRIDGE_JAR", DaemonProcesses.JAR.toAbsolutePath().toString(),
        "REGISTRY_BRIDGE_AOT_CACHE", cache.toString(),
        "REGISTRY_BRIDGE_LOCAL_CONSUL", "off",
        "JAVA_OPTS", "-XX:+UseSerialGC -Xms8m -Xmx64m -Xmn16m -XX:TieredStopAtLevel=1 "
            + "--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow"));
    Process process = launcher.start();
    assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("the launcher ended").isTrue();
    return new Run(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
  }

  @Test
  void aCacheTheJvmRefusesIsNeverUsedAndNotMadeAgain() throws Exception {
    Path cache = tmp.resolve("registry-bridge.aot");

    Run first = launch(cache);
    assertThat(first.exit()).as(first.output()).isZero();
    assertThat(first.output()).contains("creating the AOT cache",
        "starting without the AOT cache: the JVM refuses the AOT cache it makes with these JVM"
            + " options", "registry-bridge ").doesNotContain("Unable to use AOT cache");
    assertThat(cache).doesNotExist();
    assertThat(Files.readString(tmp.resolve("registry-bridge.aot.stamp"))).startsWith("unusable ");

    Run second = launch(cache);
    assertThat(second.exit()).as(second.output()).isZero();
    assertThat(second.output()).contains("starting without the AOT cache", "registry-bridge ")
        .doesNotContain("creating the AOT cache");
  }
}
