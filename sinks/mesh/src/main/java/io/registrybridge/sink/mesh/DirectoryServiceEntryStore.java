package io.registrybridge.sink.mesh;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.registrybridge.core.SinkTiming;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One YAML file per ServiceEntry in a directory ({@code istio-dir}), for istiod's file config
 * source ({@code configSources: fs://...}, {@code --configDir}), GitOps, or {@code kubectl apply
 * -f}.
 *
 * <p><b>Reads.</b> {@link #readAll} scans the directory: our files (one ServiceEntry document
 * with this bridge's owner labels, named {@code <object name>.yaml}), and, for {@link
 * #heldElsewhere}, the names and hosts of every other {@code .yaml}/{@code .yml} file. Between
 * scans the store answers from that index plus its own writes, so the incremental path reads no
 * directory: a file changed or added by hand is noticed by the next scan, which a full sync runs
 * (the sink's verify interval is short for that reason; a scan is cheap). A file is ours only
 * byte for byte: one that does not read back exactly as this bridge writes it (edited by hand,
 * another {@code apiVersion}) gets a fingerprint no rendering has, so it is written again.
 *
 * <p><b>Writes.</b> Each file is written to a temporary file in the same directory, flushed to
 * disk, and renamed over the old one ({@code ATOMIC_MOVE}), which POSIX makes atomic: a reader
 * never sees a partial file. Temporary files start with '.' and end in {@code .tmp}, so neither
 * istiod (which reads {@code *.yaml} and {@code *.yml}) nor kubectl picks them up; ones left by a
 * crash are removed at the next scan. Before a file is replaced or deleted it is read again (that
 * one file), so a file that someone else put under that name since the last scan is never
 * touched.
 *
 * <p><b>Failures.</b> A directory that cannot be created, listed or written throws ({@code
 * IOException}, checked): the reconciler backs the sink off and syncs in full. One file that
 * cannot be read while the directory can (no permission, not UTF-8, a directory named {@code
 * x.yaml}) is that file's problem alone: it counts as held by someone else, so the host it
 * names is reported and left alone, and every other file is read and written as usual.
 *
 * <p>Called by one {@code SinkReconciler} thread.
 */
final class DirectoryServiceEntryStore implements ServiceEntryStore {
  private static final Logger log = LoggerFactory.getLogger(DirectoryServiceEntryStore.class);
  static final String NAME = "mesh-dir";
  /** A full scan every 30 s: it reads a few kilobytes per service, and finds hand edits. */
  static final SinkTiming TIMING = new SinkTiming(Duration.ofSeconds(30));
  private static final String SUFFIX = ".yaml";
  private static final String TEMP_SUFFIX = ".tmp";
  /** The fingerprint of a file of ours that is not exactly what this bridge writes. */
  private static final String CHANGED = "changed-outside-the-bridge";
  // A line that starts a YAML document.
  private static final Pattern DOCUMENT_START = Pattern.compile("(?m)^---(?:[ \\t].*)?$");

  private final Path directory;
  private final String apiVersion;
  private final String tempPrefix;
  private final ServiceEntryRenderer renderer;

  // The index: the last scan plus our writes since. Concurrent only so that the debug page can
  // list it from the health server's thread; every write happens on the sink's.
  private final Map<String, StoredEntry> owned = new ConcurrentHashMap<>();
  private final Map<String, String> foreignByName = new HashMap<>();
  private final Map<String, String> foreignByHost = new HashMap<>();

  DirectoryServiceEntryStore(MeshSinkConfig config, Path directory) {
    requireNonNull(config, "config");
    this.directory = requireNonNull(directory, "directory");
    this.apiVersion = IstioApiVersion.GROUP + "/" + config.apiVersion().version()
        .orElse(IstioApiVersion.FILE_DEFAULT);
    // Includes the owner, so two bridges sharing a directory never clean up each other's files.
    this.tempPrefix = ".rb." + config.ownerLabel() + ".";
    this.renderer = new ServiceEntryRenderer(config.namespace(), config.ownerLabel());
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public SinkTiming timing() {
    return TIMING;
  }

  @Override
  public void open() throws IOException {
    Files.createDirectories(directory);
  }

  @Override
  public Optional<StoredEntry> held(String name) {
    return Optional.ofNullable(owned.get(name));
  }

  @Override
  public Optional<String> heldElsewhere(String name, String host) {
    String holder = foreignByName.get(name);
    if (holder == null) {
      holder = foreignByHost.get(host);
    }
    return Optional.ofNullable(holder).map(this::phrase);
  }

  private String phrase(String holder) {
    return "is already held by " + holder + " in " + directory;
  }

  @Override
  public WriteResult write(RenderedEntry entry) throws IOException {
    String name = entry.name();
    Path file = fileOf(name);
    Optional<String> holder = foreignHolderOf(file);
    if (holder.isPresent()) {
      owned.remove(name);
      foreignByName.put(name, holder.get());
      return new WriteResult.HeldElsewhere(phrase(holder.get()));
    }
    GenericKubernetesResource object =
        ServiceEntryRenderer.withApiVersion(entry.object(), apiVersion);
    writeAtomically(file, ServiceEntryRenderer.yaml(object));
    StoredEntry before = owned.put(name, StoredEntry.written(entry));
    return before == null ? new WriteResult.Created() : new WriteResult.Updated();
  }

  @Override
  public boolean delete(String name) throws IOException {
    Path file = fileOf(name);
    if (owned.remove(name) == null) {
      return false;
    }
    Optional<String> holder = foreignHolderOf(file);
    if (holder.isPresent()) {
      foreignByName.put(name, holder.get());
      return false;
    }
    return Files.deleteIfExists(file);
  }

  /** Who holds {@code file} when it exists and is not ours; reads that one file. */
  private Optional<String> foreignHolderOf(Path file) throws IOException {
    FileText read = read(file);
    if (read.unreadable() != null) {
      return Optional.of(read.unreadable());
    }
    String text = read.text();
    if (text == null) {
      return Optional.empty();
    }
    List<GenericKubernetesResource> documents = documents(text);
    if (isOurs(documents)) {
      return Optional.empty();
    }
    return Optional.of(holderOf(file.getFileName().toString(), documents));
  }

  private Path fileOf(String name) {
    return directory.resolve(name + SUFFIX);
  }

  @Override
  public Map<String, StoredEntry> readAll() throws IOException {
    Files.createDirectories(directory);
    owned.clear();
    foreignByName.clear();
    foreignByHost.clear();
    Set<Path> files = new HashSet<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory)) {
      stream.forEach(files::add);
    } catch (DirectoryIteratorException e) {
      throw e.getCause();
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
      String stem = fileName.substring(0, fileName.lastIndexOf('.'));
      FileText read = read(file);
      if (read.unreadable() != null) {
        if (yaml) {
          foreignByName.put(stem, read.unreadable()); // its hosts are unknown
        }
        continue;
      }
      String text = read.text();
      if (text == null) {
        continue; // removed by someone else while we looked
      }
      List<GenericKubernetesResource> documents = documents(text);
      if (yaml && isOurs(documents)) {
        owned.put(stem, stored(stem, text, documents.get(0)));
        continue;
      }
      String holder = holderOf(fileName, documents);
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
    return Map.copyOf(owned);
  }

  /**
   * What a file holds.
   *
   * @param text its text; null when it is gone or cannot be read
   * @param unreadable why that one file cannot be read, as a holder for a report; else null
   */
  private record FileText(String text, String unreadable) {}

  /**
   * Reads one file. A failure that is the file's alone is returned, not thrown, so that one
   * stray file cannot stop the sink; a directory that cannot be read or written throws.
   */
  private FileText read(Path file) throws IOException {
    try {
      return new FileText(Files.readString(file, UTF_8), null);
    } catch (NoSuchFileException e) {
      return new FileText(null, null);
    } catch (IOException e) {
      if (!(Files.isDirectory(directory) && Files.isReadable(directory)
          && Files.isWritable(directory))) {
        throw e;
      }
      return new FileText(null, "file " + file.getFileName() + ", which cannot be read ("
          + e.getClass().getSimpleName() + ")");
    }
  }

  /** A file of ours as the engine compares it: exactly what we would write, or changed. */
  private StoredEntry stored(String name, String text, GenericKubernetesResource object) {
    boolean exact = apiVersion.equals(object.getApiVersion())
        && text.equals(ServiceEntryRenderer.yaml(object));
    return new StoredEntry(name, exact ? ServiceEntryRenderer.fingerprint(object) : CHANGED,
        ServiceEntryRenderer.addressesOf(object), ServiceEntryRenderer.sourcesOf(object));
  }

  private boolean isOurs(List<GenericKubernetesResource> documents) {
    return documents.size() == 1 && isServiceEntry(documents.get(0))
        && renderer.ownedByUs(documents.get(0));
  }

  private static String holderOf(String fileName, List<GenericKubernetesResource> documents) {
    return documents.size() == 1
        ? "file " + fileName + " of " + ServiceEntryRenderer.ownerOf(documents.get(0))
        : "file " + fileName;
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

  /**
   * The files of ours, read now: the bytes istiod reads. A file that went away or cannot be read
   * meanwhile says so instead.
   */
  @Override
  public Map<String, Object> debug(Predicate<String> wanted) {
    SortedMap<String, Object> files = new TreeMap<>();
    for (String name : new TreeSet<>(owned.keySet())) {
      if (!wanted.test(name)) {
        continue;
      }
      Path file = fileOf(name);
      try {
        files.put(name, Files.readString(file, UTF_8));
      } catch (IOException e) {
        files.put(name, "# " + file + " cannot be read now: " + e.getClass().getSimpleName());
      }
    }
    Map<String, Object> debug = new LinkedHashMap<>();
    debug.put("directory", directory.toString());
    debug.put("apiVersion", apiVersion);
    debug.put("format", "yaml");
    debug.put("serviceEntries", files);
    return debug;
  }

  /**
   * Checks, before the daemon starts, that {@code directory} exists or can be created, and that
   * files can be created in it: a probe file is written and removed again.
   *
   * @throws IllegalArgumentException naming the directory and what is wrong
   */
  static void checkUsable(Path directory) {
    try {
      Files.createDirectories(directory);
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      throw new IllegalArgumentException("directory " + directory + " does not exist and cannot"
          + " be created (" + describe(e) + ")", e);
    }
    if (!Files.isDirectory(directory)) {
      throw new IllegalArgumentException(directory + " is not a directory");
    }
    Path probe = null;
    try {
      probe = Files.createTempFile(directory, ".rb.probe.", TEMP_SUFFIX);
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      throw new IllegalArgumentException("cannot write files into directory " + directory + " ("
          + describe(e) + ")", e);
    } finally {
      if (probe != null) {
        try {
          Files.deleteIfExists(probe);
        } catch (IOException e) {
          log.debug("{}: could not remove the probe file {}", NAME, probe, e);
        }
      }
    }
  }

  private static String describe(Exception e) {
    return e.getClass().getSimpleName()
        + (e.getMessage() == null ? "" : ": " + e.getMessage());
  }

  @Override
  public void close() {
    // Nothing to release: every file is closed when written.
  }
}
