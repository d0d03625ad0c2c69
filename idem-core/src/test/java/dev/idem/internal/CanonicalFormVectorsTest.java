package dev.idem.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The test vectors of {@code docs/fingerprint.md}, read from the document itself so that the
 * written canonical form and the code cannot drift apart.
 */
class CanonicalFormVectorsTest {

  private static final Path DOCUMENT = Path.of("..", "docs", "fingerprint.md");

  private final Fingerprinter fingerprinter = new Fingerprinter(Mappers.defaultMapper());

  record Vector(String mode, String input, String canonical, String sha256) {}

  @Test
  void everyVectorOfTheDocumentHoldsItsCanonicalTextAndDigest() throws IOException {
    List<Vector> vectors = vectors();
    assertThat(vectors).hasSizeGreaterThanOrEqualTo(7);
    for (Vector vector : vectors) {
      Object payload = reader(vector.mode()).readValue(vector.input(), Object.class);
      assertThat(fingerprinter.canonicalJson(payload))
          .as(vector.input())
          .isEqualTo(vector.canonical());
      assertThat(fingerprinter.fingerprint(payload)).as(vector.input()).isEqualTo(vector.sha256());
    }
  }

  @Test
  void theDigestIsTheSha256OfTheCanonicalText() throws IOException {
    for (Vector vector : vectors()) {
      assertThat(Sha256.hex(vector.canonical().getBytes(StandardCharsets.UTF_8)))
          .isEqualTo(vector.sha256());
    }
  }

  @Test
  void javaNumbersOfEqualValueShareTheDocumentedText() {
    assertThat(
            fingerprinter.canonicalJson(
                Map.of(
                    "amount", new java.math.BigDecimal("42.50"),
                    "currency", "EUR",
                    "customerId", "customer-7",
                    "orderId", "order-1")))
        .isEqualTo(
            "{\"amount\":42.5,\"currency\":\"EUR\",\"customerId\":\"customer-7\",\"orderId\":\"order-1\"}");
    assertThat(
            fingerprinter.canonicalJson(List.of(42.5, 42.5f, new java.math.BigDecimal("4.250E+1"))))
        .isEqualTo("[42.5,42.5,42.5]");
  }

  private static ObjectMapper reader(String mode) {
    JsonMapper.Builder builder =
        JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS);
    if (mode.equals("decimal")) {
      builder.enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    } else {
      assertThat(mode).isEqualTo("json");
    }
    return builder.build();
  }

  private static List<Vector> vectors() throws IOException {
    List<Vector> vectors = new ArrayList<>();
    List<String> lines = Files.readAllLines(DOCUMENT, StandardCharsets.UTF_8);
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).startsWith("mode:")) {
        vectors.add(
            new Vector(
                value(lines.get(i), "mode:"),
                value(lines.get(i + 1), "input:"),
                value(lines.get(i + 2), "canonical:"),
                value(lines.get(i + 3), "sha256:")));
      }
    }
    return vectors;
  }

  private static String value(String line, String label) {
    assertThat(line).startsWith(label);
    return line.substring(label.length()).strip();
  }
}
