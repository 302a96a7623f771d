package io.registrybridge.bridge;

import io.registrybridge.spi.SinkProvider;
import io.registrybridge.spi.SourceProvider;
import io.registrybridge.spi.Tool;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.stream.Collectors;
import picocli.CommandLine;

/**
 * The sources, sinks and tools on the class path, found through {@link ServiceLoader}: a new
 * back end is a module with a provider file, and nothing here names one. Loaded once per command
 * line, because each provider keeps the flags that command line gave it.
 */
public final class Plugins {
  private final List<SourceProvider> sources;
  private final Map<String, SinkProvider> sinksByScheme;
  private final List<SinkProvider> sinks;
  private final List<Tool> tools;

  private Plugins(List<SourceProvider> sources, List<SinkProvider> sinks, List<Tool> tools) {
    this.sources = List.copyOf(sources);
    this.sinks = List.copyOf(sinks);
    this.tools = List.copyOf(tools);
    Map<String, SinkProvider> byScheme = new TreeMap<>();
    for (SinkProvider sink : sinks) {
      for (String scheme : sink.schemes()) {
        SinkProvider before = byScheme.putIfAbsent(scheme.toLowerCase(Locale.ROOT), sink);
        if (before != null) {
          // Two modules claim one scheme: a packaging mistake, not a user's.
          throw new IllegalStateException("sink scheme " + scheme + ":// is claimed by both "
              + before.getClass().getName() + " and " + sink.getClass().getName());
        }
      }
    }
    this.sinksByScheme = byScheme;
    Map<String, SourceProvider> byName = new LinkedHashMap<>();
    for (SourceProvider source : sources) {
      if (byName.putIfAbsent(source.name(), source) != null) {
        throw new IllegalStateException("-source=" + source.name() + " is provided twice");
      }
    }
  }

  /** Fresh providers from the class path, in a stable order (by class name). */
  public static Plugins load() {
    return new Plugins(loadAll(SourceProvider.class), loadAll(SinkProvider.class),
        loadAll(Tool.class));
  }

  private static <T> List<T> loadAll(Class<T> type) {
    List<T> all = new ArrayList<>();
    ServiceLoader.load(type, Plugins.class.getClassLoader()).forEach(all::add);
    all.sort(java.util.Comparator.comparing(p -> p.getClass().getName()));
    return all;
  }

  /** Adds every provider's own flags to the command line, each as a mixin. */
  void addOptionsTo(CommandLine commandLine) {
    for (Object provider : providers()) {
      Object options = options(provider);
      if (options != null) {
        commandLine.addMixin(mixinName(provider), options);
      }
    }
  }

  /** The sources and sinks, sources first: the order of their parts in {@code --help}. */
  List<Object> providers() {
    List<Object> all = new ArrayList<>(sources);
    all.addAll(sinks);
    return all;
  }

  static String mixinName(Object provider) {
    return provider.getClass().getName();
  }

  private static Object options(Object provider) {
    return provider instanceof SourceProvider source ? source.options()
        : ((SinkProvider) provider).options();
  }

  /**
   * The sources named by {@code -source}, in order and without repeats; the default ones when
   * none is named.
   *
   * @throws IllegalArgumentException for a name no provider has
   */
  List<String> sourceNames(List<String> given) {
    if (given.isEmpty()) {
      return sources.stream().filter(SourceProvider::isDefault).map(SourceProvider::name)
          .toList();
    }
    LinkedHashSet<String> names = new LinkedHashSet<>();
    for (String value : given) {
      String name = value.trim().toLowerCase(Locale.ROOT);
      if (source(name).isEmpty()) {
        throw new IllegalArgumentException("-source must be " + sourceChoices() + ", not '"
            + value + "'");
      }
      names.add(name);
    }
    return List.copyOf(names);
  }

  private String sourceChoices() {
    List<String> names = sources.stream().map(SourceProvider::name).toList();
    return names.size() == 1 ? names.get(0) : String.join(", ",
        names.subList(0, names.size() - 1)) + " or " + names.get(names.size() - 1);
  }

  Optional<SourceProvider> source(String name) {
    return sources.stream().filter(s -> s.name().equals(name)).findFirst();
  }

  /**
   * The provider of a sink URI's scheme.
   *
   * @throws IllegalArgumentException naming the URI and the schemes there are
   */
  SinkProvider sinkFor(String uri) {
    String scheme = uri.contains("://")
        ? uri.substring(0, uri.indexOf("://")).trim().toLowerCase(Locale.ROOT) : "";
    SinkProvider provider = sinksByScheme.get(scheme);
    if (provider == null) {
      throw new IllegalArgumentException("unsupported sink URI '" + uri + "': expected "
          + sinksByScheme.keySet().stream().map(s -> s + "://")
              .collect(Collectors.joining(", ")));
    }
    return provider;
  }

  List<SourceProvider> sources() {
    return sources;
  }

  List<SinkProvider> sinks() {
    return sinks;
  }

  Optional<Tool> tool(String name) {
    return tools.stream().filter(t -> t.name().equals(name)).findFirst();
  }

  List<Tool> tools() {
    return tools;
  }
}
