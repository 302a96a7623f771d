package io.registrybridge.sink.mesh;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.registrybridge.core.DesiredState;
import io.registrybridge.core.Diff;
import io.registrybridge.core.SyncResult;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one YAML file per ServiceEntry into a directory, for istiod's file config source
 * ({@code configSources: fs://...}, {@code --configDir}), GitOps, or {@code kubectl apply -f}.
 *
 * <p>A reader never sees a partial file: each file is written to a temporary file in the same
 * directory, flushed to disk, and renamed over the old one ({@code ATOMIC_MOVE}), which POSIX
 * makes atomic. Temporary files start with '.' and end in {@code .tmp}, so neither istiod (which
 * reads {@code *.yaml} and {@code *.yml}) nor kubectl picks them up; ones left by a crash are
 * removed at the next sync.
 *
 * <p>Files are compared byte for byte with what would be written, so an unchanged service is not
 * rewritten (istiod would otherwise reload it) and a hand-edited file of ours is put back. Files
 * without this bridge's owner labels are never written, renamed or deleted.
 *
 * <p>Called by one {@code SinkReconciler} thread.
 */
final class DirectoryMeshSink implements MeshSink {
  private static final Logger log = LoggerFactory.getLogger(DirectoryMeshSink.class);
  static final String NAME = "mesh-dir";
  private static final String SUFFIX = ".yaml";
  private static final String TEMP_SUFFIX = ".tmp";
  // A line that starts a YAML document.
  private static final Pattern DOCUMENT_START = Pattern.compile("(?m)^---(?:[ \\t].*)?$");

  private final MeshSinkConfig config;
  private final Path directory;
  private final String apiVersion;
  private final String tempPrefix;
  private final ServiceEntryConverter converter;
  private final ServiceEntryRenderer renderer;
  private final ReportLog reportLog;
  private volatile MeshSinkStatus status = MeshSinkStatus.EMPTY;

  DirectoryMeshSink(MeshSinkConfig config, Path directory, MeshSinkListener listener) {
    this.config = requireNonNull(config, "config");
    this.directory = requireNonNull(directory, "directory");
    this.apiVersion = IstioApiVersion.GROUP + "/" + config.apiVersion().version().orElse("v1");
    // Includes the owner, so two bridges sharing a directory never clean up each other's files.
    this.tempPrefix = ".rb." + config.ownerId() + ".";
    this.converter = new ServiceEntryConverter(config);
    this.renderer = new ServiceEntryRenderer(config.namespace(), config.ownerId());
    this.reportLog = new ReportLog(NAME, requireNonNull(listener, "listener"));
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public MeshSinkStatus status() {
    return status;
  }

  @Override
  public SyncResult sync(DesiredState desired) throws IOException {
    Files.createDirectories(directory);
    Scan scan = scan();
    Map<String, String> currentAddresses = new HashMap<>();
    scan.owned().values().forEach(f -> ServiceEntryRenderer.firstHost(f.object()).ifPresent(
        host -> ServiceEntryRenderer.addressesOf(f.object()).stream().findFirst()
            .ifPresent(a -> currentAddresses.put(host, a))));

    Conversion conversion = converter.convert(desired, currentAddresses);
    List<MeshReport> reports = new ArrayList<>(conversion.reports());
    SortedMap<String, String> wanted = new TreeMap<>();
    SortedMap<String, String> hosts = new TreeMap<>();
    SortedMap<String, String> services = new TreeMap<>();
    conversion.entries().forEach((name, entry) -> {
      wanted.put(name, ServiceEntryRenderer.yaml(renderer.render(entry, apiVersion)));
      hosts.put(name, entry.host());
      services.put(name, entry.service());
    });
    SortedMap<String, String> actual = new TreeMap<>();
    scan.owned().forEach((name, file) -> actual.put(name, file.text()));
    Diff<String> diff = Diff.between(wanted, actual, String::equals, desired.complete());

    int created = 0;
    int updated = 0;
    int deleted = 0;
    try {
      for (Map.Entry<String, String> e : diff.create().entrySet()) {
        String name = e.getKey();
        String holder = scan.foreignByName().get(name);
        if (holder == null) {
          holder = scan.foreignByHost().get(hosts.get(name));
        }
        if (holder != null) {
          reports.add(new MeshReport(MeshReport.Kind.FOREIGN_OWNER, services.get(name),
              "service '" + services.get(name) + "': host " + hosts.get(name) + " is already"
                  + " held by " + holder + " in " + directory + "; it is left alone and"
                  + " nothing is written for it"));
          continue;
        }
        writeAtomically(fileOf(name), e.getValue());
        created++;
      }
      for (Map.Entry<String, String> e : diff.update().entrySet()) {
        writeAtomically(fileOf(e.getKey()), e.getValue());
        updated++;
      }
      for (String name : diff.delete()) {
        if (!conversion.held().contains(name) && Files.deleteIfExists(fileOf(name))) {
          deleted++;
        }
      }
    } finally {
      reportLog.update(reports);
      status = new MeshSinkStatus(conversion.collisions().size(), reportLog.collisionsDetected(),
          conversion.held().size(), 0, reportLog.current());
    }
    return new SyncResult(created, updated, deleted);
  }

  private Path fileOf(String name) {
    return directory.resolve(name + SUFFIX);
  }

  /** A file of ours: its text as read, and what it says. */
  private record OwnedFile(String text, GenericKubernetesResource object) {}

  /**
   * What the directory holds.
   *
   * @param owned our files, by file name without {@code .yaml}
   * @param foreignByName other {@code .yaml} files, by file name without it, to their owner
   * @param foreignByHost hosts declared by ServiceEntry documents of other files
   */
  private record Scan(Map<String, OwnedFile> owned, Map<String, String> foreignByName,
      Map<String, String> foreignByHost) {}

  private Scan scan() throws IOException {
    Map<String, OwnedFile> owned = new HashMap<>();
    Map<String, String> foreignByName = new HashMap<>();
    Map<String, String> foreignByHost = new HashMap<>();
    Set<Path> files = new HashSet<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory)) {
      stream.forEach(files::add);
    }
    for (Path file : files) {
      String fileName = file.getFileName().toString();
      if (fileName.startsWith(tempPrefix) && fileName.endsWith(TEMP_SUFFIX)) {
        // Left by a crash between writing and renaming; ours by its prefix.
        log.info("{}: removing stale temporary file {}", NAME, file);
        Files.deleteIfExists(file);
        continue;
      }
      boolean yaml = fileName.endsWith(SUFFIX);
      if (fileName.startsWith(".") || !(yaml || fileName.endsWith(".yml"))
          || !Files.isRegularFile(file)) {
        continue;
      }
      String text;
      try {
        text = Files.readString(file, UTF_8);
      } catch (NoSuchFileException e) {
        continue; // removed by someone else while we looked
      }
      String stem = fileName.substring(0, fileName.lastIndexOf('.'));
      List<GenericKubernetesResource> documents = documents(text);
      if (yaml && documents.size() == 1 && isServiceEntry(documents.get(0))
          && renderer.ownedByUs(documents.get(0))) {
        owned.put(stem, new OwnedFile(text, documents.get(0)));
        continue;
      }
      String holder = documents.size() == 1
          ? "file " + fileName + " of " + ServiceEntryRenderer.ownerOf(documents.get(0))
          : "file " + fileName;
      if (yaml) {
        foreignByName.put(stem, holder);
      }
      for (GenericKubernetesResource document : documents) {
        if (isServiceEntry(document) && !renderer.ownedByUs(document)) {
          for (String host : ServiceEntryRenderer.hostsOf(document)) {
            foreignByHost.putIfAbsent(host, holder);
          }
        }
      }
    }
    return new Scan(owned, foreignByName, foreignByHost);
  }

  private static boolean isServiceEntry(GenericKubernetesResource object) {
    return ServiceEntryRenderer.KIND.equals(object.getKind()) && object.getApiVersion() != null
        && object.getApiVersion().startsWith(IstioApiVersion.GROUP + "/")
        && object.getMetadata() != null;
  }

  /** The parseable documents of a file; a foreign file may hold anything, or several. */
  private static List<GenericKubernetesResource> documents(String text) {
    List<GenericKubernetesResource> documents = new ArrayList<>();
    for (String document : DOCUMENT_START.split(text)) {
      if (document.isBlank()) {
        continue;
      }
      try {
        GenericKubernetesResource object = ServiceEntryRenderer.parse(document);
        if (object != null) {
          documents.add(object);
        }
      } catch (RuntimeException e) {
        log.debug("{}: ignoring a document that does not parse: {}", NAME, e.toString());
      }
    }
    return documents;
  }

  /** Writes {@code text} to {@code target} so that readers see the old or the new file, whole. */
  private void writeAtomically(Path target, String text) throws IOException {
    String random = Long.toHexString(ThreadLocalRandom.current().nextLong());
    Path temp = directory.resolve(tempPrefix + target.getFileName() + "." + random + TEMP_SUFFIX);
    try {
      // CREATE_NEW honours the umask (Files.createTempFile would make it owner-only, which an
      // istiod running as another user could not read).
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE)) {
        ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(UTF_8));
        while (bytes.hasRemaining()) {
          channel.write(bytes);
        }
        // On disk before the rename, or a crash could leave an empty file under the real name.
        channel.force(true);
      }
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  @Override
  public void close() {
    // Nothing to release: every file is closed when written.
  }
}
