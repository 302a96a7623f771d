package io.registrybridge.tests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What the runnable jar carries, checked against the libraries it was shaded from (this
 * module's test class path has the same versions). The root pom and bridge/pom.xml leave out
 * what the code never loads; these checks keep that from removing something it does load.
 */
class RunnableJarContentsTest {
  private static final Path JAR = Path.of(System.getProperty("registry-bridge.jar",
      "../bridge/target/registry-bridge.jar"));
  /** The oldest Java the jar runs on ({@code maven.compiler.release}). */
  private static final int MIN_JAVA = 21;
  private static final Pattern VERSIONED = Pattern.compile("META-INF/versions/(\\d+)/(.+)");
  /**
   * The part of io.envoyproxy.controlplane:api the jar keeps (the shade filter in
   * bridge/pom.xml): what the ADS service's descriptors import.
   */
  private static final List<String> KEPT_ENVOY_PACKAGES = List.of(
      "io/envoyproxy/envoy/service/discovery/v3/", "io/envoyproxy/envoy/config/core/v3/",
      "io/envoyproxy/envoy/type/v3/", "io/envoyproxy/pgv/validate/", "com/github/xds/core/v3/",
      "envoy/annotations/", "udpa/annotations/", "xds/annotations/v3/");

  private static ZipFile jar;

  @BeforeAll
  static void open() throws IOException {
    assertThat(JAR).as("build the jar first: ./mvnw -DskipTests package").exists();
    jar = new ZipFile(JAR.toFile());
  }

  @AfterAll
  static void close() throws IOException {
    jar.close();
  }

  /**
   * Every class of every shaded library resolves, on Java 21, to the same multi-release variant
   * as in the library itself: the jar may drop variants only newer ones hide (junixsocket's).
   * The project's own classes are left to the tests that run the jar (with {@code -pl tests}
   * alone they come from the local repository, which may hold another build).
   */
  @Test
  void everyClassResolvesToTheVariantJava21WouldLoad() throws IOException {
    List<String> missing = new ArrayList<>();
    int libraries = 0;
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      if (!entry.endsWith(".jar")) {
        continue;
      }
      try (ZipFile library = new ZipFile(entry)) {
        Map<String, Integer> loaded = variantsLoadedOnMinJava(library);
        if (Path.of(entry).getFileName().toString().startsWith("api-")
            && library.getEntry("io/envoyproxy/envoy/service/discovery/v3/AdsProto.class")
                != null) {
          loaded.keySet().removeIf(c -> KEPT_ENVOY_PACKAGES.stream().noneMatch(c::startsWith));
        }
        // Libraries the jar does not contain at all (test tools, excluded artifacts) are skipped.
        if (loaded.keySet().stream().noneMatch(c -> jar.getEntry(c) != null
            || jar.getEntry(entryName(c, loaded.get(c))) != null)) {
          continue;
        }
        libraries++;
        loaded.forEach((name, version) -> {
          if (jar.getEntry(entryName(name, version)) == null) {
            missing.add(entryName(name, version) + " (from " + Path.of(entry).getFileName() + ")");
          }
        });
      }
    }
    assertThat(libraries).as("shaded libraries found on the class path").isGreaterThan(30);
    assertThat(missing).as("classes Java %d would load, missing from the jar", MIN_JAVA).isEmpty();
  }

  /** Class name -> the version Java {@link #MIN_JAVA} loads it from (8 for the base entry). */
  private static Map<String, Integer> variantsLoadedOnMinJava(ZipFile library) {
    boolean multiRelease = isMultiRelease(library);
    Map<String, Integer> loaded = new TreeMap<>();
    library.stream().map(ZipEntry::getName).filter(n -> n.endsWith(".class"))
        .filter(n -> !n.endsWith("module-info.class") && !n.startsWith("io/registrybridge/"))
        .forEach(name -> {
          Matcher versioned = VERSIONED.matcher(name);
          if (!versioned.matches()) {
            loaded.merge(name, 8, Math::max);
          } else if (multiRelease && Integer.parseInt(versioned.group(1)) <= MIN_JAVA) {
            loaded.merge(versioned.group(2), Integer.parseInt(versioned.group(1)), Math::max);
          }
        });
    return loaded;
  }

  private static boolean isMultiRelease(ZipFile library) {
    ZipEntry manifest = library.getEntry("META-INF/MANIFEST.MF");
    if (manifest == null) {
      return false;
    }
    try (InputStream in = library.getInputStream(manifest)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
          .anyMatch(l -> l.trim().equalsIgnoreCase("Multi-Release: true"));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String entryName(String className, int version) {
    return version == 8 ? className : "META-INF/versions/" + version + "/" + className;
  }

  /**
   * The xDS messages and the ADS service load from the jar alone: building their descriptors
   * builds those of every proto file they import, so a file the shade filter left out fails
   * here, not in front of istiod.
   */
  @Test
  void theXdsMessagesAndServiceLoadFromTheJarAlone() throws Exception {
    try (java.net.URLClassLoader alone = new java.net.URLClassLoader(
        new java.net.URL[] {JAR.toUri().toURL()}, ClassLoader.getPlatformClassLoader())) {
      for (String outer : List.of("io.envoyproxy.envoy.service.discovery.v3.AdsProto",
          "io.envoyproxy.envoy.service.discovery.v3.DiscoveryProto",
          "io.registrybridge.sink.mesh.xds.proto.mcp.ResourceOuterClass",
          "io.registrybridge.sink.mesh.xds.proto.networking.ServiceEntryOuterClass")) {
        Object descriptor = Class.forName(outer, true, alone).getMethod("getDescriptor")
            .invoke(null);
        assertThat(descriptor).as(outer).isNotNull();
      }
      Object service = Class.forName(
          "io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc", true, alone)
          .getMethod("getServiceDescriptor").invoke(null);
      assertThat(service).isNotNull();
    }
  }

  /**
   * fabric8 finds typed classes through {@code META-INF/services}: the shade plugin's
   * ServicesResourceTransformer must merge the kept model modules' lists.
   */
  @Test
  void theKubernetesModelRegistryListsTheKeptModels() throws IOException {
    ZipEntry services = jar.getEntry(
        "META-INF/services/io.fabric8.kubernetes.api.model.KubernetesResource");
    assertThat(services).isNotNull();
    String listed;
    try (InputStream in = jar.getInputStream(services)) {
      listed = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertThat(listed).contains("io.fabric8.kubernetes.api.model.Service\n",
        "io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice\n",
        "io.fabric8.kubernetes.api.model.coordination.v1.Lease\n");
    assertThat(listed).doesNotContain("io.fabric8.kubernetes.api.model.rbac.",
        "io.fabric8.kubernetes.api.model.networking.");
  }

  /**
   * What the trim leaves out stays out (reasons in the root pom and bridge/pom.xml). Adding one
   * back on purpose is fine: take it off this list.
   */
  @Test
  void whatTheCodeNeverLoadsIsNotInTheJar() {
    Set<String> present = new TreeSet<>();
    Map<String, String> absent = new HashMap<>(Map.of(
        "io/fabric8/kubernetes/api/model/rbac/", "fabric8 model: rbac",
        "io/fabric8/kubernetes/api/model/networking/", "fabric8 model: networking",
        "io/fabric8/kubernetes/api/model/gatewayapi/", "fabric8 model: gatewayapi",
        "io/fabric8/kubernetes/api/model/apiextensions/", "fabric8 model: apiextensions",
        "io/fabric8/kubernetes/api/model/admissionregistration/", "fabric8 model: admission",
        "io/fabric8/kubernetes/api/model/resource/", "fabric8 model: resource",
        "com/sun/jna/", "JNA (docker-java's npipe:// and pre-16 Unix sockets)",
        "org/apache/commons/compress/", "commons-compress (docker-java's tar archives)",
        "org/apache/commons/codec/", "commons-codec (only commons-compress used it)",
        "io/prometheus/metrics/shaded/", "Prometheus' protobuf exposition format"));
    absent.put("META-INF/versions/14/org/newsclub/", "junixsocket's Java 14 variants");
    jar.stream().map(ZipEntry::getName).forEach(name -> absent.forEach((prefix, what) -> {
      if (name.startsWith(prefix)) {
        present.add(what);
      }
    }));
    assertThat(present).isEmpty();
  }
}
