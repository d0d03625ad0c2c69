package dev.idem.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The canonical writer gives, for Java payloads of every shape, the text of a reference writer that
 * follows {@code docs/fingerprint.md} over Jackson's tree of the payload.
 */
class CanonicalJsonTest {

  private final ObjectMapper mapper = Mappers.defaultMapper();
  private final Fingerprinter fingerprinter = new Fingerprinter(mapper);

  enum Colour {
    RED
  }

  record Line(String sku, int quantity, BigDecimal price, Map<String, Object> attributes) {}

  record Order(
      String orderId,
      List<Line> lines,
      Optional<String> coupon,
      Instant at,
      LocalDate day,
      Colour colour,
      byte[] signature,
      char grade,
      long cents,
      double ratio,
      float share,
      BigInteger big,
      UUID id) {}

  static final class Unsorted {
    public String zeta = "z";
    public int alpha = 10;
    public Map<Object, Object> middle = new LinkedHashMap<>(Map.of(10, "ten"));
  }

  record Primitives(int[] ints, long[] longs, double[] doubles, String[] strings) {}

  private List<Object> payloads() {
    Map<String, Object> attributes = new LinkedHashMap<>();
    attributes.put("z", 1.50);
    attributes.put("a", List.of(Map.of("y", 2, "x", 1), new TreeMap<>(Map.of("b", "c"))));
    attributes.put("m", null);
    Map<Object, Object> numericKeys = new HashMap<>();
    numericKeys.put(10, "ten");
    numericKeys.put(9, "nine");
    numericKeys.put(100, "hundred");
    ObjectNode node = mapper.createObjectNode();
    node.put("b", new BigDecimal("2.500")).put("a", "x\"y\n\\").putArray("c").add(1e10).add(0L);
    List<Object> list = new ArrayList<>();
    list.add(null);
    list.add(-0.0);
    list.add(Double.NaN);
    list.add(Float.POSITIVE_INFINITY);
    list.add(0.1f);
    list.add(100L);
    list.add(-120);
    list.add(new BigDecimal("-0.000"));
    list.add(new BigDecimal("1E+3"));
    list.add(new BigInteger("123456789012345678901234567890"));
    list.add("héllo \u2028 \u0001 \u001f ☃ \uD83D\uDE00 \"quoted\" back\\slash / \t");
    list.add(true);
    list.add(Map.of());
    list.add(List.of());
    return List.of(
        new Order(
            "o-1",
            List.of(new Line("sku", 3, new BigDecimal("10.10"), attributes)),
            Optional.empty(),
            Instant.parse("2030-01-01T00:00:00.123Z"),
            LocalDate.of(2030, 1, 2),
            Colour.RED,
            new byte[] {1, 2, 3, -1},
            'A',
            1000L,
            2.50,
            0.25f,
            BigInteger.TEN,
            new UUID(1, 2)),
        numericKeys,
        node,
        list,
        new Unsorted(),
        new Object[] {"a", 1, null},
        "plain",
        42,
        Optional.of(7),
        new Primitives(
            new int[] {10, 3}, new long[] {100L}, new double[] {1.50, 2e-3}, new String[] {"s"}),
        List.of(new Flat("b", "a", BigDecimal.ONE, List.of())));
  }

  @Test
  void writesTheTextOfTheReferenceWriter() {
    for (Object payload : payloads()) {
      assertThat(fingerprinter.canonicalJson(payload))
          .as("%s", payload)
          .isEqualTo(treeCanonical(mapper.valueToTree(payload)));
    }
    assertThat(fingerprinter.canonicalJson(null)).isEqualTo("null");
  }

  record Flat(String b, String a, BigDecimal c, List<Object> d) {}

  @Test
  void recordsAndEqualMapsInAnyOrderHaveTheSameFingerprint() {
    List<Object> values = List.of(1.0, "x\uD83D\uDE00\n", Map.of("q", 2, "p", 10L));
    Flat flat = new Flat("\u00e9\u0007", "\uD83D\uDE00", new BigDecimal("100.00"), values);
    Map<String, Object> reversed = new LinkedHashMap<>();
    reversed.put("d", List.of(1, "x\uD83D\uDE00\n", new TreeMap<>(Map.of("q", 2.0, "p", 10))));
    reversed.put("c", 100);
    reversed.put("b", "\u00e9\u0007");
    reversed.put("a", "\uD83D\uDE00");
    assertThat(fingerprinter.canonicalJson(flat))
        .isEqualTo(fingerprinter.canonicalJson(reversed))
        .isEqualTo(fingerprinter.canonicalJson(new TreeMap<>(reversed)))
        .isEqualTo(treeCanonical(mapper.valueToTree(flat)));
    assertThat(fingerprinter.fingerprint(flat)).isEqualTo(fingerprinter.fingerprint(reversed));
  }

  @Test
  void applicationMapperSettingsDoNotChangeTheCanonicalForm() {
    ObjectMapper pretty =
        Mappers.defaultMapper()
            .enable(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
            .enable(com.fasterxml.jackson.core.JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN)
            .enable(
                com.fasterxml.jackson.core.json.JsonWriteFeature.ESCAPE_NON_ASCII.mappedFeature());
    Fingerprinter custom = new Fingerprinter(pretty);
    for (Object payload : payloads()) {
      assertThat(custom.canonicalJson(payload))
          .as("%s", payload)
          .isEqualTo(fingerprinter.canonicalJson(payload));
    }
  }

  @Test
  void sortsMembersAtEveryDepthAndNormalisesNumbers() {
    assertThat(fingerprinter.canonicalJson(new Unsorted()))
        .isEqualTo("{\"alpha\":10,\"middle\":{\"10\":\"ten\"},\"zeta\":\"z\"}");
    Map<String, Object> nested = new LinkedHashMap<>();
    nested.put("b", Map.of("d", 1, "c", List.of(Map.of("f", 1, "e", 2.0))));
    nested.put("a", 1.10);
    assertThat(fingerprinter.canonicalJson(nested))
        .isEqualTo("{\"a\":1.1,\"b\":{\"c\":[{\"e\":2,\"f\":1}],\"d\":1}}");
  }

  @Test
  void unserializablePayloadsAreIllegalArguments() {
    assertThatThrownBy(() -> fingerprinter.fingerprint(new Object()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static final Map<Character, String> SHORT_ESCAPES =
      Map.of(
          '"', "\\\"", '\\', "\\\\", '\b', "\\b", '\t', "\\t", '\n', "\\n", '\f', "\\f", '\r',
          "\\r");

  /** The reference: docs/fingerprint.md written as plainly as possible over a tree. */
  private static String treeCanonical(JsonNode node) {
    StringBuilder out = new StringBuilder();
    write(node, out);
    return out.toString();
  }

  private static void write(JsonNode node, StringBuilder out) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      out.append("null");
    } else if (node.isObject()) {
      List<Map.Entry<String, JsonNode>> fields = new ArrayList<>();
      fields.addAll(node.properties());
      fields.sort(Map.Entry.comparingByKey());
      out.append('{');
      for (int i = 0; i < fields.size(); i++) {
        if (i > 0) {
          out.append(',');
        }
        quote(fields.get(i).getKey(), out);
        out.append(':');
        write(fields.get(i).getValue(), out);
      }
      out.append('}');
    } else if (node.isArray()) {
      out.append('[');
      for (int i = 0; i < node.size(); i++) {
        if (i > 0) {
          out.append(',');
        }
        write(node.get(i), out);
      }
      out.append(']');
    } else if (node.isNumber()) {
      if ((node.isDouble() || node.isFloat()) && !Double.isFinite(node.doubleValue())) {
        double value = node.doubleValue();
        out.append(Double.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
        return;
      }
      out.append(number(node.decimalValue()));
    } else if (node.isBoolean()) {
      out.append(node.booleanValue());
    } else if (node.isBinary()) {
      try {
        quote(Base64.getEncoder().encodeToString(node.binaryValue()), out);
      } catch (java.io.IOException e) {
        throw new IllegalStateException(e);
      }
    } else {
      quote(node.asText(), out);
    }
  }

  /** ECMAScript's layout of a decimal: plain from 10^-6 up to below 10^21, else an exponent. */
  private static String number(BigDecimal value) {
    if (value.signum() == 0) {
      return "0";
    }
    BigDecimal stripped = value.stripTrailingZeros();
    int exponent = stripped.precision() - stripped.scale() - 1; // of the first significant digit
    if (exponent >= -6 && exponent < 21) {
      return stripped.toPlainString();
    }
    String digits = stripped.unscaledValue().abs().toString();
    String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
    return (value.signum() < 0 ? "-" : "")
        + mantissa
        + "e"
        + (exponent > 0 ? "+" : "-")
        + Math.abs(exponent);
  }

  private static void quote(String text, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean paired =
          Character.isHighSurrogate(c)
                  && i + 1 < text.length()
                  && Character.isLowSurrogate(text.charAt(i + 1))
              || Character.isLowSurrogate(c)
                  && i > 0
                  && Character.isHighSurrogate(text.charAt(i - 1));
      String shortEscape = SHORT_ESCAPES.get(c);
      if (shortEscape != null) {
        out.append(shortEscape);
      } else if (c < 0x20 || Character.isSurrogate(c) && !paired) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    out.append('"');
  }
}
