package io.registrybridge.sink.mesh.xds;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.rpc.Status;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import io.registrybridge.sink.mesh.xds.proto.mcp.Resource;
import io.registrybridge.sink.mesh.xds.proto.networking.ServiceEntry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A config client that behaves like istiod's ({@code pkg/adsc}, as {@code initConfigSources}
 * runs it for {@code xds://}): one state-of-the-world ADS stream; the first request carries the
 * node; every request it sends carries a nonce of its own making (a timestamp, as adsc's {@code
 * Send} does), one request per type of its profile; each response is stored with adsc's {@code
 * handleMCP} semantics (create, update when the version differs or is empty, delete what the
 * response left out) and acknowledged with its nonce and version; it calls itself synced once
 * every type of its profile was answered.
 */
public final class FakeIstiod implements AutoCloseable {

  /** The type URLs istiod asks for: MeshConfig, then every Pilot collection. */
  public enum Profile {
    /** Istio 1.24 and later: ServiceEntry as networking.istio.io/v1. */
    ISTIO_1_24(List.of("core/v1alpha1/MeshConfig",
        "security.istio.io/v1/AuthorizationPolicy", "networking.istio.io/v1/DestinationRule",
        "networking.istio.io/v1alpha3/EnvoyFilter", "networking.istio.io/v1/Gateway",
        "security.istio.io/v1/PeerAuthentication", "networking.istio.io/v1beta1/ProxyConfig",
        "security.istio.io/v1/RequestAuthentication", "networking.istio.io/v1/ServiceEntry",
        "networking.istio.io/v1/Sidecar", "telemetry.istio.io/v1/Telemetry",
        "networking.istio.io/v1/VirtualService", "extensions.istio.io/v1alpha1/WasmPlugin",
        "networking.istio.io/v1/WorkloadEntry", "networking.istio.io/v1/WorkloadGroup",
        // Istio 1.30's addition: a type the server has never heard of.
        "extensions.istio.io/v1alpha1/TrafficExtension")),
    /** Istio 1.23 and earlier: ServiceEntry as networking.istio.io/v1alpha3. */
    ISTIO_1_23(List.of("core/v1alpha1/MeshConfig",
        "security.istio.io/v1beta1/AuthorizationPolicy",
        "networking.istio.io/v1alpha3/DestinationRule",
        "networking.istio.io/v1alpha3/EnvoyFilter", "networking.istio.io/v1alpha3/Gateway",
        "security.istio.io/v1beta1/PeerAuthentication",
        "networking.istio.io/v1beta1/ProxyConfig",
        "security.istio.io/v1beta1/RequestAuthentication",
        "networking.istio.io/v1alpha3/ServiceEntry", "networking.istio.io/v1alpha3/Sidecar",
        "telemetry.istio.io/v1alpha1/Telemetry", "networking.istio.io/v1alpha3/VirtualService",
        "extensions.istio.io/v1alpha1/WasmPlugin", "networking.istio.io/v1alpha3/WorkloadEntry",
        "networking.istio.io/v1alpha3/WorkloadGroup"));

    public final List<String> types;

    Profile(List<String> types) {
      this.types = types;
    }

    public String serviceEntry() {
      return types.stream().filter(t -> t.endsWith("/ServiceEntry")).findFirst().orElseThrow();
    }
  }

  /** One stored object, as adsc's memory store keeps it. */
  public record Config(String namespace, String name, String version, Instant created,
      Map<String, String> labels, Map<String, String> annotations, ServiceEntry spec) {}

  private final Profile profile;
  private final StreamObserver<DiscoveryRequest> requests;
  // Guarded by this.
  private final List<DiscoveryResponse> responses = new ArrayList<>();
  private final Map<String, SortedMap<String, Config>> store = new LinkedHashMap<>();
  private final Set<String> synced = new HashSet<>();
  private final List<String> errors = new ArrayList<>();
  private boolean nackNextServiceEntry;
  private int serviceEntryUpdates;
  private Throwable closedWith;
  private boolean sentNode;

  public FakeIstiod(ManagedChannel channel, Profile profile) {
    this.profile = profile;
    this.requests = AggregatedDiscoveryServiceGrpc.newStub(channel)
        .streamAggregatedResources(new StreamObserver<>() {
          @Override
          public void onNext(DiscoveryResponse response) {
            received(response);
          }

          @Override
          public void onError(Throwable t) {
            synchronized (FakeIstiod.this) {
              closedWith = t;
            }
          }

          @Override
          public void onCompleted() {
            synchronized (FakeIstiod.this) {
              closedWith = new IllegalStateException("completed by the server");
            }
          }
        });
    for (String type : profile.types) {
      send(DiscoveryRequest.newBuilder().setTypeUrl(type));
    }
  }

  /** Rejects the next ServiceEntry response instead of acknowledging it. */
  public synchronized void nackNextServiceEntry() {
    nackNextServiceEntry = true;
  }

  private synchronized void send(DiscoveryRequest.Builder request) {
    if (halfClosed) {
      return;
    }
    if (!sentNode) {
      request.setNode(Node.newBuilder().setId("sidecar~10.0.0.9~istiod-1.istio-system~"
          + "istio-system.svc.cluster.local").setMetadata(Struct.newBuilder()
          .putFields("GENERATOR", Value.newBuilder().setStringValue("api").build())));
      sentNode = true;
    }
    if (request.getResponseNonce().isEmpty()) {
      // adsc's Send: a nonce this server never issued.
      request.setResponseNonce(Instant.now().toString());
    }
    requests.onNext(request.build());
  }

  private synchronized void received(DiscoveryResponse response) {
    responses.add(response);
    String type = response.getTypeUrl();
    if (type.endsWith("/ServiceEntry") && nackNextServiceEntry) {
      nackNextServiceEntry = false;
      send(DiscoveryRequest.newBuilder().setTypeUrl(type).setResponseNonce(response.getNonce())
          .setVersionInfo(response.getVersionInfo())
          .setErrorDetail(Status.newBuilder().setCode(3).setMessage("rejected by the test")));
      return;
    }
    if (!type.equals("core/v1alpha1/MeshConfig")) {
      apply(type, response);
    }
    synced.add(type);
    send(DiscoveryRequest.newBuilder().setTypeUrl(type).setResponseNonce(response.getNonce())
        .setVersionInfo(response.getVersionInfo()));
  }

  /** adsc's handleMCP. */
  private void apply(String type, DiscoveryResponse response) {
    SortedMap<String, Config> configs = store.computeIfAbsent(type, t -> new TreeMap<>());
    Set<String> received = new HashSet<>();
    for (var any : response.getResourcesList()) {
      try {
        Resource resource = any.unpack(Resource.class);
        String[] parts = resource.getMetadata().getName().split("/", -1);
        if (parts.length != 2) {
          errors.add("invalid name " + resource.getMetadata().getName());
          continue;
        }
        ServiceEntry spec = resource.getBody().unpack(ServiceEntry.class);
        var meta = resource.getMetadata();
        Config config = new Config(parts[0], parts[1], meta.getVersion(),
            Instant.ofEpochSecond(meta.getCreateTime().getSeconds(),
                meta.getCreateTime().getNanos()), meta.getLabelsMap(),
            meta.getAnnotationsMap(), spec);
        String key = parts[0] + "/" + parts[1];
        received.add(key);
        Config old = configs.get(key);
        if (old == null || !old.version().equals(config.version())
            || config.version().isEmpty()) {
          configs.put(key, config);
          serviceEntryUpdates++;
        }
      } catch (InvalidProtocolBufferException e) {
        errors.add(e.toString());
      }
    }
    configs.keySet().retainAll(received);
  }

  /** adsc's HasSynced: every type of the profile answered at least once. */
  public synchronized boolean synced() {
    return synced.containsAll(profile.types);
  }

  public synchronized SortedMap<String, Config> serviceEntries() {
    return new TreeMap<>(store.getOrDefault(profile.serviceEntry(), new TreeMap<>()));
  }

  public synchronized List<DiscoveryResponse> responses() {
    return List.copyOf(responses);
  }

  public synchronized List<DiscoveryResponse> responses(String type) {
    return responses.stream().filter(r -> r.getTypeUrl().equals(type)).toList();
  }

  /** Creates and updates of ServiceEntry objects in the store (not skipped ones). */
  public synchronized int serviceEntryUpdates() {
    return serviceEntryUpdates;
  }

  public synchronized List<String> errors() {
    return List.copyOf(errors);
  }

  public synchronized Throwable closedWith() {
    return closedWith;
  }

  public Profile profile() {
    return profile;
  }

  private boolean halfClosed;

  @Override
  public synchronized void close() {
    if (!halfClosed) {
      halfClosed = true;
      requests.onCompleted();
    }
  }
}
