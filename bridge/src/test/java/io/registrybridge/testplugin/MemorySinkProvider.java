package io.registrybridge.testplugin;

import io.registrybridge.spi.DaemonSettings;
import io.registrybridge.spi.PreparedSink;
import io.registrybridge.spi.SinkHost;
import io.registrybridge.spi.SinkPlan;
import io.registrybridge.spi.SinkProvider;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import picocli.CommandLine.Option;

/**
 * {@code memory://NAME}, a back end that exists only in bridge's tests: found through its
 * provider file alone, with nothing in {@code bridge/src/main} naming it, it proves the seam. Its
 * sinks record what they are given ({@link MemorySink}).
 */
public final class MemorySinkProvider implements SinkProvider {
  /** Every sink built in this JVM, by its URI's NAME: tests give each a name of its own. */
  public static final Map<String, MemorySink> BUILT = new ConcurrentHashMap<>();

  /** The sink's own flag; its value reaches the sink. */
  public static final class Options {
    @Option(names = {"-memory-flag", "--memory-flag"}, paramLabel = "VALUE",
        defaultValue = "unset",
        description = "A value the memory sink records; 'refuse' is refused when the daemon"
            + " plans its sinks. Default: ${DEFAULT-VALUE}.")
    String flag = "unset";
  }

  private final Options options = new Options();

  @Override
  public Set<String> schemes() {
    return Set.of("memory");
  }

  @Override
  public String title() {
    return "Memory (memory://NAME; bridge's tests only):";
  }

  @Override
  public List<String> help() {
    return List.of("  memory://NAME               records what it is given, in this JVM");
  }

  @Override
  public Object options() {
    return options;
  }

  @Override
  public SinkPlan plan(String uri, DaemonSettings settings) {
    String name = uri.substring("memory://".length());
    if (name.isEmpty() || name.contains("/")) {
      throw new IllegalArgumentException("memory URI '" + uri + "' needs a NAME without /");
    }
    if (options.flag.equals("refuse")) {
      throw new IllegalArgumentException("-memory-flag=refuse is refused");
    }
    String flag = options.flag;
    return new SinkPlan() {
      @Override
      public String kind() {
        return "memory";
      }

      @Override
      public String instance() {
        return name;
      }

      @Override
      public PreparedSink prepare(SinkHost host) {
        return () -> {
          MemorySink sink = new MemorySink(host.sinkName(), host.ownerId(), flag);
          BUILT.put(name, sink);
          return new PreparedSink.Built(sink);
        };
      }
    };
  }
}
