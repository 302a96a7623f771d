package io.registrybridge.tests;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.registrybridge.bridge.Bridge;
import io.registrybridge.bridge.BridgeConfig;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code deploy/daemonset.yaml} read with fabric8's typed model: every field known (a misspelt
 * one would land in {@code additionalProperties}), the socket mounted, the probes on the port
 * the image's entrypoint serves, and the arguments accepted by the daemon's own parser after
 * the kubelet's {@code $(VAR)} expansion.
 */
class DaemonSetManifestTest {
  /** Surefire runs in the module directory, tests/. */
  private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
  private static final Path MANIFEST = ROOT.resolve("deploy/daemonset.yaml");
  private static final Path DOCKERFILE = ROOT.resolve("Dockerfile");

  private static DaemonSet daemonSet;
  private static PodSpec pod;
  private static Container container;

  @BeforeAll
  static void parse() throws Exception {
    try (InputStream in = Files.newInputStream(MANIFEST)) {
      Object parsed = new KubernetesSerialization().unmarshal(in);
      assertThat(parsed).isInstanceOf(DaemonSet.class);
      daemonSet = (DaemonSet) parsed;
    }
    pod = daemonSet.getSpec().getTemplate().getSpec();
    assertThat(pod.getContainers()).hasSize(1);
    container = pod.getContainers().get(0);
  }

  @Test
  void isAnAppsV1DaemonSetWhoseSelectorMatchesItsPods() {
    assertThat(daemonSet.getApiVersion()).isEqualTo("apps/v1");
    assertThat(daemonSet.getKind()).isEqualTo("DaemonSet");
    assertThat(daemonSet.getMetadata().getName()).isEqualTo("registry-bridge");
    assertThat(daemonSet.getSpec().getTemplate().getMetadata().getLabels())
        .containsAllEntriesOf(daemonSet.getSpec().getSelector().getMatchLabels());
    assertThat(pod.getNodeSelector()).containsEntry("kubernetes.io/os", "linux");
  }

  @Test
  void everyFieldIsOneKubernetesKnows() {
    List<String> unknown = new ArrayList<>();
    collectUnknownFields(daemonSet, "", unknown, new IdentityHashMap<>());
    assertThat(unknown).as("fields fabric8 does not know (misspelt?)").isEmpty();
  }

  @Test
  void theUnknownFieldCheckFindsAMisspeltField() {
    DaemonSet misspelt = new KubernetesSerialization().unmarshal("""
        apiVersion: apps/v1
        kind: DaemonSet
        metadata: {name: x}
        spec:
          template:
            spec:
              containers:
                - name: x
                  livenesProbe: {httpGet: {path: /healthz, port: 8080}}
        """, DaemonSet.class);
    List<String> unknown = new ArrayList<>();
    collectUnknownFields(misspelt, "", unknown, new IdentityHashMap<>());
    assertThat(unknown).singleElement().asString().contains("livenesProbe");
  }

  @Test
  void runsTheImageWithTheDockerSocketFromTheNode() {
    assertThat(container.getImage()).startsWith("registry-bridge:");
    Volume socket = volume("docker-socket");
    assertThat(socket.getHostPath().getPath()).isEqualTo("/var/run/docker.sock");
    assertThat(socket.getHostPath().getType()).isEqualTo("Socket");
    VolumeMount mount = mount("docker-socket");
    assertThat(mount.getMountPath()).isEqualTo("/var/run/docker.sock");
    assertThat(mount.getReadOnly()).as("readOnly does not restrict the API; see operations.md")
        .isNotEqualTo(Boolean.TRUE);
  }

  @Test
  void takesTheHostnameAndTheConsulAgentFromTheNode() {
    assertThat(env("NODE_NAME").getValueFrom().getFieldRef().getFieldPath())
        .isEqualTo("spec.nodeName");
    assertThat(env("HOST_IP").getValueFrom().getFieldRef().getFieldPath())
        .isEqualTo("status.hostIP");
    assertThat(container.getCommand()).as("the image's entrypoint stays").isNullOrEmpty();
    assertThat(container.getArgs()).contains("-hostname=$(NODE_NAME)",
        "consul://$(HOST_IP):8500");

    // What the daemon receives on a node: the entrypoint's flag, then the args, expanded.
    List<String> argv = new ArrayList<>(List.of("-http-listen=:" + entrypointPort()));
    container.getArgs().forEach(arg -> argv.add(arg.replace("$(NODE_NAME)", "node-7")
        .replace("$(HOST_IP)", "10.1.2.3")));
    BridgeConfig config = BridgeConfig.fromArgs(argv.toArray(String[]::new));
    assertThat(config.hostname()).contains("node-7");
    assertThat(config.sinkUris()).containsExactly("consul://10.1.2.3:8500");
    assertThat(config.retryAttempts()).isEqualTo(-1);
    assertThat(config.httpListen()).contains(":8080");
    // The Docker source's own flags (-ip) are checked when it is planned.
    Bridge.create(config, Map.of(), Clock.systemUTC()).close();
  }

  @Test
  void probesHealthzAndReadyzOnThePortTheImageServes() {
    int port = entrypointPort();
    assertThat(container.getPorts()).anySatisfy(p -> {
      assertThat(p.getName()).isEqualTo("http");
      assertThat(p.getContainerPort()).isEqualTo(port);
    });
    assertProbe(container.getLivenessProbe(), "/healthz", port);
    assertProbe(container.getReadinessProbe(), "/readyz", port);
  }

  @Test
  void theImageRunsTheDaemonThroughTheLauncherWhichExecsJava() throws Exception {
    String dockerfile = Files.readString(DOCKERFILE);
    // Exec form: no shell stays between the runtime and the launcher, and the launcher exec's
    // java, so `docker stop` delivers SIGTERM to the JVM; the kubelet's args come after the
    // entrypoint's own flag.
    Matcher entrypoint = Pattern
        .compile("(?m)^ENTRYPOINT \\[\"([^\"]+)\", \"-http-listen=:\\d+\"\\]$")
        .matcher(dockerfile);
    assertThat(entrypoint.find()).as("ENTRYPOINT [\"<launcher>\", \"-http-listen=:PORT\"]")
        .isTrue();
    String launcher = entrypoint.group(1);
    assertThat(dockerfile).contains("COPY bin/registry-bridge " + launcher);
    assertThat(Files.readString(ROOT.resolve(".dockerignore"))).contains("!bin/registry-bridge");
    Path script = ROOT.resolve("bin/registry-bridge");
    assertThat(Files.isExecutable(script)).isTrue();
    assertThat(Files.readString(script)).startsWith("#!/bin/sh")
        .containsPattern("(?m)^exec \"\\$java\" .*-jar \"\\$jar\" \"\\$@\"$");
    // The AOT cache is trained while the image is built, by the same launcher.
    assertThat(dockerfile).containsPattern("(?m)^RUN REGISTRY_BRIDGE_AOT=train " + launcher + "$");
  }

  @Test
  void limitsMemoryAboveWhatItUsesAndDropsEveryCapability() {
    Map<String, Quantity> requests = container.getResources().getRequests();
    Map<String, Quantity> limits = container.getResources().getLimits();
    // docs/operations.md: about 110 MiB resident with 1,000 services, heap capped at 64 MiB.
    assertThat(Quantity.getAmountInBytes(requests.get("memory")).longValue())
        .isGreaterThanOrEqualTo(128L << 20);
    assertThat(Quantity.getAmountInBytes(limits.get("memory")))
        .isGreaterThanOrEqualTo(Quantity.getAmountInBytes(requests.get("memory")));
    assertThat(requests).containsKey("cpu");

    var security = container.getSecurityContext();
    assertThat(security.getAllowPrivilegeEscalation()).isFalse();
    assertThat(security.getReadOnlyRootFilesystem()).isTrue();
    assertThat(security.getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(security.getPrivileged()).isNotEqualTo(Boolean.TRUE);
    // A read-only root needs a writable java.io.tmpdir.
    assertThat(mount("tmp").getMountPath()).isEqualTo("/tmp");
    assertThat(volume("tmp").getEmptyDir()).isNotNull();
    assertThat(pod.getAutomountServiceAccountToken()).isFalse();
  }

  // --- helpers -------------------------------------------------------------------------------

  /** The port of {@code -http-listen=:PORT} in the Dockerfile's ENTRYPOINT, and its HEALTHCHECK. */
  private static int entrypointPort() {
    String dockerfile;
    try {
      dockerfile = Files.readString(DOCKERFILE);
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
    Matcher entrypoint = Pattern.compile("(?m)^ENTRYPOINT .*-http-listen=:(\\d+)")
        .matcher(dockerfile);
    assertThat(entrypoint.find()).as("ENTRYPOINT with -http-listen=:PORT").isTrue();
    int port = Integer.parseInt(entrypoint.group(1));
    assertThat(dockerfile).contains("127.0.0.1/" + port, "127.0.0.1 " + port);
    return port;
  }

  private static void assertProbe(Probe probe, String path, int port) {
    assertThat(probe).as("probe for %s", path).isNotNull();
    assertThat(probe.getHttpGet().getPath()).isEqualTo(path);
    var target = probe.getHttpGet().getPort();
    if (target.getIntVal() != null) {
      assertThat(target.getIntVal()).isEqualTo(port);
    } else {
      assertThat(container.getPorts()).anySatisfy(p -> {
        assertThat(p.getName()).isEqualTo(target.getStrVal());
        assertThat(p.getContainerPort()).isEqualTo(port);
      });
    }
  }

  private static EnvVar env(String name) {
    return container.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no env " + name));
  }

  private static Volume volume(String name) {
    return pod.getVolumes().stream().filter(v -> v.getName().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no volume " + name));
  }

  private static VolumeMount mount(String name) {
    return container.getVolumeMounts().stream().filter(m -> m.getName().equals(name))
        .findFirst().orElseThrow(() -> new AssertionError("no volumeMount " + name));
  }

  /**
   * Walks the fabric8 model: whatever the YAML had that no typed field took is kept in an
   * object's {@code additionalProperties}, which must be empty everywhere.
   */
  private static void collectUnknownFields(Object node, String path, List<String> unknown,
      Map<Object, Boolean> seen) {
    if (node == null || seen.put(node, Boolean.TRUE) != null) {
      return;
    }
    if (node instanceof Collection<?> items) {
      int i = 0;
      for (Object item : items) {
        collectUnknownFields(item, path + "[" + i++ + "]", unknown, seen);
      }
      return;
    }
    if (node instanceof Map<?, ?> map) {
      map.forEach((key, value) -> collectUnknownFields(value, path + "." + key, unknown, seen));
      return;
    }
    if (!node.getClass().getName().startsWith("io.fabric8.")) {
      return;
    }
    for (Method getter : node.getClass().getMethods()) {
      if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers())
          || !getter.getName().startsWith("get") || getter.getName().equals("getClass")) {
        continue;
      }
      Object value;
      try {
        value = getter.invoke(node);
      } catch (ReflectiveOperationException e) {
        continue;
      }
      if (getter.getName().equals("getAdditionalProperties")) {
        if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
          unknown.add(path + " " + extra.keySet());
        }
        continue;
      }
      String property = getter.getName().substring(3);
      collectUnknownFields(value, path + "." + property, unknown, seen);
    }
  }
}
