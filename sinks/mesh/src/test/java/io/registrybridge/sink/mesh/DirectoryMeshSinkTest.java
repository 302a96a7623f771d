package io.registrybridge.sink.mesh;

import static io.registrybridge.sink.mesh.Fixtures.bookinfo;
import static io.registrybridge.sink.mesh.Fixtures.config;
import static io.registrybridge.sink.mesh.Fixtures.instance;
import static io.registrybridge.sink.mesh.Fixtures.state;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.registrybridge.core.DesiredIndex;
import io.registrybridge.core.DesiredState;
import io.registrybridge.core.LogCapture;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.SourceListener;
import io.registrybridge.core.SyncResult;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectoryMeshSinkTest {
  @TempDir
  Path temp;

  private Path dir() {
    return temp.resolve("istio-config"); // not there yet: the sink creates it
  }

  /** Every file in the directory, by name, with its content. */
  private Map<String, String> files() throws IOException {
    Map<String, String> files = new TreeMap<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir())) {
      for (Path file : stream) {
        files.put(file.getFileName().toString(), Files.readString(file, UTF_8));
      }
    }
    return files;
  }

  private static List<ServiceInstance> without(List<ServiceInstance> instances, String id) {
    List<ServiceInstance> copy = new ArrayList<>(instances);
    copy.removeIf(i -> i.id().equals(id) || i.name().equals(id));
    return copy;
  }

  @Test
  void writesOneExactFilePerServiceEntry() throws Exception {
    MeshSink sink = MeshSinks.directory(config(), dir());

    assertThat(sink.sync(state(bookinfo("http")))).isEqualTo(new SyncResult(4, 0, 0));
    Map<String, String> files = files();
    assertThat(files).containsOnlyKeys("details.service.consul.yaml",
        "productpage.service.consul.yaml", "ratings.service.consul.yaml",
        "reviews.service.consul.yaml");
    // The same bytes as the conversion's golden file, one document per file.
    Golden.assertMatches("bookinfo-http.yaml", String.join("", files.values()));
  }

  @Test
  void steadyStateRewritesNothing() throws Exception {
    MeshSink sink = MeshSinks.directory(config(), dir());
    sink.sync(state(bookinfo("http")));
    Path reviews = dir().resolve("reviews.service.consul.yaml");
    FileTime written = FileTime.fromMillis(0);
    Files.setLastModifiedTime(reviews, written);

    assertThat(sink.sync(state(bookinfo("http")))).isEqualTo(SyncResult.NOTHING);
    assertThat(Files.getLastModifiedTime(reviews)).isEqualTo(written);
  }

  @Test
  void updatesAndDeletesFiles() throws Exception {
    MeshSink sink = MeshSinks.directory(config(), dir());
    sink.sync(state(bookinfo("http")));
    String reviewsBefore = files().get("reviews.service.consul.yaml");

    List<ServiceInstance> fewer = without(bookinfo("http"), "reviews-v3");
    assertThat(sink.sync(state(fewer))).isEqualTo(new SyncResult(0, 1, 0));
    assertThat(files().get("reviews.service.consul.yaml")).isNotEqualTo(reviewsBefore)
        .doesNotContain("172.18.0.7");

    assertThat(sink.sync(state(without(fewer, "ratings")))).isEqualTo(new SyncResult(0, 0, 1));
    assertThat(files()).containsOnlyKeys("details.service.consul.yaml",
        "productpage.service.consul.yaml", "reviews.service.consul.yaml");
  }

  @Test
  void putsBackAHandEditedFile() throws Exception {
    MeshSink sink = MeshSinks.directory(config(), dir());
    sink.sync(state(bookinfo("http")));
    Path details = dir().resolve("details.service.consul.yaml");
    String written = Files.readString(details);
    Files.writeString(details, written.replace("172.18.0.3", "172.18.0.99"));

    assertThat(sink.sync(state(bookinfo("http")))).isEqualTo(new SyncResult(0, 1, 0));
    assertThat(Files.readString(details)).isEqualTo(written);
  }

  @Test
  void foreignFilesAreNeverTouched() throws Exception {
    Files.createDirectories(dir());
    Map<String, String> foreign = new TreeMap<>();
    // Our file name, no labels of ours.
    foreign.put("reviews.service.consul.yaml", """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata:
          name: reviews.service.consul
          namespace: istio-system
        spec:
          hosts: [reviews.service.consul]
          resolution: DNS
        """);
    // Another file, several documents, one of which holds the ratings host.
    foreign.put("legacy.yaml", """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: settings
        ---
        apiVersion: networking.istio.io/v1beta1
        kind: ServiceEntry
        metadata:
          name: legacy-ratings
        spec:
          hosts: [ratings.service.consul]
        """);
    // Written by another bridge instance.
    foreign.put("details.service.consul.yaml", """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata:
          name: details.service.consul
          labels:
            app.kubernetes.io/managed-by: registry-bridge
            registry-bridge.io/owner: other-bridge
        spec:
          hosts: [details.service.consul]
        """);
    foreign.put("broken.yaml", "kind: [unclosed\n");
    foreign.put("notes.txt", "not YAML at all\n");
    foreign.put(".rb.other-bridge.x.yaml.1234.tmp", "someone else's temporary file\n");
    for (Map.Entry<String, String> file : foreign.entrySet()) {
      Files.writeString(dir().resolve(file.getKey()), file.getValue());
    }
    MeshSink sink = MeshSinks.directory(config(), dir());

    assertThat(sink.sync(state(bookinfo("http")))).isEqualTo(new SyncResult(1, 0, 0));
    assertThat(sink.status().reports()).extracting(MeshReport::message).containsExactly(
        "service 'details': host details.service.consul is already held by file"
            + " details.service.consul.yaml of registry-bridge instance 'other-bridge' in " + dir()
            + "; it is left alone and nothing is written for it",
        "service 'ratings': host ratings.service.consul is already held by file legacy.yaml in "
            + dir() + "; it is left alone and nothing is written for it",
        "service 'reviews': host reviews.service.consul is already held by file"
            + " reviews.service.consul.yaml of someone else (no registry-bridge.io/owner label of"
            + " this bridge) in " + dir() + "; it is left alone and nothing is written for it");

    // Everything desired goes away: only our own file is deleted.
    assertThat(sink.sync(state(List.of()))).isEqualTo(new SyncResult(0, 0, 1));
    assertThat(files()).isEqualTo(foreign);
  }

  @Test
  void anIncompleteDesiredStateDeletesNothing() throws Exception {
    MeshSink sink = MeshSinks.directory(config(), dir());
    sink.sync(state(bookinfo("http")));
    List<ServiceInstance> onlyProductpage = List.of(bookinfo("http").get(0));

    assertThat(sink.sync(state(onlyProductpage, false))).isEqualTo(SyncResult.NOTHING);
    assertThat(files()).hasSize(4);
    assertThat(sink.sync(state(onlyProductpage, true))).isEqualTo(new SyncResult(0, 0, 3));
  }

  private static List<ServiceInstance> fromDocker(List<ServiceInstance> instances) {
    return instances.stream().map(i -> i.toBuilder().source("docker").build()).toList();
  }

  private static DesiredState listed(List<ServiceInstance> instances, Set<String> sources) {
    Map<String, ServiceInstance> byId = new TreeMap<>();
    instances.forEach(i -> byId.put(i.id(), i));
    return DesiredState.of(byId, sources.containsAll(Set.of("docker", "kubernetes")), 2, sources);
  }

  @Test
  void aRestartedSinkReadsEachFilesSourcesAndWaitsOnlyForThose() throws Exception {
    ServiceInstance ratingsPod = instance("ratings-k8s", "ratings", "10.1.0.4", 9080)
        .protocol("http").source("kubernetes").build();
    List<ServiceInstance> before = new ArrayList<>(fromDocker(bookinfo("http")));
    before.add(ratingsPod);
    MeshSinks.directory(config(), dir())
        .sync(listed(before, Set.of("docker", "kubernetes")));
    String ratings = files().get("ratings.service.consul.yaml");
    assertThat(ratings).contains("registry-bridge.io/sources: docker,kubernetes");

    // A restart with the API server down; meanwhile details went and reviews-v3 moved.
    List<ServiceInstance> docker = new ArrayList<>(without(fromDocker(bookinfo("http")),
        "details"));
    docker.replaceAll(i -> i.id().equals("reviews-v3")
        ? i.toBuilder().address("172.18.0.17").build() : i);
    MeshSink restarted = MeshSinks.directory(config(), dir());
    assertThat(restarted.sync(listed(docker, Set.of("docker"))))
        .isEqualTo(new SyncResult(0, 1, 1));
    assertThat(files()).doesNotContainKey("details.service.consul.yaml");
    assertThat(files().get("reviews.service.consul.yaml")).contains("172.18.0.17");
    assertThat(files().get("ratings.service.consul.yaml")).isEqualTo(ratings);

    assertThat(restarted.sync(listed(docker, Set.of("docker", "kubernetes"))))
        .isEqualTo(new SyncResult(0, 1, 0));
    assertThat(files().get("ratings.service.consul.yaml")).doesNotContain("10.1.0.4")
        .contains("registry-bridge.io/sources: docker\n");
  }

  @Test
  void removesItsOwnStaleTemporaryFiles() throws Exception {
    Files.createDirectories(dir());
    Path stale = dir().resolve(".rb.test-bridge.reviews.service.consul.yaml.77.tmp");
    Files.writeString(stale, "apiVersion: networking.istio.io/v1\nkind: Serv");
    MeshSinks.directory(config(), dir()).sync(state(bookinfo("http")));

    assertThat(stale).doesNotExist();
  }

  @Test
  void writesTheConfiguredApiVersion() throws Exception {
    MeshSinkConfig config = config().toBuilder().apiVersion(IstioApiVersion.V1BETA1)
        .namespace("mesh-config").build();
    MeshSinks.directory(config, dir()).sync(state(bookinfo("http")));

    GenericKubernetesResource reviews = ServiceEntryRenderer.parse(
        files().get("reviews.service.consul.yaml"));
    assertThat(reviews.getApiVersion()).isEqualTo("networking.istio.io/v1beta1");
    assertThat(reviews.getMetadata().getNamespace()).isEqualTo("mesh-config");
  }

  private final DesiredIndex index = new DesiredIndex(Set.of("test"));
  private final Set<String> changed = new LinkedHashSet<>();

  DirectoryMeshSinkTest() {
    index.addListener(change -> changed.addAll(change.ids()));
  }

  private SourceListener source() {
    return index.listenerFor("test");
  }

  private SyncResult applyChanges(MeshSink sink) throws Exception {
    Set<String> ids = new LinkedHashSet<>(changed);
    changed.clear();
    return sink.apply(ids, index);
  }

  /**
   * The incremental path reads no directory: a file of ours added by hand and a hand edit are
   * only noticed by the next full sync, which removes the one and puts the other back.
   */
  @Test
  void changesAreAppliedWithoutScanningAndAFullSyncRepairsWhatWasDoneByHand() throws Exception {
    SourceListener source = source();
    source.replaceAll(byId(bookinfo("http")));
    MeshSink sink = MeshSinks.directory(config(), dir());
    assertThat(sink.sync(index.snapshot())).isEqualTo(new SyncResult(4, 0, 0));
    changed.clear();
    Path details = dir().resolve("details.service.consul.yaml");
    String detailsWritten = Files.readString(details);
    Files.writeString(details, detailsWritten.replace("172.18.0.3", "172.18.0.99"));
    Path ghost = dir().resolve("ghost.service.consul.yaml");
    Files.writeString(ghost, detailsWritten.replace("details", "ghost"));
    String reviewsBefore = files().get("reviews.service.consul.yaml");

    source.update("reviews-v3", List.of());
    assertThat(applyChanges(sink)).isEqualTo(new SyncResult(0, 1, 0));

    assertThat(files().get("reviews.service.consul.yaml")).isNotEqualTo(reviewsBefore)
        .doesNotContain("172.18.0.7");
    assertThat(ghost).exists();
    assertThat(Files.readString(details)).contains("172.18.0.99");

    assertThat(sink.sync(index.snapshot())).isEqualTo(new SyncResult(0, 1, 1));
    assertThat(ghost).doesNotExist();
    assertThat(Files.readString(details)).isEqualTo(detailsWritten);
  }

  /** Before a file is replaced it is read again, so a foreign file put there is left alone. */
  @Test
  void aForeignFilePutUnderOurNameSinceTheLastScanIsNotOverwritten() throws Exception {
    SourceListener source = source();
    source.replaceAll(byId(bookinfo("http")));
    MeshSink sink = MeshSinks.directory(config(), dir());
    sink.sync(index.snapshot());
    changed.clear();
    Path ratings = dir().resolve("ratings.service.consul.yaml");
    String foreign = """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata:
          name: ratings.service.consul
        spec:
          hosts: [ratings.service.consul]
        """;
    Files.writeString(ratings, foreign);

    source.update("ratings-v1", List.of(instance("ratings-v1", "ratings", "172.18.0.4", 9080)
        .protocol("http").tags(List.of("version|v2")).build()));
    assertThat(applyChanges(sink)).isEqualTo(SyncResult.NOTHING);

    assertThat(Files.readString(ratings)).isEqualTo(foreign);
    assertThat(sink.status().reports()).extracting(MeshReport::kind)
        .containsExactly(MeshReport.Kind.FOREIGN_OWNER);
  }

  @Test
  void aScanIsCheapSoTheDirectoryIsVerifiedOften() {
    assertThat(MeshSinks.directory(config(), dir()).timing().verifyInterval())
        .isEqualTo(Duration.ofSeconds(30));
  }

  private static Map<String, List<ServiceInstance>> byId(List<ServiceInstance> instances) {
    return instances.stream().collect(Collectors.groupingBy(ServiceInstance::id));
  }

  /**
   * A reader that lists and parses every {@code *.yaml} while the sink rewrites, adds and deletes
   * files never sees a partial or unparseable file, nor a temporary one.
   */
  @Test
  void concurrentReaderNeverSeesAPartialFile() throws Exception {
    MeshSinkConfig config = config().toBuilder().collisionMode(CollisionMode.ALLOCATE).build();
    MeshSink sink = MeshSinks.directory(config, dir());
    sink.sync(state(bookinfo("http")));
    List<DesiredState> states = List.of(
        state(bookinfo("http")),
        state(without(bookinfo("http"), "reviews-v3")),
        state(bookinfo(null)),
        state(without(bookinfo("grpc"), "ratings")),
        state(without(without(bookinfo("http2"), "details"), "reviews-v1")));
    AtomicBoolean done = new AtomicBoolean();
    AtomicInteger passes = new AtomicInteger();
    AtomicInteger filesRead = new AtomicInteger();
    ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    ExecutorService executor = Executors.newSingleThreadExecutor();
    try {
      Future<?> reader = executor.submit(() -> {
        while (!done.get()) {
          try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir(), "*.yaml")) {
            for (Path file : stream) {
              String text;
              try {
                text = Files.readString(file, UTF_8);
              } catch (NoSuchFileException e) {
                continue; // deleted between listing and reading: fine, not partial
              }
              filesRead.incrementAndGet();
              try {
                GenericKubernetesResource object = ServiceEntryRenderer.parse(text);
                if (!"ServiceEntry".equals(object.getKind())
                    || ServiceEntryRenderer.hostsOf(object).isEmpty()
                    || ServiceEntryRenderer.hashOf(object).isEmpty()) {
                  failures.add(file.getFileName() + " incomplete: " + text);
                }
              } catch (RuntimeException e) {
                failures.add(file.getFileName() + " unparseable (" + e + "): " + text);
              }
            }
          } catch (IOException e) {
            failures.add("listing failed: " + e);
          }
          passes.incrementAndGet();
        }
      });
      await().atMost(Duration.ofSeconds(10)).until(() -> passes.get() > 0);

      int writes = 0;
      for (int i = 0; i < 250; i++) {
        writes += sink.sync(states.get(i % states.size())).writes();
      }
      done.set(true);
      reader.get(10, TimeUnit.SECONDS);

      assertThat(failures).isEmpty();
      assertThat(writes).isGreaterThan(500);
      assertThat(filesRead.get()).isGreaterThan(0);
      assertThat(passes.get()).isGreaterThan(1);
    } finally {
      done.set(true);
      executor.shutdownNow();
    }
  }

  @Test
  void aLongOwnerIdWritesAndAdoptsItsFiles() throws Exception {
    String ownerId = "o".repeat(200);
    MeshSinkConfig config = MeshSinkConfig.builder(ownerId).build();

    assertThat(MeshSinks.directory(config, dir()).sync(state(bookinfo("http"))))
        .isEqualTo(new SyncResult(4, 0, 0));
    assertThat(files().values()).allSatisfy(text -> assertThat(text)
        .contains("registry-bridge.io/owner: " + config.ownerLabel()));
    assertThat(MeshSinks.directory(MeshSinkConfig.builder(ownerId).build(), dir())
        .sync(state(bookinfo("http")))).isEqualTo(SyncResult.NOTHING);
  }

  @Test
  void aFileThatCannotBeReadHoldsOnlyItsOwnHost() throws Exception {
    Files.createDirectories(dir());
    // Not UTF-8, and a directory where a file would be: neither can be read as text.
    Files.write(dir().resolve("legacy.yaml"), new byte[] {'k', ':', ' ', (byte) 0xff, '\n'});
    Files.createDirectory(dir().resolve("ratings.service.consul.yaml"));
    List<MeshReport> heard = new ArrayList<>();
    MeshSink sink = MeshSinks.directory(config(), dir(), (name, report) -> heard.add(report));

    assertThat(sink.sync(state(bookinfo("http")))).isEqualTo(new SyncResult(3, 0, 0));
    try (var listing = Files.list(dir())) {
      assertThat(listing.map(f -> f.getFileName().toString())).containsExactlyInAnyOrder(
          "details.service.consul.yaml", "productpage.service.consul.yaml",
          "reviews.service.consul.yaml", "legacy.yaml", "ratings.service.consul.yaml");
    }
    assertThat(heard).singleElement().satisfies(report -> {
      assertThat(report.kind()).isEqualTo(MeshReport.Kind.FOREIGN_OWNER);
      assertThat(report.message()).contains("ratings.service.consul.yaml, which cannot be read");
    });
    assertThat(sink.sync(state(bookinfo("http")))).isEqualTo(SyncResult.NOTHING);
  }

  /** What the engine logged about each object, counted by verb. */
  private static Map<String, Long> perObjectLines(List<String> lines) {
    return lines.stream().filter(l -> l.matches("INFO mesh-dir: (created|updated|deleted)"
            + " ServiceEntry .*"))
        .collect(Collectors.groupingBy(l -> l.split(" ")[2], TreeMap::new,
            Collectors.counting()));
  }

  private static Map<String, Long> counts(SyncResult result) {
    Map<String, Long> counts = new TreeMap<>();
    if (result.created() > 0) {
      counts.put("created", (long) result.created());
    }
    if (result.updated() > 0) {
      counts.put("updated", (long) result.updated());
    }
    if (result.deleted() > 0) {
      counts.put("deleted", (long) result.deleted());
    }
    return counts;
  }

  @Test
  void everySummaryIsTheSumOfItsPerObjectLines() throws Exception {
    MeshSink sink = MeshSinks.directory(config(), dir());
    try (LogCapture log = new LogCapture(MeshEngine.class)) {
      // The first listing is not complete yet: what does not exist is written early, and the
      // rewrite of reviews (one instance still missing) waits for the complete state.
      List<ServiceInstance> partial = without(bookinfo("http"), "reviews-v3");
      SyncResult early = sink.sync(state(partial, false));
      assertThat(early).isEqualTo(new SyncResult(4, 0, 0));
      assertThat(perObjectLines(log.take())).isEqualTo(counts(early));

      // Complete: reviews gets its third instance (an update), nothing is created again.
      SyncResult complete = sink.sync(state(bookinfo("http")));
      assertThat(complete).isEqualTo(new SyncResult(0, 1, 0));
      List<String> lines = log.take();
      assertThat(perObjectLines(lines)).isEqualTo(counts(complete));
      assertThat(lines).contains("INFO mesh-dir: updated ServiceEntry reviews.service.consul"
          + " (service reviews)");

      SyncResult removed = sink.sync(state(without(bookinfo("http"), "ratings")));
      assertThat(removed).isEqualTo(new SyncResult(0, 0, 1));
      assertThat(log.take()).containsExactly(
          "INFO mesh-dir: deleted ServiceEntry ratings.service.consul");
      assertThat(sink.sync(state(without(bookinfo("http"), "ratings"))))
          .isEqualTo(SyncResult.NOTHING);
      assertThat(perObjectLines(log.take())).isEmpty();
    }
  }

  @Test
  void filesAreV1alpha3ByDefaultAndAnOlderBridgesV1FilesAreRewritten() throws Exception {
    Files.createDirectories(dir());
    MeshSink v1 = MeshSinks.directory(config().toBuilder().apiVersion(IstioApiVersion.V1)
        .build(), dir());
    v1.sync(state(bookinfo("http")));
    assertThat(files().values()).allMatch(text -> text.contains(
        "apiVersion: networking.istio.io/v1\n"));

    // The default, as the seed's defaults wrote v1: every file is rewritten once.
    MeshSink upgraded = MeshSinks.directory(config(), dir());
    assertThat(upgraded.sync(state(bookinfo("http")))).isEqualTo(new SyncResult(0, 4, 0));
    assertThat(files().values()).allMatch(text -> text.contains(
        "apiVersion: networking.istio.io/v1alpha3\n"));
    assertThat(upgraded.sync(state(bookinfo("http")))).isEqualTo(SyncResult.NOTHING);
  }
}
