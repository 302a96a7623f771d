package io.registrybridge.core.attributes;

import static org.assertj.core.api.Assertions.assertThat;

import io.registrybridge.core.Protocol;
import io.registrybridge.core.ServiceCheck;
import io.registrybridge.core.Transport;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The grammar as a source other than Docker sees it, with its own spelling: the Docker and
 * Kubernetes sources' tests cover it through their normalizers.
 */
class ServiceGrammarTest {
  private final ServiceGrammar grammar =
      new ServiceGrammar(key -> "x/" + key.toUpperCase(Locale.ROOT), Set.of("weight"));
  private final Findings findings = new Findings("thing", "ns/a");

  private static Attribute attr(String key, String value, boolean portSpecific) {
    return new Attribute(key, value, (portSpecific ? "x/80." : "x/") + key, portSpecific);
  }

  @Test
  void aGenericNameGetsThePortInAGroupAndAPortSpecificOneNever() {
    Map<String, Attribute> generic = Map.of("name", attr("name", " web ", false));
    Map<String, Attribute> specific = Map.of("name", attr("name", "api", true));

    assertThat(grammar.name(generic, 80, true, Optional::empty)).contains("web-80");
    assertThat(grammar.name(generic, 80, false, Optional::empty)).contains("web");
    assertThat(grammar.name(specific, 80, true, Optional::empty)).contains("api");
    assertThat(grammar.name(Map.of(), 80, true, () -> Optional.of("fallback")))
        .contains("fallback-80");
    assertThat(grammar.name(Map.of(), 80, true, Optional::empty)).isEmpty();
  }

  @Test
  void aBadIdIsReportedUnderItsKeyOrAsTheServiceId() {
    assertThat(grammar.id(attr("id", "..", false), "gen", "port 80", findings)).isEmpty();
    assertThat(grammar.id(null, "a/b", "port 81", findings)).isEmpty();
    assertThat(grammar.id(attr("id", " ", false), "gen", "port 82", findings)).contains("gen");

    assertThat(findings.problems()).extracting(Finding::toString).containsExactly(
        "thing ns/a, x/id: service id must not be '..' (a URL path segment of its own) ('..');"
            + " port 80 not registered",
        "thing ns/a, service id: service id must not contain '/' ('a/b'); port 81 not"
            + " registered");
  }

  @Test
  void aProtocolThatDoesNotFitIsAProblemWhenPortSpecificAndANoteWhenGeneric() {
    assertThat(grammar.protocol(Map.of("protocol", attr("protocol", "HTTP", false)),
        Transport.TCP, findings, "ignored")).contains(Protocol.HTTP);
    assertThat(grammar.protocol(Map.of("protocol", attr("protocol", "http", false)),
        Transport.UDP, findings, "ignored")).isEmpty();
    assertThat(grammar.protocol(Map.of("protocol", attr("protocol", "http", true)),
        Transport.UDP, findings, "ignored")).isEmpty();

    assertThat(findings.notes()).extracting(Finding::toString)
        .containsExactly("thing ns/a, x/protocol: protocol http does not fit a udp port; ignored");
    assertThat(findings.problems()).extracting(Finding::toString).containsExactly(
        "thing ns/a, x/80.protocol: protocol http does not fit a udp port; ignored");
  }

  @Test
  void metaIsEveryAttributeWithoutAMeaningOfItsOwnInThisSourceOrAnyOther() {
    Map<String, Attribute> attrs = Map.of("name", attr("name", "web", false),
        "weight", attr("weight", "3", false), "check_ttl", attr("check_ttl", "10s", false),
        "owner", attr("owner", "team-a", false), "bad key", attr("bad key", "x", false));

    assertThat(grammar.meta(attrs, Map.of("source", "test"), findings))
        .containsExactlyEntriesOf(new java.util.TreeMap<>(Map.of("owner", "team-a",
            "source", "test")));
    assertThat(findings.problems()).extracting(Finding::key).containsExactly("x/bad key");
  }

  @Test
  void checkHintsUseTheSourcesSpelling() {
    Optional<ServiceCheck> check = grammar.check(Map.of("check_cmd",
        attr("check_cmd", "/bin/true", false)), "10.0.0.1", 80, findings);

    assertThat(check).isEmpty();
    assertThat(findings.problems()).extracting(Finding::message).containsExactly(
        "check_cmd is not supported (it needed Registrator's check-cmd helper); use"
            + " x/CHECK_SCRIPT");
  }
}
