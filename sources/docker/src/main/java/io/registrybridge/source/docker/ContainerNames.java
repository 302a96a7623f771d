package io.registrybridge.source.docker;

import static io.registrybridge.source.docker.LogText.shortId;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Container names for log lines, from listings and events; entries go with their container.
 *
 * <p>Thread-safe: docker-java's callback threads add names from events, the source's thread
 * from listings.
 */
final class ContainerNames {
  private final Map<String, String> names = new ConcurrentHashMap<>();

  /** A name as a listing gives it, with the engine's leading slash ({@code /web}). */
  void putListed(String containerId, String name) {
    names.put(containerId, stripSlash(name));
  }

  /** A name as an event carries it ({@code web}). */
  void put(String containerId, String name) {
    names.put(containerId, name);
  }

  boolean known(String containerId) {
    return names.containsKey(containerId);
  }

  void remove(String containerId) {
    names.remove(containerId);
  }

  /** Forgets the names of all containers but these. */
  void retainAll(Set<String> containerIds) {
    names.keySet().retainAll(containerIds);
  }

  /** The short ID and, when known, the name: {@code 0123456789ab (web)}. */
  String describe(String containerId) {
    String name = names.get(containerId);
    return shortId(containerId) + (name == null ? "" : " (" + name + ")");
  }

  private static String stripSlash(String name) {
    return name.startsWith("/") ? name.substring(1) : name;
  }
}
