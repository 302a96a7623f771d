package io.registrybridge.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The plugin seam's rules (docs/design.md, "Modules"), checked on the compiled classes of every
 * module in the runnable jar, so that a new back end that breaks them fails the build:
 *
 * <ul>
 *   <li>a plugin (a source or a sink module) depends on core, spi and retry, never on the daemon
 *       ({@code bridge}) nor on another plugin, except the exceptions named here;
 *   <li>core, spi and retry depend on no plugin and not on the daemon;
 *   <li>the daemon names no plugin class, except the exceptions named here.
 * </ul>
 */
class ModuleBoundariesTest {
  private static final String ROOT = "io.registrybridge";

  /** Plugin → plugins it may use, each with the reason in docs/design.md. */
  private static final Map<String, Set<String>> PLUGIN_EXCEPTIONS = Map.of(
      // The xDS transport serves what the mesh engine computes: one engine, three transports.
      "sink.mesh.xds", Set.of("sink.mesh"));

  /** Plugin classes the daemon may name, each with the reason in docs/design.md. */
  private static final Set<String> DAEMON_EXCEPTIONS = Set.of(
      // Leader election (-leader-elect) reaches the cluster exactly as the Kubernetes source.
      ROOT + ".source.kubernetes.KubernetesClients");

  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages(ROOT);
  }

  @Test
  void theImportSeesEveryModule() {
    Set<String> modules = new TreeSet<>();
    classes.forEach(c -> module(c).ifPresent(modules::add));
    assertThat(modules).contains("core", "spi", "retry", "bridge", "source.docker",
        "source.kubernetes", "sink.consul", "sink.mesh", "sink.mesh.xds");
  }

  @Test
  void pluginsDependOnCoreSpiAndRetryOnly() {
    Set<String> violations = new TreeSet<>();
    for (JavaClass from : classes) {
      Optional<String> module = module(from).filter(ModuleBoundariesTest::isPlugin);
      if (module.isEmpty()) {
        continue;
      }
      for (Dependency dependency : from.getDirectDependenciesFromSelf()) {
        Optional<String> target = module(dependency.getTargetClass());
        if (target.isEmpty() || target.get().equals(module.get())
            || Set.of("core", "spi", "retry").contains(target.get())
            || PLUGIN_EXCEPTIONS.getOrDefault(module.get(), Set.of()).contains(target.get())) {
          continue;
        }
        violations.add(module.get() + ": " + dependency.getDescription());
      }
    }
    assertThat(violations).as("plugins reaching past the seam").isEmpty();
  }

  @Test
  void coreSpiAndRetryDependOnNoPluginAndNotOnTheDaemon() {
    Set<String> violations = new TreeSet<>();
    for (JavaClass from : classes) {
      Optional<String> module = module(from)
          .filter(m -> Set.of("core", "spi", "retry").contains(m));
      if (module.isEmpty()) {
        continue;
      }
      for (Dependency dependency : from.getDirectDependenciesFromSelf()) {
        Optional<String> target = module(dependency.getTargetClass());
        if (target.isPresent() && (isPlugin(target.get()) || target.get().equals("bridge"))) {
          violations.add(module.get() + ": " + dependency.getDescription());
        }
      }
    }
    assertThat(violations).isEmpty();
  }

  @Test
  void theDaemonNamesNoPlugin() {
    Set<String> violations = new TreeSet<>();
    for (JavaClass from : classes) {
      if (!module(from).equals(Optional.of("bridge"))) {
        continue;
      }
      for (Dependency dependency : from.getDirectDependenciesFromSelf()) {
        JavaClass target = dependency.getTargetClass();
        if (module(target).filter(ModuleBoundariesTest::isPlugin).isPresent()
            && !DAEMON_EXCEPTIONS.contains(target.getName())) {
          violations.add(dependency.getDescription());
        }
      }
    }
    assertThat(violations).as("bridge/ naming plugin classes").isEmpty();
  }

  /**
   * The module of a class by its package: {@code core}, {@code spi}, {@code bridge}, {@code
   * source.docker}, {@code sink.mesh.xds}...; empty for classes that are not ours.
   */
  static Optional<String> module(JavaClass javaClass) {
    String name = javaClass.getPackageName();
    if (!name.startsWith(ROOT + ".")) {
      return Optional.empty();
    }
    String[] parts = name.substring(ROOT.length() + 1).split("\\.");
    if (parts[0].equals("source") || parts[0].equals("sink")) {
      if (parts.length < 2) {
        return Optional.of(parts[0]);
      }
      String plugin = parts[0] + "." + parts[1];
      return Optional.of(plugin.equals("sink.mesh") && parts.length > 2
          && parts[2].equals("xds") ? "sink.mesh.xds" : plugin);
    }
    return Optional.of(parts[0]);
  }

  static boolean isPlugin(String module) {
    return module.startsWith("source.") || module.startsWith("sink.");
  }
}
