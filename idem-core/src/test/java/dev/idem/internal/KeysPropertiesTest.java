package dev.idem.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idem.IdempotencyKeyException;
import java.util.Objects;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.jspecify.annotations.Nullable;

/**
 * Key composition is injective over (prefix, name, scope-or-absent, value) and deterministic. The
 * generators draw from small alphabets rich in separators and markers (colons, percent signs,
 * {@code @ # \}, braces, {@code sha256=}, non-ASCII) so that near-collisions are common, with
 * lengths on both sides of the hashing threshold.
 */
class KeysPropertiesTest {

  record Tuple(String prefix, String name, @Nullable String scope, String value) {
    String compose() {
      return Keys.compose(prefix, name, scope, value);
    }
  }

  @Property(tries = 3000)
  void differentTuplesGiveDifferentKeys(@ForAll("tuples") Tuple a, @ForAll("tuples") Tuple b) {
    Assume.that(!a.equals(b));
    assertThat(a.compose()).isNotEqualTo(b.compose());
  }

  @Property(tries = 3000)
  void tuplesThatDifferOnlyInWhereTheScopeEndsGiveDifferentKeys(@ForAll("tuples") Tuple t) {
    // move text across the scope/value boundary: the collision 0.1.0 had
    Tuple merged =
        new Tuple(
            t.prefix(),
            t.name(),
            null,
            t.scope() == null ? t.value() : t.scope() + ":" + t.value());
    Tuple split = t.scope() == null ? splitAtColon(t) : null;
    if (!merged.equals(t)) {
      assertThat(merged.compose()).isNotEqualTo(t.compose());
    }
    if (split != null && !split.equals(t)) {
      assertThat(split.compose()).isNotEqualTo(t.compose());
    }
  }

  @Property(tries = 2000)
  void aLiteralValueNeverEqualsADigest(@ForAll("tuples") Tuple t) {
    String key = t.compose();
    String tail = key.substring(t.prefix().length() + t.name().length() + 2);
    if (tail.startsWith("#")) {
      for (String literal : new String[] {tail, tail.substring(1)}) {
        assertThat(Keys.compose(t.prefix(), t.name(), null, literal)).isNotEqualTo(key);
        assertThat(Keys.compose(t.prefix(), t.name(), t.scope(), literal)).isNotEqualTo(key);
      }
    }
  }

  @Property(tries = 2000)
  void theSameTupleAlwaysGivesTheSameBoundedKey(@ForAll("tuples") Tuple t) {
    String key = t.compose();
    Tuple copy = new Tuple(t.prefix(), t.name(), copyOf(t.scope()), copyOf(t.value()));
    assertThat(copy.compose()).isEqualTo(key);
    assertThat(key).hasSizeLessThanOrEqualTo(Keys.MAX_KEY_LENGTH).startsWith(t.prefix() + ":");
  }

  @Property(tries = 2000)
  void shortKeysDecodeBackToTheirTuple(@ForAll("tuples") Tuple t) {
    String key = t.compose();
    Assume.that(!key.substring(t.prefix().length() + t.name().length() + 2).startsWith("#"));
    assertThat(decode(key)).isEqualTo(t);
  }

  @Property(tries = 500)
  void loneSurrogatesAreRejected(
      @ForAll("tuples") Tuple t, @ForAll("surrogates") char surrogate, @ForAll boolean inScope) {
    String malformed = t.value() + surrogate;
    Assume.that(
        !(Character.isLowSurrogate(surrogate)
            && Character.isHighSurrogate(t.value().charAt(t.value().length() - 1))));
    try {
      if (inScope) {
        Keys.compose(t.prefix(), t.name(), malformed, t.value());
      } else {
        Keys.compose(t.prefix(), t.name(), t.scope(), malformed);
      }
      throw new AssertionError("accepted a lone surrogate");
    } catch (IdempotencyKeyException expected) {
      assertThat(expected).hasMessageContaining("lone surrogate");
    }
  }

  @Provide
  Arbitrary<Tuple> tuples() {
    Arbitrary<String> prefixes = Arbitraries.of("idem", "i", "idem.v2", "a-b");
    Arbitrary<String> names =
        Arbitraries.of("op", "o", "payments.charge", "a/b#c", "x".repeat(100));
    Arbitrary<String> scopes = parts(60).injectNull(0.4);
    Arbitrary<String> values = Arbitraries.oneOf(parts(12), parts(250));
    return Combinators.combine(prefixes, names, scopes, values).as(Tuple::new);
  }

  @Provide
  Arbitrary<Character> surrogates() {
    return Arbitraries.chars().range('\uD800', '\uDFFF');
  }

  private static Arbitrary<String> parts(int maxParts) {
    Arbitrary<String> part =
        Arbitraries.oneOf(
            Arbitraries.of(
                ":",
                "@",
                "#",
                "\\",
                "%",
                "%3A",
                "%25",
                "{",
                "}",
                "sha256=",
                "a",
                "b",
                "é",
                "ключ",
                "\uD83D\uDD11",
                " "),
            Arbitraries.strings().alpha().numeric().ofMinLength(1).ofMaxLength(8));
    return part.list()
        .ofMinSize(1)
        .ofMaxSize(maxParts)
        .map(list -> String.join("", list))
        .filter(s -> !s.isBlank());
  }

  private static @Nullable Tuple splitAtColon(Tuple t) {
    int colon = t.value().indexOf(':');
    if (colon <= 0 || colon == t.value().length() - 1) {
      return null;
    }
    String scope = t.value().substring(0, colon);
    String value = t.value().substring(colon + 1);
    return scope.isBlank() || value.isBlank()
        ? null
        : new Tuple(t.prefix(), t.name(), scope, value);
  }

  /** The inverse of composition for keys that were not hashed, written from the format's rules. */
  private static Tuple decode(String key) {
    int first = key.indexOf(':');
    int second = key.indexOf(':', first + 1);
    String prefix = key.substring(0, first);
    String name = key.substring(first + 1, second);
    String rest = key.substring(second + 1);
    String scope = null;
    if (rest.startsWith("@")) {
      int end = rest.indexOf(':');
      scope = unescape(rest.substring(1, end));
      rest = rest.substring(end + 1);
    }
    String value = rest.startsWith("\\") ? rest.substring(1) : rest;
    return new Tuple(prefix, name, scope, value);
  }

  private static String unescape(String escaped) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < escaped.length(); i++) {
      if (escaped.startsWith("%3A", i)) {
        out.append(':');
        i += 2;
      } else if (escaped.startsWith("%25", i)) {
        out.append('%');
        i += 2;
      } else {
        out.append(escaped.charAt(i));
      }
    }
    return out.toString();
  }

  private static @Nullable String copyOf(@Nullable String s) {
    return s == null ? null : new String(Objects.requireNonNull(s).toCharArray());
  }
}
