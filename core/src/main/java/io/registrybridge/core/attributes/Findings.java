package io.registrybridge.core.attributes;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The problems and notes of one container or object, each kept once, in the order found. */
public final class Findings {
  private final String kind;
  private final String object;
  private final Set<Finding> problems = new LinkedHashSet<>();
  private final Set<Finding> notes = new LinkedHashSet<>();

  /** For the object {@code object} of kind {@code kind} (see {@link Finding}). */
  public Findings(String kind, String object) {
    this.kind = requireNonNull(kind, "kind");
    this.object = requireNonNull(object, "object");
  }

  /** A malformed or contradictory setting: logged as a warning. */
  public void problem(String key, String message) {
    problems.add(new Finding(kind, object, key, message));
  }

  /** An expected skip: logged at debug level. */
  public void note(String key, String message) {
    notes.add(new Finding(kind, object, key, message));
  }

  public List<Finding> problems() {
    return List.copyOf(problems);
  }

  public List<Finding> notes() {
    return List.copyOf(notes);
  }
}
