package io.registrybridge.sink.mesh;

import static io.registrybridge.sink.mesh.Fixtures.OWNER;
import static io.registrybridge.sink.mesh.Fixtures.config;
import static io.registrybridge.sink.mesh.Fixtures.instance;
import static io.registrybridge.sink.mesh.Fixtures.state;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.registrybridge.core.ControlPlaneUnavailableException;
import io.registrybridge.core.DesiredState;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.SyncResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes transport against scripted API server answers: conflicts, rejections, server
 * errors, a resource that vanishes. The mock server runs in CRUD mode (so the informers can list
 * and watch); a scripted answer for a method and path takes precedence over it until it is used
 * up.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesMeshSinkErrorsTest {
  private static final String API = "/apis/networking.istio.io/v1";
  private static final String OBJECTS = API + "/namespaces/istio-system/serviceentries";
  private static final String OWNED_LIST = OBJECTS + "?labelSelector="
      + KubernetesMeshSinkTest.OWNED_SELECTOR + "&resourceVersion=0";
  private static final String NAME = "productpage.service.consul";

  KubernetesMockServer server;
  private KubernetesClient client;
  private int requestsTaken;

  // Closed after each test, so that their informers stop watching before the server does.
  private final MockServerSinks sinks = new MockServerSinks();

  private MeshSink opened(MeshSink sink) {
    return sinks.add(sink);
  }

  @BeforeEach
  void setUp() {
    // The sink's reconciler owns retrying; the client's own retries would hide the answers.
    client = server.createClient(b -> b.editOrNewConfig().withRequestRetryBackoffLimit(0)
        .endConfig());
  }

  @AfterEach
  void tearDown() {
    sinks.closeAll();
    client.close();
  }

  private static List<ServiceInstance> productpage(String version) {
    return List.of(instance("productpage-v1", "productpage", "172.18.0.2", 9080)
        .protocol("http").tags(List.of("version|" + version)).build());
  }

  private static DesiredState desired(String version) {
    return state(productpage(version));
  }

  /** The object the sink would write for {@code desired}, as the server would return it. */
  private static GenericKubernetesResource rendered(DesiredState desired, String resourceVersion) {
    ServiceEntryModel entry = new ServiceEntryConverter(config()).convert(desired, Map.of())
        .entries().get(NAME);
    GenericKubernetesResource object = new ServiceEntryRenderer("istio-system", OWNER)
        .render(entry, "networking.istio.io/v1");
    object.getMetadata().setResourceVersion(resourceVersion);
    return object;
  }

  private static Status status(int code, String reason, String message) {
    return new StatusBuilder().withStatus("Failure").withCode(code).withReason(reason)
        .withMessage(message).build();
  }

  /** The requests about ServiceEntry since the last call, as "METHOD path". */
  private List<String> requests() throws InterruptedException {
    List<String> result = new ArrayList<>();
    for (RecordedRequest request : takeAll()) {
      if (request.getPath().startsWith("/apis/networking.istio.io/")) {
        result.add(request.getMethod() + " " + request.getPath());
      }
    }
    return result;
  }

  private List<RecordedRequest> takeAll() throws InterruptedException {
    List<RecordedRequest> result = new ArrayList<>();
    while (requestsTaken < server.getRequestCount()) {
      result.add(server.takeRequest());
      requestsTaken++;
    }
    return result;
  }

  private GenericKubernetesResource stored() {
    return client.genericKubernetesResources("networking.istio.io/v1", "ServiceEntry")
        .inNamespace("istio-system").withName(NAME).get();
  }

  @Test
  void conflictOnUpdateReadsTheObjectAgainAndRetries() throws Exception {
    IstioCrds.installServiceEntry(client, "v1");
    MeshSink sink = opened(MeshSinks.kubernetes(config(), client));
    sink.sync(desired("v1"));
    String written = stored().getMetadata().getResourceVersion();
    server.expect().put().withPath(OBJECTS + "/" + NAME)
        .andReturn(409, status(409, "Conflict", "the object has been modified")).once();
    server.expect().get().withPath(OBJECTS + "/" + NAME)
        .andReturn(200, rendered(desired("v1"), "2")).once();
    server.expect().put().withPath(OBJECTS + "/" + NAME)
        .andReturn(200, rendered(desired("v2"), "3")).once();
    takeAll();

    assertThat(sink.sync(desired("v2"))).isEqualTo(new SyncResult(0, 1, 0));
    List<RecordedRequest> puts = takeAll().stream().filter(r -> r.getMethod().equals("PUT"))
        .toList();
    assertThat(puts).hasSize(2);
    assertThat(puts.get(0).getBody().readUtf8())
        .contains("\"resourceVersion\":\"" + written + "\"");
    assertThat(puts.get(1).getBody().readUtf8()).contains("\"resourceVersion\":\"2\"");
  }

  @Test
  void conflictOnCreateWithAForeignObjectLeavesItAlone() throws Exception {
    IstioCrds.installServiceEntry(client, "v1");
    server.expect().post().withPath(OBJECTS)
        .andReturn(409, status(409, "AlreadyExists", "already exists")).once();
    GenericKubernetesResource foreign = new GenericKubernetesResourceBuilder()
        .withApiVersion("networking.istio.io/v1").withKind("ServiceEntry")
        .withNewMetadata().withName(NAME).withNamespace("istio-system").endMetadata().build();
    server.expect().get().withPath(OBJECTS + "/" + NAME).andReturn(200, foreign).once();
    MeshSink sink = opened(MeshSinks.kubernetes(config(), client));

    assertThat(sink.sync(desired("v1"))).isEqualTo(SyncResult.NOTHING);
    assertThat(sink.status().reports()).extracting(MeshReport::kind)
        .containsExactly(MeshReport.Kind.FOREIGN_OWNER);
    assertThat(requests()).filteredOn(r -> !r.startsWith("GET")).containsExactly(
        "POST " + OBJECTS);
  }

  @Test
  void unprocessableObjectIsReportedAndNotSentAgainUntilItChanges() throws Exception {
    IstioCrds.installServiceEntry(client, "v1");
    server.expect().post().withPath(OBJECTS).andReturn(422, status(422, "Invalid",
        "ServiceEntry.networking.istio.io \"" + NAME + "\" is invalid: spec.ports[0].protocol:"
            + " Unsupported value")).once();
    List<MeshReport> heard = new ArrayList<>();
    MeshSink sink = opened(MeshSinks.kubernetes(config(), client, (name, r) -> heard.add(r)));

    assertThat(sink.sync(desired("v1"))).isEqualTo(SyncResult.NOTHING);
    assertThat(sink.sync(desired("v1"))).isEqualTo(SyncResult.NOTHING);

    assertThat(requests()).filteredOn(r -> !r.startsWith("GET")).containsExactly(
        "POST " + OBJECTS);
    assertThat(sink.status().rejectedObjects()).isEqualTo(1);
    assertThat(heard).containsExactly(new MeshReport(MeshReport.Kind.REJECTED, "productpage",
        "service 'productpage': the API server rejected ServiceEntry istio-system/" + NAME
            + " (422): ServiceEntry.networking.istio.io \"" + NAME + "\" is invalid:"
            + " spec.ports[0].protocol: Unsupported value; it is not sent again until the service"
            + " changes"));

    // The service changes: the new content is tried (and the mock stores it).
    assertThat(sink.sync(desired("v2"))).isEqualTo(new SyncResult(1, 0, 0));
    assertThat(sink.status().rejectedObjects()).isZero();
  }

  @Test
  void admissionWebhookDenialIsARejection() throws Exception {
    IstioCrds.installServiceEntry(client, "v1");
    server.expect().post().withPath(OBJECTS).andReturn(400, status(400, "BadRequest",
        "admission webhook \"validation.istio.io\" denied the request: configuration is invalid:"
            + " port name must be set")).once();
    MeshSink sink = opened(MeshSinks.kubernetes(config(), client));

    assertThat(sink.sync(desired("v1"))).isEqualTo(SyncResult.NOTHING);
    assertThat(sink.status().reports()).extracting(MeshReport::kind)
        .containsExactly(MeshReport.Kind.REJECTED);
  }

  @Test
  void serverErrorsAreThrownForTheReconcilerToBackOff() throws Exception {
    IstioCrds.installServiceEntry(client, "v1");
    server.expect().post().withPath(OBJECTS)
        .andReturn(500, status(500, "InternalError", "etcdserver: request timed out")).once();
    MeshSink sink = opened(MeshSinks.kubernetes(config(), client));

    assertThatThrownBy(() -> sink.sync(desired("v1")))
        .isInstanceOf(ControlPlaneUnavailableException.class)
        .hasMessageContaining("500: etcdserver: request timed out")
        .cause().isInstanceOfSatisfying(KubernetesClientException.class,
            e -> assertThat(e.getCode()).isEqualTo(500));
    assertThat(sink.status().rejectedObjects()).isZero();
  }

  @Test
  void tooManyRequestsOnTheFirstListIsThrownAndTheInformersStartAgainNextTime()
      throws Exception {
    IstioCrds.installServiceEntry(client, "v1");
    server.expect().get().withPath(OWNED_LIST)
        .andReturn(429, status(429, "TooManyRequests", "slow down")).once();
    MeshSink sink = opened(MeshSinks.kubernetes(config(), client));

    assertThatThrownBy(() -> sink.sync(desired("v1")))
        .isInstanceOf(ControlPlaneUnavailableException.class)
        .cause().isInstanceOfSatisfying(KubernetesClientException.class,
            e -> assertThat(e.getCode()).isEqualTo(429));
    assertThat(sink.sync(desired("v1"))).isEqualTo(new SyncResult(1, 0, 0));
  }

  @Test
  void tooManyRequestsOnAWriteIsThrown() throws Exception {
    IstioCrds.installServiceEntry(client, "v1");
    server.expect().post().withPath(OBJECTS)
        .andReturn(429, status(429, "TooManyRequests", "slow down")).once();
    MeshSink sink = opened(MeshSinks.kubernetes(config(), client));

    assertThatThrownBy(() -> sink.sync(desired("v1")))
        .isInstanceOf(ControlPlaneUnavailableException.class)
        .cause().isInstanceOfSatisfying(KubernetesClientException.class,
            e -> assertThat(e.getCode()).isEqualTo(429));
    assertThat(sink.sync(desired("v1"))).isEqualTo(new SyncResult(1, 0, 0));
  }

  @Test
  void discoveryWithoutV1UsesV1beta1() throws Exception {
    IstioCrds.installServiceEntry(client, "v1beta1");
    MeshSink sink = opened(MeshSinks.kubernetes(config(), client));

    assertThat(sink.sync(desired("v1"))).isEqualTo(new SyncResult(1, 0, 0));
    assertThat(requests()).startsWith("GET " + API, "GET /apis/networking.istio.io/v1beta1")
        .contains("POST /apis/networking.istio.io/v1beta1/namespaces/istio-system/"
            + "serviceentries");
    assertThat(client.genericKubernetesResources("networking.istio.io/v1beta1", "ServiceEntry")
        .inNamespace("istio-system").withName(NAME).get().getApiVersion())
        .isEqualTo("networking.istio.io/v1beta1");
  }

  @Test
  void aResourceThatVanishesIsDiscoveredAgain() throws Exception {
    IstioCrds.installServiceEntry(client, "v1");
    server.expect().get().withPath(OWNED_LIST)
        .andReturn(404, status(404, "NotFound", "not found")).once();
    MeshSink sink = opened(MeshSinks.kubernetes(config(), client));
    takeAll();

    assertThatThrownBy(() -> sink.sync(desired("v1")))
        .isInstanceOf(IstioNotReadyException.class)
        .hasMessage("listing ServiceEntry objects in namespace istio-system returned 404; the"
            + " resource is no longer served");
    assertThat(sink.sync(desired("v1"))).isEqualTo(new SyncResult(1, 0, 0));
    assertThat(requests()).filteredOn(r -> r.equals("GET " + API)).hasSize(2);
  }

  @Test
  void forbiddenIsTheWholeSinkNotOneObject() throws Exception {
    IstioCrds.installServiceEntry(client, "v1");
    server.expect().post().withPath(OBJECTS).andReturn(403, status(403, "Forbidden",
        "serviceentries.networking.istio.io is forbidden: User \"system:serviceaccount:x:y\""
            + " cannot create resource")).once();
    MeshSink sink = opened(MeshSinks.kubernetes(config(), client));

    assertThatThrownBy(() -> sink.sync(desired("v1")))
        .isInstanceOf(ControlPlaneUnavailableException.class)
        .hasMessageContaining("403").hasMessageContaining("check the credentials and RBAC");
    assertThat(sink.sync(desired("v1"))).isEqualTo(new SyncResult(1, 0, 0));
  }

  @Test
  void aConflictThatDoesNotPassIsThatObjectsAloneAndItsIdsComeBack() throws Exception {
    IstioCrds.installServiceEntry(client, "v1");
    MeshSink sink = opened(MeshSinks.kubernetes(config(), client));
    List<ServiceInstance> both = new ArrayList<>(productpage("v1"));
    both.add(instance("details-v1", "details", "172.18.0.3", 9080).protocol("http").build());
    assertThat(sink.sync(state(both))).isEqualTo(new SyncResult(2, 0, 0));
    server.expect().put().withPath(OBJECTS + "/" + NAME)
        .andReturn(409, status(409, "Conflict", "the object has been modified")).times(3);

    List<ServiceInstance> changed = new ArrayList<>(productpage("v2"));
    changed.add(instance("details-v1", "details", "172.18.0.30", 9080).protocol("http").build());
    SyncResult result = sink.sync(state(changed));

    assertThat(result).isEqualTo(new SyncResult(0, 1, 0, Set.of("productpage-v1")));
    assertThat(String.valueOf(client.genericKubernetesResources("networking.istio.io/v1",
        "ServiceEntry").inNamespace("istio-system").withName("details.service.consul").get()
        .getAdditionalProperties().get("spec"))).contains("172.18.0.30");
    assertThat(sink.status().reports()).extracting(MeshReport::kind)
        .containsExactly(MeshReport.Kind.UNEXPECTED_ERROR);

    // Handed back by the reconciler, it goes through once the conflicts stop.
    assertThat(sink.apply(result.retry(), state(changed))).isEqualTo(new SyncResult(0, 1, 0));
    assertThat(sink.status().reports()).isEmpty();
  }
}
