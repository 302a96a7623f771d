package io.registrybridge.core.attributes;

import static java.util.Objects.requireNonNull;

import io.registrybridge.core.AttributeValues;
import io.registrybridge.core.MetaKeys;
import io.registrybridge.core.Protocol;
import io.registrybridge.core.ServiceCheck;
import io.registrybridge.core.ServiceIds;
import io.registrybridge.core.TagParser;
import io.registrybridge.core.Transport;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * Registrator's attribute grammar, the one implementation behind every source's spelling of it
 * (a container's {@code SERVICE_*} environment and labels, a Service's annotations): what the
 * keys {@code name}, {@code id}, {@code tags}, {@code ignore}, {@code protocol} and {@code
 * check_*} mean, which attributes become meta, and the messages for bad values, which name the
 * key as the user wrote it. A source resolves the attributes of one port ({@link AttributeSet})
 * and asks this class for each part of the service.
 *
 * <p>Values are quoted in messages only for keys with a known meaning, never for keys that may
 * hold secrets.
 */
public final class ServiceGrammar {
  public static final String NAME = "name";
  public static final String ID = "id";
  public static final String TAGS = "tags";
  public static final String IGNORE = "ignore";
  public static final String PROTOCOL = "protocol";
  public static final String CHECK_PREFIX = "check_";

  /** The keys with a meaning of their own in every source. */
  public static final Set<String> KEYS = Set.of(NAME, ID, TAGS, IGNORE, PROTOCOL);

  private final UnaryOperator<String> spelling;
  private final Set<String> sourceKeys;

  /**
   * @param spelling how the source writes a generic key, for hints ({@code check_script} is
   *     {@code SERVICE_CHECK_SCRIPT} on a container)
   * @param sourceKeys the source's own keys with a meaning ({@code docker_health}, {@code
   *     sync}): like {@link #KEYS}, never meta
   */
  public ServiceGrammar(UnaryOperator<String> spelling, Set<String> sourceKeys) {
    this.spelling = requireNonNull(spelling, "spelling");
    this.sourceKeys = Set.copyOf(sourceKeys);
  }

  /** How the source writes the generic {@code key}. */
  public String spell(String key) {
    return spelling.apply(key);
  }

  /**
   * Whether {@code ignore} skips {@code port} (see {@link AttributeValues#isOn}); a skip is
   * noted.
   */
  public boolean ignored(Map<String, Attribute> attrs, int port, Findings findings) {
    Attribute ignore = attrs.get(IGNORE);
    if (ignore != null && AttributeValues.isOn(ignore.value())) {
      findings.note(ignore.sourceKey(), "port " + port + " ignored");
      return true;
    }
    return false;
  }

  /**
   * The service name of {@code port}: a port-specific {@code name} as it is; else the generic
   * {@code name}, or {@code fallback} when none is set, with {@code -<port>} appended when the
   * container or object has several service ports ({@code isGroup}). Empty when the fallback
   * is (it reports why).
   */
  public Optional<String> name(Map<String, Attribute> attrs, int port, boolean isGroup,
      Supplier<Optional<String>> fallback) {
    Attribute attr = attrs.get(NAME);
    Optional<String> explicit = attr == null ? Optional.empty() : attr.text();
    if (explicit.isPresent() && attr.portSpecific()) {
      return explicit;
    }
    Optional<String> base = explicit.isPresent() ? explicit : fallback.get();
    return base.map(b -> isGroup ? b + "-" + port : b);
  }

  /** The service's own tags (see {@link TagParser#parse}). */
  public List<String> tags(Map<String, Attribute> attrs) {
    Attribute tags = attrs.get(TAGS);
    return tags == null ? List.of() : TagParser.parse(tags.value());
  }

  /**
   * The {@code protocol} of a {@code transport} port, or empty when it is unset or cannot be
   * used: an unknown name, or a protocol that does not fit the transport ({@link
   * Protocol#fits}). Those are reported, ending with {@code outcome} (what the source does
   * instead); a generic protocol that does not fit is only noted, since it is meant for the
   * other ports ({@code SERVICE_PROTOCOL=http} on a container with a UDP port too).
   */
  public Optional<Protocol> protocol(Map<String, Attribute> attrs, Transport transport,
      Findings findings, String outcome) {
    Attribute attr = attrs.get(PROTOCOL);
    if (attr == null || attr.text().isEmpty()) {
      return Optional.empty();
    }
    Optional<Protocol> protocol = Protocol.parse(attr.value());
    if (protocol.isEmpty()) {
      findings.problem(attr.sourceKey(), AttributeValues.quote(attr.value())
          + " is not a known protocol (" + Protocol.describeAll() + "); " + outcome);
      return Optional.empty();
    }
    if (!protocol.get().fits(transport)) {
      String message = "protocol " + protocol.get() + " does not fit a "
          + transport.name().toLowerCase(Locale.ROOT) + " port; " + outcome;
      if (attr.portSpecific()) {
        findings.problem(attr.sourceKey(), message);
      } else {
        findings.note(attr.sourceKey(), message);
      }
      return Optional.empty();
    }
    return protocol;
  }

  /**
   * The service ID: {@code own} (an {@code id} attribute; null where the source lets none be
   * set) when it has a value, else {@code generated}. An ID that {@link ServiceIds} refuses
   * (".." fails every Consul write, forever) is reported here, where the container or object
   * can be named, and {@code unit} (e.g. {@code port 80}) is left out: empty.
   */
  public Optional<String> id(Attribute own, String generated, String unit, Findings findings) {
    boolean ownId = own != null && own.text().isPresent();
    String id = ownId ? own.text().get() : generated;
    String problem = ServiceIds.problemWith(id);
    if (problem != null) {
      findings.problem(ownId ? own.sourceKey() : "service id", problem + " ("
          + AttributeValues.quote(id) + "); " + unit + " not registered");
      return Optional.empty();
    }
    return Optional.of(id);
  }

  /** Whether an attribute with this key is meta: it has no meaning of its own. */
  public boolean isMeta(String key) {
    // Registrator removed only name, id and tags from its attributes, so ignore, every check_*
    // setting and anything else it understood ended up registered as data.
    return !KEYS.contains(key) && !sourceKeys.contains(key) && !key.startsWith(CHECK_PREFIX);
  }

  /**
   * The meta of one service: every attribute that {@link #isMeta} accepts, then {@code added}
   * (keys the source sets itself, which win), as far as {@link MetaKeys#fromAttributes} lets
   * them through; each dropped pair is reported under the key as written, never with its value.
   */
  public SortedMap<String, String> meta(Map<String, Attribute> attrs, Map<String, String> added,
      Findings findings) {
    return MetaKeys.fromAttributes(attrs, this::isMeta, Attribute::value, Attribute::sourceKey,
        added, findings::problem);
  }

  /**
   * The health check of one service from its {@code check_*} attributes (see {@link
   * CheckParser}), at its final {@code address} (empty: the sink's default) and {@code port}.
   */
  public Optional<ServiceCheck> check(Map<String, Attribute> attrs, String address, int port,
      Findings findings) {
    return CheckParser.parse(attrs, address, port, spelling, findings);
  }
}
