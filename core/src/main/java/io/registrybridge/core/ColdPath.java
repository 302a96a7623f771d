package io.registrybridge.core;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The first change after start runs code nothing ran before: records' {@code toString}, {@code
 * equals} and {@code hashCode} are linked on their first call (an {@code invokedynamic} bootstrap
 * each, which the JDK 25 AOT cache does not keep), the index's comparators and lambdas likewise.
 * Measured on the first container after start: about 65 ms in the core alone, against well under
 * a millisecond once warm. {@link #warm} runs that code once, on a sample, off the data path.
 */
public final class ColdPath {
  private ColdPath() {}

  /**
   * A service instance with every kind of component set (a check, health, tags, meta, weight),
   * so that each nested record's generated methods are linked too.
   *
   * @param idPrefix the start of the sample's ID, e.g. {@code <host>:}; it is never written
   */
  public static ServiceInstance sample(String idPrefix) {
    String name = "registry-bridge-warm-up";
    return ServiceInstance.builder(idPrefix + name + ":80", name)
        .address("192.0.2.1").port(80).protocol("http").tags(List.of("warm-up"))
        .meta(Map.of("warm-up", "true")).weight(1).origin("warm-up")
        .checks(List.of(new ServiceCheck(ServiceCheck.Type.HTTP, "http://192.0.2.1:80/health",
            Optional.of(Duration.ofSeconds(10)), Optional.empty(), Optional.empty(),
            Optional.empty(), Optional.empty(), false, Optional.empty())))
        .health(new Health(Health.Status.PASSING, ""))
        .build();
  }

  /**
   * Runs the core's per-change code on {@code sample}: the instance's generated methods, its
   * content hash, and one report and removal through a private {@link DesiredIndex} with no
   * listener. Touches nothing shared.
   */
  public static void warm(ServiceInstance sample) {
    ServiceInstance copy = sample.toBuilder().build();
    if (!sample.equals(copy) || sample.hashCode() != copy.hashCode()) {
      throw new IllegalStateException("a copy of the warm-up sample differs from it");
    }
    DesiredEntry.of(copy);
    DesiredIndex index = new DesiredIndex(List.of("warm-up"));
    SourceListener listener = index.listenerFor("warm-up");
    listener.replaceAll(Map.of());
    listener.update("warm-up", List.of(sample));
    listener.update("warm-up", List.of(copy.toBuilder().port(81).build()));
    listener.update("warm-up", List.of());
    index.snapshot();
  }
}
