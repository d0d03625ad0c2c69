package dev.idem.internal;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Computes payload fingerprints: the SHA-256 of the payload's canonical JSON, where object keys are
 * sorted and numbers normalised ({@code 1}, {@code 1.0} and {@code 1.00} are the same number), so
 * that two equal requests get the same fingerprint whatever their map order or number scale.
 */
public final class Fingerprinter {

  private final ObjectMapper mapper;

  /**
   * Creates a fingerprinter that converts payloads with the given mapper.
   *
   * @param mapper the mapper
   */
  public Fingerprinter(ObjectMapper mapper) {
    this.mapper = mapper;
  }

  /**
   * Returns the fingerprint of a payload.
   *
   * @param payload the payload; null is a valid payload (JSON null)
   * @return 64 lowercase hex characters
   * @throws IllegalArgumentException if the payload cannot be converted to JSON
   */
  public String fingerprint(@Nullable Object payload) {
    JsonNode tree = mapper.valueToTree(payload);
    StringBuilder canonical = new StringBuilder(128);
    write(tree, canonical);
    MessageDigest digest = Keys.sha256();
    return HexFormat.of()
        .formatHex(digest.digest(canonical.toString().getBytes(StandardCharsets.UTF_8)));
  }

  /**
   * Returns the canonical JSON text of a payload; exposed for tests and diagnostics.
   *
   * @param payload the payload
   * @return the canonical JSON
   */
  public String canonicalJson(@Nullable Object payload) {
    StringBuilder canonical = new StringBuilder(128);
    write(mapper.valueToTree(payload), canonical);
    return canonical.toString();
  }

  private static void write(@Nullable JsonNode node, StringBuilder out) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      out.append("null");
    } else if (node.isObject()) {
      List<Map.Entry<String, JsonNode>> fields = new ArrayList<>(node.size());
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        fields.add(it.next());
      }
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
      writeNumber(node, out);
    } else if (node.isBoolean()) {
      out.append(node.booleanValue());
    } else if (node.isBinary()) {
      quote(java.util.Base64.getEncoder().encodeToString(binary(node)), out);
    } else {
      quote(node.asText(), out);
    }
  }

  private static byte[] binary(JsonNode node) {
    try {
      return node.binaryValue();
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("unreadable binary payload value", e);
    }
  }

  private static void writeNumber(JsonNode node, StringBuilder out) {
    if ((node.isDouble() || node.isFloat()) && !Double.isFinite(node.doubleValue())) {
      quote(String.valueOf(node.doubleValue()), out);
      return;
    }
    BigDecimal value = node.decimalValue();
    if (value.signum() == 0) {
      out.append('0');
    } else {
      out.append(value.stripTrailingZeros().toString());
    }
  }

  private static void quote(String text, StringBuilder out) {
    out.append('"');
    JsonStringEncoder.getInstance().quoteAsString(text, out);
    out.append('"');
  }
}
