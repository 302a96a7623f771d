package io.registrybridge.source.docker;

import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.EventType;
import java.util.Map;
import java.util.Set;

/** Which engine events the source acts on, and which container each is about. */
final class ContainerEvents {
  /** Container events that can change what a container serves; all others are ignored. */
  private static final Set<String> CONTAINER_ACTIONS = Set.of("start", "restart", "unpause",
      "pause", "die", "stop", "kill", "oom", "destroy", "rename", "update", "health_status");

  private ContainerEvents() {}

  /** The container ID an event is about, or null for events we do not act on. */
  static String containerOf(Event event) {
    String action = event.getAction() == null ? "" : event.getAction();
    if (event.getType() == EventType.NETWORK) {
      boolean membership = action.equals("connect") || action.equals("disconnect");
      Map<String, String> attributes = event.getActor() == null
          ? Map.of()
          : event.getActor().getAttributes();
      return membership && attributes != null ? attributes.get("container") : null;
    }
    return CONTAINER_ACTIONS.contains(verb(action)) ? event.getId() : null;
  }

  /** "health_status: healthy" and the like carry their detail after a colon. */
  static String verb(String action) {
    if (action == null) {
      return "";
    }
    int colon = action.indexOf(':');
    return colon < 0 ? action : action.substring(0, colon);
  }
}
