package dev.idem.internal;

import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import org.jspecify.annotations.Nullable;

/**
 * Computes payload fingerprints: the SHA-256 of the payload's canonical JSON, so that two equal
 * requests get the same fingerprint whatever their map order or number type and scale ({@code 1},
 * {@code 1L}, {@code 1.0} and {@code new BigDecimal("1.00")} are one number), and two different
 * ones get different fingerprints. The canonical form is RFC 8785 (the JSON Canonicalization
 * Scheme) with numbers kept exact, defined in {@code docs/fingerprint.md} so that other languages
 * can compute the same fingerprint; {@link CanonicalJsonGenerator} writes it in one pass as the
 * mapper serializes the payload.
 */
public final class Fingerprinter {

  private final ObjectMapper mapper;
  private final ObjectWriter writer;

  /** Each thread reuses one generator and its buffers: a fingerprint is on every call's path. */
  private final ThreadLocal<CanonicalJsonGenerator> generators;

  /**
   * Creates a fingerprinter that converts payloads to JSON with the given mapper.
   *
   * @param mapper the mapper
   */
  @SuppressWarnings("deprecation") // the builder-less way to set a MapperFeature on a copy
  public Fingerprinter(ObjectMapper mapper) {
    // bean and record properties then come sorted, which spares reordering them; the canonical
    // text is the same either way
    this.mapper = mapper.copy().configure(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY, true);
    this.writer =
        this.mapper
            .writer()
            .without(SerializationFeature.WRAP_ROOT_VALUE)
            .without(SerializationFeature.INDENT_OUTPUT);
    this.generators = ThreadLocal.withInitial(() -> new CanonicalJsonGenerator(this.mapper));
  }

  /**
   * Returns the fingerprint of a payload.
   *
   * @param payload the payload; null is a valid payload (JSON null)
   * @return 64 lowercase hex characters
   * @throws IllegalArgumentException if the payload cannot be converted to JSON
   */
  public String fingerprint(@Nullable Object payload) {
    return Sha256.hex(canonicalJson(payload));
  }

  /**
   * Returns the canonical JSON text of a payload: what {@link #fingerprint} hashes, and the key
   * string of a composite key value.
   *
   * @param payload the payload; null is a valid payload (JSON null)
   * @return the canonical JSON
   * @throws IllegalArgumentException if the payload cannot be converted to JSON
   */
  public String canonicalJson(@Nullable Object payload) {
    CanonicalJsonGenerator json = generators.get();
    if (json.isWriting()) { // a serializer is fingerprinting from inside another payload
      json = new CanonicalJsonGenerator(mapper);
    }
    json.start();
    try {
      writer.writeValue(json, payload);
      return json.text();
    } catch (IOException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    } finally {
      json.finish();
    }
  }
}
