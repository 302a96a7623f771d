package io.registrybridge.sink.mesh;

import static java.util.Objects.requireNonNull;

import io.registrybridge.core.DesiredState;
import io.registrybridge.core.DesiredView;
import io.registrybridge.core.Protocol;
import io.registrybridge.core.ServiceInstance;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * The mesh as the bridge means it, kept between calls: one converted entry per host, and what
 * concerns several hosts at once as indexes over them, so that a change of one service costs the
 * conversion of that service and a look at the hosts it shares a port with, not a conversion of
 * everything.
 *
 * <ul>
 *   <li>Per host: the instances it was built from ({@code id -> name}), the {@link
 *       ServiceEntryConverter.HostConversion}, the entry with its virtual IP, the final entry if
 *       it passes {@link ServiceEntryValidator}, and its reports.
 *   <li>{@code id -> names} it was last converted under, so that an instance that went away or
 *       was renamed (no longer in the desired view under its old name) still marks its old host.
 *   <li>Collision guard: {@code port -> hosts} declaring that opaque TCP port without an address;
 *       a change re-evaluates only the ports the changed host declared before or after.
 *   <li>Virtual IPs ({@link CollisionMode#ALLOCATE}): the {@link VirtualIpAllocator} keeps every
 *       address given out; a host that needs one takes its current one (a hint, read back from
 *       the store) or its home address; hosts left without one (the range is full) wait for an
 *       address to be released.
 * </ul>
 *
 * <p>{@link #rebuild} starts over from a full desired state (a full sync); {@link #update}
 * re-converts the hosts of some service names (the incremental path). Both give the same entries
 * for the same desired state, except that virtual IPs handed out one at a time may differ from a
 * fresh allocation where home addresses collide; either way an address, once written, is kept
 * (the store's address is the hint).
 *
 * <p>It also keeps when each ID was first seen (a sequence number), which settles a tie between
 * two protocols declared for one port ({@link ServiceEntryConverter}): kept while the ID exists,
 * so the same instance stays "earlier" across calls and full syncs. The IDs of a full sync that
 * were not seen before are numbered in ID order, so after a restart (the first full sync) the
 * earliest is the lowest ID: deterministic, the same on every replica.
 *
 * <p>A host whose conversion throws (a bug) is isolated: it is held (its last good object stays)
 * with an {@link MeshReport.Kind#UNEXPECTED_ERROR} report, and the failure is kept for the
 * engine to log ({@link #takeFailures}); every other host is converted as usual.
 *
 * <p>Pure: no I/O, no logging. Confined to the sink's thread.
 */
final class MeshModel {

  /** Converts the instances of one host; {@link ServiceEntryConverter#convertHost}, or a test's. */
  @FunctionalInterface
  interface HostConverter {
    ServiceEntryConverter.HostConversion convert(String host, List<ServiceInstance> instances,
        ToLongFunction<String> firstSeen);
  }

  /**
   * A host whose conversion or validation threw.
   *
   * @param ids the IDs of its instances
   */
  record Failure(String host, SortedSet<String> ids, RuntimeException error) {}

  /**
   * What an {@link #update} touched.
   *
   * @param objects object names whose entry, or whose being held, may have changed
   * @param reportKeys keys ({@link #reports(String)}) whose reports may have changed
   */
  record Delta(SortedSet<String> objects, SortedSet<String> reportKeys) {}

  private final ServiceEntryConverter converter;
  private final HostConverter hostConverter;
  private final MeshSinkConfig config;
  private final VirtualIpAllocator allocator; // null in report mode

  // By object name.
  private final Map<String, Unit> units = new HashMap<>();
  private final Set<String> held = new HashSet<>();
  // Service names that cannot become a host, with their IDs and report.
  private final Map<String, InvalidName> invalidNames = new HashMap<>();
  private final Map<String, Set<String>> namesOfId = new HashMap<>();
  // The collision guard: port -> host -> protocol, for opaque ports of entries without address.
  private final Map<Integer, SortedMap<String, Protocol>> opaquePorts = new HashMap<>();
  private final SortedMap<Integer, Collision> collisions = new TreeMap<>();
  // Hosts that need a virtual IP and got none (the range is full), sorted.
  private final SortedSet<String> waitingForAddress = new TreeSet<>();
  // ID -> when it was first seen; see the class comment.
  private final Map<String, Long> firstSeen = new HashMap<>();
  private long nextSeen;
  private final List<Failure> failures = new ArrayList<>();
  private long hostsConverted;

  MeshModel(ServiceEntryConverter converter) {
    this(converter, converter::convertHost);
  }

  /** With {@code hostConverter} instead of the converter's own, for tests. */
  MeshModel(ServiceEntryConverter converter, HostConverter hostConverter) {
    this.converter = requireNonNull(converter, "converter");
    this.hostConverter = requireNonNull(hostConverter, "hostConverter");
    this.config = converter.config();
    this.allocator = config.collisionMode() == CollisionMode.ALLOCATE
        ? new VirtualIpAllocator(VirtualIpRange.parse(config.virtualIpRange()))
        : null;
  }

  /** The converted entries of one host, and what the global checks made of them. */
  private static final class Unit {
    final String host;
    final Map<String, String> ids; // id -> service name
    final ServiceEntryConverter.HostConversion conversion;
    ServiceEntryModel allocated; // the converted entry with its virtual IP; null when none
    MeshReport noAddress;
    ServiceEntryModel entry; // allocated, when it passed the final validation
    MeshReport invalid;

    Unit(String host, Map<String, String> ids, ServiceEntryConverter.HostConversion conversion) {
      this.host = host;
      this.ids = ids;
      this.conversion = conversion;
    }

    boolean held() {
      return conversion.held() || invalid != null;
    }

    List<MeshReport> reports() {
      List<MeshReport> reports = new ArrayList<>(conversion.reports());
      if (noAddress != null) {
        reports.add(noAddress);
      }
      if (invalid != null) {
        reports.add(invalid);
      }
      return reports;
    }
  }

  private record InvalidName(Set<String> ids, MeshReport report) {}

  private record Collision(PortCollision collision, MeshReport report) {}

  // --- reading ------------------------------------------------------------------------------

  /** The names {@code id} was converted under: usually one, none when it was not converted. */
  Set<String> namesOf(String id) {
    return namesOfId.getOrDefault(id, Set.of());
  }

  /** The IDs of the instances the host of {@code objectName} was last converted from. */
  SortedSet<String> idsOf(String objectName) {
    Unit unit = units.get(objectName);
    return unit == null ? new TreeSet<>() : new TreeSet<>(unit.ids.keySet());
  }

  /** The hosts whose conversion threw since the last call, for the engine to log. */
  List<Failure> takeFailures() {
    List<Failure> taken = List.copyOf(failures);
    failures.clear();
    return taken;
  }

  /** The entry to write under {@code objectName}, if there is a valid one. */
  Optional<ServiceEntryModel> entry(String objectName) {
    Unit unit = units.get(objectName);
    return unit == null ? Optional.empty() : Optional.ofNullable(unit.entry);
  }

  /**
   * Whether the object {@code objectName} must be left as it is, neither updated nor deleted: the
   * service still exists but cannot be written now.
   */
  boolean held(String objectName) {
    return held.contains(objectName);
  }

  /** Every object name with instances, valid or held. */
  Set<String> objectNames() {
    return Set.copyOf(units.keySet());
  }

  int heldCount() {
    return held.size();
  }

  int collisionCount() {
    return collisions.size();
  }

  /** How many hosts were converted since this model was made; for tests and debug logs. */
  long hostsConverted() {
    return hostsConverted;
  }

  /** The reports under {@code key} (a key of a {@link Delta} or of {@link #allReports}). */
  List<MeshReport> reports(String key) {
    if (key.startsWith(INVALID_KEY)) {
      InvalidName invalid = invalidNames.get(key.substring(INVALID_KEY.length()));
      return invalid == null ? List.of() : List.of(invalid.report());
    }
    if (key.startsWith(COLLISION_KEY)) {
      Collision collision = collisions.get(Integer.parseInt(key.substring(COLLISION_KEY.length())));
      return collision == null ? List.of() : List.of(collision.report());
    }
    Unit unit = units.get(key);
    return unit == null ? List.of() : unit.reports();
  }

  /**
   * Every current report by key. Keys sort invalid service names first, then hosts (the key of a
   * host's reports is its object name), then port collisions by port.
   */
  SortedMap<String, List<MeshReport>> allReports() {
    SortedMap<String, List<MeshReport>> all = new TreeMap<>();
    invalidNames.forEach((name, invalid) -> all.put(INVALID_KEY + name,
        List.of(invalid.report())));
    units.forEach((name, unit) -> {
      List<MeshReport> reports = unit.reports();
      if (!reports.isEmpty()) {
        all.put(name, reports);
      }
    });
    collisions.forEach((port, collision) -> all.put(collisionKey(port),
        List.of(collision.report())));
    return all;
  }

  private static final String INVALID_KEY = "!";
  private static final String COLLISION_KEY = "~";

  private static String collisionKey(int port) {
    return COLLISION_KEY + String.format("%05d", port);
  }

  /** Everything at once, as one {@link Conversion}; costs O(n), for tests and tools. */
  Conversion conversion() {
    SortedMap<String, ServiceEntryModel> entries = new TreeMap<>();
    units.forEach((name, unit) -> {
      if (unit.entry != null) {
        entries.put(name, unit.entry);
      }
    });
    List<MeshReport> reports = new ArrayList<>();
    allReports().values().forEach(reports::addAll);
    return new Conversion(entries, new TreeSet<>(held), reports,
        collisions.values().stream().map(Collision::collision).toList());
  }

  // --- changing -----------------------------------------------------------------------------

  /**
   * Starts over from {@code desired}: converts every host, allocates virtual IPs (keeping the
   * addresses {@code addressHint} gives where usable), runs the collision guard and the final
   * validation.
   *
   * @param addressHint the virtual IP a host has in the control plane now
   */
  void rebuild(DesiredState desired, Function<String, Optional<String>> addressHint) {
    units.clear();
    held.clear();
    invalidNames.clear();
    namesOfId.clear();
    opaquePorts.clear();
    collisions.clear();
    waitingForAddress.clear();
    firstSeen.keySet().retainAll(desired.services().keySet());
    desired.services().keySet().forEach(this::see); // in ID order

    SortedMap<String, List<ServiceInstance>> byName = new TreeMap<>();
    for (ServiceInstance instance : desired.services().values()) { // in ID order
      byName.computeIfAbsent(instance.name(), n -> new ArrayList<>()).add(instance);
    }
    SortedMap<String, List<ServiceInstance>> byHost = new TreeMap<>();
    byName.forEach((name, instances) -> {
      List<MeshReport> problem = new ArrayList<>(1);
      Optional<String> host = converter.hostOf(name, problem);
      if (host.isPresent()) {
        byHost.computeIfAbsent(host.get(), h -> new ArrayList<>()).addAll(instances);
      } else {
        Set<String> ids = new HashSet<>();
        instances.forEach(i -> ids.add(i.id()));
        invalidNames.put(name, new InvalidName(ids, problem.get(0)));
        ids.forEach(id -> link(id, name));
      }
    });
    byHost.forEach((host, instances) -> {
      instances.sort(Comparator.comparing(ServiceInstance::id));
      Unit unit = convert(host, instances);
      unit.allocated = unit.conversion.entry().orElse(null);
      units.put(ServiceEntryConverter.objectName(host), unit);
    });

    if (allocator != null) {
      List<String> needing = new ArrayList<>();
      Map<String, String> current = new HashMap<>();
      for (Unit unit : units.values()) {
        if (unit.allocated != null && unit.allocated.hasOpaqueTcpPort()) {
          needing.add(unit.host);
          addressHint.apply(unit.host).ifPresent(a -> current.put(unit.host, a));
        }
      }
      SortedMap<String, String> addresses = allocator.allocate(needing, current);
      for (String host : needing) {
        Unit unit = units.get(ServiceEntryConverter.objectName(host));
        String address = addresses.get(host);
        if (address == null) {
          unit.noAddress = noAddressReport(unit.allocated);
          waitingForAddress.add(host);
        } else {
          unit.allocated = unit.allocated.withAddresses(List.of(address));
        }
      }
    }

    Set<Integer> ports = new HashSet<>();
    for (Unit unit : units.values()) {
      contribute(unit.host, Map.of(), opaqueContribution(unit.allocated), ports);
    }
    SortedSet<String> ignored = new TreeSet<>();
    ports.forEach(port -> refreshCollision(port, ignored));
    units.forEach((name, unit) -> validate(name, unit));
  }

  /**
   * Re-converts the hosts of {@code names} (and records names that cannot be hosts) from what
   * {@code view} holds now, then updates the virtual IPs and the collision guard for what
   * changed.
   *
   * @param names service names whose instances changed: the current and the previous names of
   *     the changed IDs
   * @param addressHint the virtual IP a host has in the control plane now
   */
  Delta update(Set<String> names, DesiredView view,
      Function<String, Optional<String>> addressHint) {
    Delta delta = new Delta(new TreeSet<>(), new TreeSet<>());
    // IDs unlinked from a name on the way; those linked to none at the end went away.
    Set<String> unlinked = new HashSet<>();
    SortedMap<String, SortedSet<String>> namesByHost = new TreeMap<>();
    for (String name : new TreeSet<>(names)) {
      List<MeshReport> problem = new ArrayList<>(1);
      Optional<String> host = converter.hostOf(name, problem);
      if (host.isPresent()) {
        namesByHost.computeIfAbsent(host.get(), h -> new TreeSet<>()).add(name);
      } else {
        refreshInvalidName(name, problem.get(0), view, delta, unlinked);
      }
    }
    boolean released = false;
    for (Map.Entry<String, SortedSet<String>> e : namesByHost.entrySet()) {
      released |= refreshHost(e.getKey(), e.getValue(), view, addressHint, delta, unlinked);
    }
    if (released && !waitingForAddress.isEmpty()) {
      giveWaitingHostsAnAddress(addressHint, delta);
    }
    // An ID converted under no name any more went away: when it comes back, it is new.
    unlinked.removeIf(namesOfId::containsKey);
    firstSeen.keySet().removeAll(unlinked);
    return delta;
  }

  private void see(String id) {
    firstSeen.computeIfAbsent(id, k -> nextSeen++);
  }

  private void refreshInvalidName(String name, MeshReport report, DesiredView view,
      Delta delta, Set<String> unlinked) {
    InvalidName old = invalidNames.remove(name);
    if (old != null) {
      old.ids().forEach(id -> unlink(id, name));
      unlinked.addAll(old.ids());
    }
    Set<String> ids = new HashSet<>();
    for (String id : view.idsNamed(name)) {
      view.get(id).filter(i -> i.name().equals(name)).ifPresent(i -> ids.add(id));
    }
    if (!ids.isEmpty()) {
      invalidNames.put(name, new InvalidName(ids, report));
      ids.forEach(id -> link(id, name));
      new TreeSet<>(ids).forEach(this::see);
    }
    delta.reportKeys().add(INVALID_KEY + name);
  }

  /** Returns whether a virtual IP was released. */
  private boolean refreshHost(String host, Set<String> changedNames, DesiredView view,
      Function<String, Optional<String>> addressHint, Delta delta, Set<String> unlinked) {
    String object = ServiceEntryConverter.objectName(host);
    Unit old = units.get(object);
    SortedSet<String> candidates = new TreeSet<>(changedNames);
    if (old != null) {
      candidates.addAll(old.ids.values());
      old.ids.forEach(this::unlink);
      unlinked.addAll(old.ids.keySet());
    }
    SortedMap<String, ServiceInstance> byId = new TreeMap<>();
    for (String name : candidates) {
      for (String id : view.idsNamed(name)) {
        // The view may have moved on since idsNamed: the ID then comes back in a later batch.
        view.get(id).filter(i -> i.name().equals(name)).ifPresent(i -> byId.put(id, i));
      }
    }
    delta.objects().add(object);
    delta.reportKeys().add(object);
    Map<Integer, Protocol> before = old == null ? Map.of() : opaqueContribution(old.allocated);
    boolean released = false;
    Unit unit = null;
    if (byId.isEmpty()) {
      units.remove(object);
      held.remove(object);
      waitingForAddress.remove(host);
      released = allocator != null && allocator.release(host);
    } else {
      unit = convert(host, List.copyOf(byId.values()));
      released = place(unit, addressHint);
      units.put(object, unit);
      validate(object, unit);
    }
    Set<Integer> ports = new HashSet<>();
    contribute(host, before, unit == null ? Map.of() : opaqueContribution(unit.allocated), ports);
    ports.forEach(port -> refreshCollision(port, delta.reportKeys()));
    return released;
  }

  private Unit convert(String host, List<ServiceInstance> instances) {
    hostsConverted++;
    Map<String, String> ids = new HashMap<>();
    for (ServiceInstance instance : instances) { // in ID order
      ids.put(instance.id(), instance.name());
      link(instance.id(), instance.name());
      see(instance.id());
    }
    ServiceEntryConverter.HostConversion conversion;
    try {
      conversion = hostConverter.convert(host, instances,
          id -> firstSeen.getOrDefault(id, Long.MAX_VALUE));
    } catch (RuntimeException e) {
      conversion = new ServiceEntryConverter.HostConversion(Optional.empty(), true,
          List.of(failed(host, instances.get(0).name(), ids.keySet(), "converting", e)));
    }
    return new Unit(host, ids, conversion);
  }

  /** Records that {@code what} a host threw; the report holds it until it is fixed. */
  private MeshReport failed(String host, String service, Set<String> ids, String what,
      RuntimeException e) {
    SortedSet<String> sorted = new TreeSet<>(ids);
    failures.add(new Failure(host, sorted, e));
    // The exception's class only: its message may quote a value of the instances.
    return new MeshReport(MeshReport.Kind.UNEXPECTED_ERROR, service, "service '" + service
        + "': " + what + " host " + host + " (IDs " + String.join(", ", sorted) + ") failed"
        + " unexpectedly (" + e.getClass().getName() + "); its last good object is kept and"
        + " the other hosts go on");
  }

  /**
   * Gives a converted unit its virtual IP, if it needs one; returns whether an address was
   * released because the host no longer needs one.
   */
  private boolean place(Unit unit, Function<String, Optional<String>> addressHint) {
    ServiceEntryModel base = unit.conversion.entry().orElse(null);
    unit.allocated = base;
    if (allocator == null) {
      return false;
    }
    if (base == null || !base.hasOpaqueTcpPort()) {
      waitingForAddress.remove(unit.host);
      return allocator.release(unit.host);
    }
    Optional<String> address = allocator.addressOf(unit.host)
        .or(() -> allocator.assign(unit.host, addressHint.apply(unit.host)));
    if (address.isPresent()) {
      unit.allocated = base.withAddresses(List.of(address.get()));
      waitingForAddress.remove(unit.host);
    } else {
      unit.noAddress = noAddressReport(base);
      waitingForAddress.add(unit.host);
    }
    return false;
  }

  /** An address was released: hosts waiting for one take it, in host order. */
  private void giveWaitingHostsAnAddress(Function<String, Optional<String>> addressHint,
      Delta delta) {
    for (String host : List.copyOf(waitingForAddress)) {
      if (allocator.full()) {
        return;
      }
      String object = ServiceEntryConverter.objectName(host);
      Unit unit = units.get(object);
      Optional<String> address = allocator.assign(host, addressHint.apply(host));
      if (unit == null || address.isEmpty()) {
        continue;
      }
      Map<Integer, Protocol> before = opaqueContribution(unit.allocated);
      unit.allocated = unit.allocated.withAddresses(List.of(address.get()));
      unit.noAddress = null;
      waitingForAddress.remove(host);
      validate(object, unit);
      Set<Integer> ports = new HashSet<>();
      contribute(host, before, opaqueContribution(unit.allocated), ports);
      ports.forEach(port -> refreshCollision(port, delta.reportKeys()));
      delta.objects().add(object);
      delta.reportKeys().add(object);
    }
  }

  private MeshReport noAddressReport(ServiceEntryModel entry) {
    return new MeshReport(MeshReport.Kind.NO_VIRTUAL_IP, entry.service(),
        "service '" + entry.service() + "': no free virtual IP left in "
            + config.virtualIpRange() + " for " + entry.host());
  }

  private void validate(String object, Unit unit) {
    unit.entry = null;
    unit.invalid = null;
    if (unit.allocated != null) {
      List<String> problems;
      try {
        problems = ServiceEntryValidator.problems(unit.allocated);
      } catch (RuntimeException e) {
        problems = null;
        unit.invalid = failed(unit.host, unit.allocated.service(), unit.ids.keySet(),
            "validating", e);
      }
      if (problems == null) {
        // Held, with the report of the failure.
      } else if (problems.isEmpty()) {
        unit.entry = unit.allocated;
      } else {
        ServiceEntryModel entry = unit.allocated;
        unit.invalid = new MeshReport(MeshReport.Kind.INVALID_SERVICE, entry.service(),
            "service '" + entry.service() + "': the ServiceEntry for " + entry.host()
                + " would be invalid (" + String.join("; ", problems) + "); it is not written");
      }
    }
    if (unit.held()) {
      held.add(object);
    } else {
      held.remove(object);
    }
  }

  /** The opaque TCP ports an entry puts into the collision guard: none when it has an address. */
  private static Map<Integer, Protocol> opaqueContribution(ServiceEntryModel entry) {
    if (entry == null || !entry.addresses().isEmpty()) {
      return Map.of();
    }
    Map<Integer, Protocol> ports = new HashMap<>();
    for (ServiceEntryModel.Port port : entry.ports()) {
      if (port.protocol().opaqueTcp()) {
        ports.put(port.number(), port.protocol());
      }
    }
    return ports;
  }

  /** Replaces a host's contribution to the collision guard; adds the ports that changed. */
  private void contribute(String host, Map<Integer, Protocol> before,
      Map<Integer, Protocol> after, Set<Integer> touched) {
    if (before.equals(after)) {
      return;
    }
    before.keySet().forEach(port -> {
      SortedMap<String, Protocol> hosts = opaquePorts.get(port);
      if (hosts != null) {
        hosts.remove(host);
        if (hosts.isEmpty()) {
          opaquePorts.remove(port);
        }
      }
      touched.add(port);
    });
    after.forEach((port, protocol) -> {
      opaquePorts.computeIfAbsent(port, p -> new TreeMap<>()).put(host, protocol);
      touched.add(port);
    });
  }

  private void refreshCollision(int port, Set<String> reportKeys) {
    reportKeys.add(collisionKey(port));
    SortedMap<String, Protocol> hosts = opaquePorts.get(port);
    if (hosts == null || hosts.size() < 2) {
      collisions.remove(port);
      return;
    }
    Set<String> described = new LinkedHashSet<>();
    hosts.forEach((host, protocol) -> described.add(host + " (" + protocol.istioName() + ")"));
    MeshReport report = new MeshReport(MeshReport.Kind.PORT_COLLISION,
        String.join(",", hosts.keySet()), "port collision on " + port + ": "
            + joinAnd(described) + " declare it without addresses, so Istio builds one"
            + " listener 0.0.0.0_" + port + " for all of them and sends every connection to"
            + " one; declare an application protocol (SERVICE_PROTOCOL=http, grpc, ...) or"
            + " use collision mode allocate");
    collisions.put(port, new Collision(new PortCollision(port, List.copyOf(hosts.keySet())),
        report));
  }

  private static String joinAnd(Set<String> items) {
    List<String> list = List.copyOf(items);
    if (list.size() == 1) {
      return list.get(0);
    }
    return String.join(", ", list.subList(0, list.size() - 1)) + " and "
        + list.get(list.size() - 1);
  }

  private void link(String id, String name) {
    namesOfId.computeIfAbsent(id, k -> new HashSet<>(2)).add(name);
  }

  private void unlink(String id, String name) {
    Set<String> names = namesOfId.get(id);
    if (names != null) {
      names.remove(name);
      if (names.isEmpty()) {
        namesOfId.remove(id);
      }
    }
  }
}
