package dev.idem.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FingerprinterTest {

  private final Fingerprinter fingerprinter = new Fingerprinter(Mappers.defaultMapper());

  record Item(String sku, BigDecimal price) {}

  @Test
  void mapOrderDoesNotChangeTheFingerprint() {
    Map<String, Object> ab = new LinkedHashMap<>();
    ab.put("a", 1);
    ab.put("b", List.of(Map.of("y", 2, "x", 1)));
    Map<String, Object> ba = new LinkedHashMap<>();
    ba.put("b", List.of(Map.of("x", 1, "y", 2)));
    ba.put("a", 1);
    assertThat(fingerprinter.fingerprint(ab)).isEqualTo(fingerprinter.fingerprint(ba));
  }

  @Test
  void numberScaleDoesNotChangeTheFingerprint() {
    assertThat(fingerprinter.fingerprint(new Item("s", new BigDecimal("1.0"))))
        .isEqualTo(fingerprinter.fingerprint(new Item("s", new BigDecimal("1.00"))))
        .isEqualTo(fingerprinter.fingerprint(new Item("s", BigDecimal.ONE)));
    assertThat(fingerprinter.canonicalJson(List.of(1, 1.0, new BigDecimal("100.00"), 0.0)))
        .isEqualTo("[1,1,100,0]");
  }

  @Test
  void differentValuesGiveDifferentFingerprints() {
    assertThat(fingerprinter.fingerprint(new Item("s", BigDecimal.ONE)))
        .isNotEqualTo(fingerprinter.fingerprint(new Item("s", BigDecimal.TEN)));
    assertThat(fingerprinter.fingerprint("1")).isNotEqualTo(fingerprinter.fingerprint(1));
    assertThat(fingerprinter.fingerprint(List.of("a,b")))
        .isNotEqualTo(fingerprinter.fingerprint(List.of("a", "b")));
  }

  @Test
  void fingerprintIsSha256Hex() {
    assertThat(fingerprinter.fingerprint(null)).hasSize(64).matches("[0-9a-f]+");
    assertThat(fingerprinter.canonicalJson(Map.of("k\"", "v\n"))).isEqualTo("{\"k\\\"\":\"v\\n\"}");
  }

  @Test
  void nonFiniteNumbersDifferFromTheirNames() {
    // 0.1.0 wrote NaN as the string "NaN": a reused key with {x: "NaN"} replayed {x: NaN}
    for (double special :
        new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
      assertThat(fingerprinter.fingerprint(Map.of("x", special)))
          .isNotEqualTo(fingerprinter.fingerprint(Map.of("x", String.valueOf(special))));
      assertThat(fingerprinter.fingerprint(List.of(special)))
          .isNotEqualTo(fingerprinter.fingerprint(List.of(String.valueOf(special))));
      assertThat(fingerprinter.fingerprint(new Measure(special)))
          .isNotEqualTo(fingerprinter.fingerprint(new Named(String.valueOf(special))));
    }
    assertThat(fingerprinter.canonicalJson(List.of(Double.NaN, Float.POSITIVE_INFINITY, "NaN")))
        .isEqualTo("[NaN,Infinity,\"NaN\"]");
    assertThat(fingerprinter.canonicalJson(new double[] {Double.NEGATIVE_INFINITY, -0.0}))
        .isEqualTo("[-Infinity,0]");
    Map<String, Object> unsorted = new LinkedHashMap<>();
    unsorted.put("b", Double.NaN);
    unsorted.put("a", Double.NEGATIVE_INFINITY);
    assertThat(fingerprinter.canonicalJson(unsorted)).isEqualTo("{\"a\":-Infinity,\"b\":NaN}");
  }

  @Test
  void subnormalDoublesTakeTheirShortestDecimal() {
    // Java's Double.toString writes these 4.9E-324 and 9.9E-324: at least two digits
    assertThat(fingerprinter.canonicalJson(new double[] {Double.MIN_VALUE, 2 * Double.MIN_VALUE}))
        .isEqualTo("[5e-324,1e-323]");
    assertThat(fingerprinter.canonicalJson(List.of(2e23, 1e23, 8.41e21, 1e21, 1e-7)))
        .as("JDK 17's Double.toString writes 2e23 as 1.9999999999999998E23")
        .isEqualTo("[2e+23,1e+23,8.41e+21,1e+21,1e-7]");
  }

  @Test
  void aPayloadThatFailedHalfwayLeavesNothingForTheNextOne() {
    Map<String, Object> failing = new LinkedHashMap<>();
    failing.put("a", List.of(Map.of("b", 1)));
    failing.put("c", new Object()); // no serializer: fails inside the object
    assertThatThrownBy(() -> fingerprinter.fingerprint(failing))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(fingerprinter.canonicalJson(List.of(Map.of("k", 1)))).isEqualTo("[{\"k\":1}]");
  }

  /** A payload whose serialization takes another fingerprint on the same thread. */
  final class Nesting {
    public String getInner() {
      return fingerprinter.fingerprint(Map.of("y", 2, "x", List.of(1)));
    }

    public int getZ() {
      return 3;
    }
  }

  @Test
  void aFingerprintTakenWhileSerializingAnotherPayloadLeavesItIntact() {
    String inner = fingerprinter.fingerprint(Map.of("x", List.of(1), "y", 2));
    assertThat(fingerprinter.canonicalJson(new Nesting()))
        .isEqualTo("{\"inner\":\"" + inner + "\",\"z\":3}");
  }

  record Measure(double x) {}

  record Named(String x) {}
}
