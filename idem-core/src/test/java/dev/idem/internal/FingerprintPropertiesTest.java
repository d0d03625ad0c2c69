package dev.idem.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.jspecify.annotations.Nullable;

/**
 * Fingerprints over random JSON-like values: semantically equal payloads (member order, {@code
 * 1}/{@code 1.0}/{@code 1.00}, BigDecimal scale, {@code -0.0}) get equal fingerprints, and payloads
 * that differ under a reference model of that equality (numbers compared as decimals, NaN and the
 * infinities as themselves, strings as strings) get different ones.
 */
class FingerprintPropertiesTest {

  private final Fingerprinter fingerprinter = new Fingerprinter(Mappers.defaultMapper());

  @Property(tries = 1500)
  void equivalentPayloadsGetEqualFingerprints(
      @ForAll("values") @Nullable Object value, @ForAll long seed) {
    Object variant = variant(value, new java.util.Random(seed));
    assertThat(fingerprinter.fingerprint(variant))
        .as("%s vs %s", value, variant)
        .isEqualTo(fingerprinter.fingerprint(value));
  }

  @Property(tries = 3000)
  void differentPayloadsGetDifferentFingerprints(
      @ForAll("values") @Nullable Object a, @ForAll("values") @Nullable Object b) {
    Assume.that(!Objects.equals(model(a), model(b)));
    assertThat(fingerprinter.fingerprint(a))
        .as("%s vs %s", a, b)
        .isNotEqualTo(fingerprinter.fingerprint(b));
  }

  @Property(tries = 1000)
  void aValueAndItsTextDiffer(@ForAll("scalars") Object scalar) {
    Assume.that(!(scalar instanceof String));
    assertThat(fingerprinter.fingerprint(List.of(scalar)))
        .isNotEqualTo(fingerprinter.fingerprint(List.of(String.valueOf(scalar))));
  }

  @Property(tries = 3000)
  void aDoubleIsWrittenAsTheShortestDecimalThatReadsBackAsIt(@ForAll double value) {
    Assume.that(Double.isFinite(value) && value != 0);
    String text = fingerprinter.canonicalJson(value);
    assertThat(Double.parseDouble(text)).isEqualTo(value);
    BigDecimal decimal = new BigDecimal(text).stripTrailingZeros();
    if (decimal.precision() > 1) {
      // the nearest decimals one digit shorter, below and above, read back as other doubles
      for (RoundingMode mode : List.of(RoundingMode.FLOOR, RoundingMode.CEILING)) {
        BigDecimal shorter = decimal.round(new MathContext(decimal.precision() - 1, mode));
        assertThat(shorter.doubleValue())
            .as("%s is shorter than %s", shorter, text)
            .isNotEqualTo(value);
      }
    }
  }

  @Property(tries = 3000)
  void aDecimalIsWrittenAsItsExactValueInEcmaScriptLayout(
      @ForAll("unscaled") BigInteger unscaled, @ForAll @IntRange(min = -40, max = 40) int scale) {
    BigDecimal value = new BigDecimal(unscaled, scale);
    String text = fingerprinter.canonicalJson(value);
    assertThat(new BigDecimal(text)).isEqualByComparingTo(value);
    assertThat(text).matches("-?(0|[1-9][0-9]*)(\\.[0-9]*[1-9])?(e[+-][1-9][0-9]*)?");
    if (value.signum() != 0) {
      int exponent = value.precision() - value.scale() - 1; // of the first significant digit
      assertThat(text.contains("e")).as(text).isEqualTo(exponent < -6 || exponent >= 21);
    }
  }

  @Provide
  Arbitrary<BigInteger> unscaled() {
    BigInteger bound = BigInteger.TEN.pow(30);
    return Arbitraries.bigIntegers().between(bound.negate(), bound);
  }

  @Provide
  Arbitrary<Object> values() {
    return values(3);
  }

  private Arbitrary<Object> values(int depth) {
    if (depth == 0) {
      return scalars();
    }
    Arbitrary<Object> inner = values(depth - 1);
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(4, scalars()),
        net.jqwik.api.Tuple.of(1, inner.injectNull(0.1).list().ofMaxSize(4).map(l -> (Object) l)),
        net.jqwik.api.Tuple.of(
            1, Arbitraries.maps(keys(), inner.injectNull(0.1)).ofMaxSize(4).map(m -> (Object) m)));
  }

  @Provide
  Arbitrary<Object> scalars() {
    return Arbitraries.oneOf(
        Arbitraries.of(true, false),
        Arbitraries.integers().between(-20, 20).map(i -> (Object) i),
        Arbitraries.longs().map(l -> (Object) l),
        Arbitraries.of(
            Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, 0.0, 0.1, 1.5),
        Arbitraries.doubles().map(d -> (Object) d),
        Arbitraries.bigDecimals()
            .between(new BigDecimal("-1000"), new BigDecimal("1000"))
            .ofScale(3)
            .map(d -> (Object) d),
        Arbitraries.of(
            "NaN", "Infinity", "-Infinity", "1", "1.0", "0", "-0", "true", "null", "", "\"", "\\"),
        Arbitraries.strings().ofMaxLength(6).map(s -> (Object) s));
  }

  private static Arbitrary<String> keys() {
    return Arbitraries.oneOf(
        Arbitraries.of("a", "b", "A", "aa", "é", "\uD83D\uDD11", "1", "", "NaN"),
        Arbitraries.strings().ofMaxLength(3));
  }

  /** The same payload written differently: member order shuffled, numbers rescaled or retyped. */
  private static @Nullable Object variant(@Nullable Object value, java.util.Random random) {
    if (value instanceof Map<?, ?> map) {
      List<Map.Entry<?, ?>> entries = new ArrayList<>(map.entrySet());
      Collections.shuffle(entries, random);
      Map<Object, Object> shuffled = new LinkedHashMap<>();
      for (Map.Entry<?, ?> entry : entries) {
        shuffled.put(entry.getKey(), variant(entry.getValue(), random));
      }
      return shuffled;
    }
    if (value instanceof List<?> list) {
      List<Object> copy = new ArrayList<>();
      for (Object element : list) {
        copy.add(variant(element, random));
      }
      return copy;
    }
    if (value instanceof Integer i) {
      return random.nextBoolean() ? (Object) (long) i : new BigDecimal(i).setScale(2);
    }
    if (value instanceof Long l) {
      return random.nextBoolean() ? BigInteger.valueOf(l) : new BigDecimal(l).setScale(1);
    }
    if (value instanceof Double d && Double.isFinite(d)) {
      return d == 0.0
          ? (Object) (random.nextBoolean() ? -0.0 : BigDecimal.ZERO.setScale(4))
          : shortest(d).setScale(shortest(d).scale() + 2);
    }
    if (value instanceof BigDecimal d) {
      return d.setScale(d.scale() + 1 + random.nextInt(3));
    }
    return value;
  }

  /** The reference equality: decimals by value, non-finite numbers as markers, maps sorted. */
  private static @Nullable Object model(@Nullable Object value) {
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> sorted = new TreeMap<>();
      map.forEach((k, v) -> sorted.put((String) k, model(v)));
      return sorted;
    }
    if (value instanceof List<?> list) {
      List<Object> copy = new ArrayList<>();
      list.forEach(element -> copy.add(model(element)));
      return copy;
    }
    if (value instanceof Double d) {
      if (!Double.isFinite(d)) {
        return new NonFinite(d.toString());
      }
      return decimal(shortest(d));
    }
    if (value instanceof Integer || value instanceof Long) {
      return decimal(BigDecimal.valueOf(((Number) value).longValue()));
    }
    if (value instanceof BigDecimal d) {
      return decimal(d);
    }
    return value;
  }

  /**
   * A double's value: the shortest decimal that reads back as it (JDK 17's {@code
   * BigDecimal.valueOf(double)} is sometimes longer); checked on its own above.
   */
  private static BigDecimal shortest(double d) {
    return CanonicalJsonGenerator.shortest(d);
  }

  private static BigDecimal decimal(BigDecimal d) {
    return d.signum() == 0 ? BigDecimal.ZERO : d.stripTrailingZeros();
  }

  record NonFinite(String name) {}
}
