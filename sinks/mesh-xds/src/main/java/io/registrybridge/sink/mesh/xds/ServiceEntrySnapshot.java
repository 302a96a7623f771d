package io.registrybridge.sink.mesh.xds;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Any;
import io.registrybridge.sink.mesh.ContentDigest;
import io.registrybridge.sink.mesh.xds.proto.mcp.Resource;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;

/**
 * Every ServiceEntry the bridge serves, as one state-of-the-world answer: istiod treats each
 * response as the whole truth for its type, so a snapshot is never split.
 *
 * @param version a hash of every object's name and content version: the same set gives the same
 *     version, also after a restart of the bridge
 * @param resources each an {@code Any} of {@code istio.mcp.v1alpha1.Resource}, in name order
 * @param bytes the serialized size of the resources
 */
record ServiceEntrySnapshot(String version, List<Any> resources, long bytes) {

  ServiceEntrySnapshot {
    requireNonNull(version, "version");
    resources = List.copyOf(resources);
  }

  /** The snapshot of {@code byName} (object name to resource). */
  static ServiceEntrySnapshot of(SortedMap<String, Resource> byName) {
    List<Any> resources = new ArrayList<>(byName.size());
    StringBuilder content = new StringBuilder();
    long bytes = 0;
    for (Resource resource : byName.values()) {
      Any any = Any.pack(resource);
      resources.add(any);
      bytes += any.getSerializedSize();
      content.append(resource.getMetadata().getName()).append('\0')
          .append(resource.getMetadata().getVersion()).append('\n');
    }
    return new ServiceEntrySnapshot(ContentDigest.of(content.toString()), resources, bytes);
  }

}
