package io.registrybridge.core;

import java.util.List;
import java.util.Map;

/**
 * Receives what a {@link Source} sees, grouped by origin: the thing inside the source that
 * produced the instances (a container ID, an EndpointSlice), so one origin can be replaced at once.
 * Implementations are thread-safe.
 */
public interface SourceListener {

  /**
   * Everything the source currently sees, replacing all it reported before. The first call marks
   * the source as having listed once, which allows sinks to delete what is no longer there.
   */
  void replaceAll(Map<String, List<ServiceInstance>> instancesByOrigin);

  /** The instances of one origin, replacing what it had before; an empty list removes it. */
  void update(String origin, List<ServiceInstance> instances);
}
