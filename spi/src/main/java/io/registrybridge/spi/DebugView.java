package io.registrybridge.spi;

import java.util.List;
import java.util.Map;

/**
 * A sink (or source) that shows its state on the health server, read-only: the daemon serves
 * {@code GET path()} as one JSON object with a member per sink name, each this view's {@link
 * #json} (sinks of every kind that share a path, e.g. {@code /debug/mesh}, share the page).
 * Never include secrets.
 */
public interface DebugView {

  /** The page, e.g. {@code /debug/mesh}; starts with {@code /debug/}. */
  String path();

  /**
   * This sink's part of the page, as a JSON value, rendered now. Called from the health server's
   * thread: read state that is safe to read from any thread.
   *
   * @param query the request's query parameters
   */
  String json(Map<String, List<String>> query);
}
