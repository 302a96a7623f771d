package io.registrybridge.testplugin;

import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.Source;
import io.registrybridge.core.SourceListener;
import io.registrybridge.spi.DaemonSettings;
import io.registrybridge.spi.SourceHost;
import io.registrybridge.spi.SourcePlan;
import io.registrybridge.spi.SourceProvider;
import java.util.List;
import java.util.Map;

/**
 * {@code -source=static}, a source that exists only in bridge's tests: it lists {@link
 * #SERVICES} once, as {@code <owner>:static:<name>}, so that the daemon runs end to end without
 * Docker or a cluster.
 */
public final class StaticSourceProvider implements SourceProvider {
  /** The services it lists, by name, with their ports. */
  public static final Map<String, Integer> SERVICES = Map.of("web", 80, "db", 5432);

  @Override
  public String name() {
    return "static";
  }

  @Override
  public String title() {
    return "Static source (-source=static; bridge's tests only):";
  }

  @Override
  public List<String> help() {
    return List.of("  (no environment)");
  }

  @Override
  public SourcePlan plan(DaemonSettings settings) {
    return new SourcePlan() {
      @Override
      public void open() {}

      @Override
      public String waitingFor() {
        return "starting the static source";
      }

      @Override
      public Source create(SourceHost host) {
        return new Source() {
          @Override
          public String name() {
            return "static";
          }

          @Override
          public void start(SourceListener listener) {
            List<ServiceInstance> instances = SERVICES.entrySet().stream()
                .map(e -> ServiceInstance.builder(host.ownerId() + ":static:" + e.getKey(),
                    e.getKey()).port(e.getValue()).tags(settings.forcedTags())
                    .origin("static:" + e.getKey()).build())
                .toList();
            host.executor().execute(() -> listener.replaceAll(Map.of("static", instances)));
          }

          @Override
          public void close() {}
        };
      }

      @Override
      public void close() {}
    };
  }
}
