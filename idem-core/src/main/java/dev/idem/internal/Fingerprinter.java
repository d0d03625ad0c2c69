package dev.idem.internal;

import com.fasterxml.jackson.core.Base64Variant;
import com.fasterxml.jackson.core.Base64Variants;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.PrettyPrinter;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.core.util.JsonGeneratorDelegate;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import org.jspecify.annotations.Nullable;

/**
 * Computes payload fingerprints: the SHA-256 of the payload's canonical JSON, where object keys are
 * sorted and numbers normalised ({@code 1}, {@code 1.0} and {@code 1.00} are the same number), so
 * that two equal requests get the same fingerprint whatever their map order or number scale.
 *
 * <p>Most payloads are written straight to bytes by a generator that normalises numbers as they are
 * written and checks that every object's members come sorted (bean and record properties do, as the
 * mapper sorts them). Payloads it cannot write canonically (an object whose members come out of
 * order, such as most maps, a raw value, a custom number) go the general way: serialized into a
 * token buffer (what {@code valueToTree} does, without building the tree) whose tokens are written
 * out canonically, sorting members in place. Both ways give the same text.
 */
public final class Fingerprinter {

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(Keys::sha256);

  private static final byte[] NULL = {'n', 'u', 'l', 'l'};

  private final ObjectMapper mapper;
  private final ObjectWriter writer;
  private final JsonFactory plain;

  /**
   * Creates a fingerprinter that converts payloads with the given mapper.
   *
   * @param mapper the mapper
   */
  @SuppressWarnings("deprecation") // the builder-less way to set a MapperFeature on a copy
  public Fingerprinter(ObjectMapper mapper) {
    // bean and record properties then come sorted and need no reordering; the canonical text is
    // the same either way, since every object is sorted anyway
    this.mapper = mapper.copy().configure(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY, true);
    this.writer =
        this.mapper
            .writer()
            .without(SerializationFeature.WRAP_ROOT_VALUE)
            .without(SerializationFeature.INDENT_OUTPUT);
    // a generator with Jackson's defaults whatever the application's mapper sets, writing
    // characters outside the BMP as UTF-8 like String.getBytes does
    this.plain =
        JsonFactory.builder().enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8).build();
    this.plain.setCodec(this.mapper);
  }

  /**
   * Returns the fingerprint of a payload.
   *
   * @param payload the payload; null is a valid payload (JSON null)
   * @return 64 lowercase hex characters
   * @throws IllegalArgumentException if the payload cannot be converted to JSON
   */
  public String fingerprint(@Nullable Object payload) {
    // digest() resets the digest, so each thread reuses its own
    byte[] digest = SHA256.get().digest(canonicalBytes(payload));
    char[] hex = new char[digest.length * 2];
    for (int i = 0; i < digest.length; i++) {
      hex[2 * i] = HEX[(digest[i] >> 4) & 0xF];
      hex[2 * i + 1] = HEX[digest[i] & 0xF];
    }
    return new String(hex);
  }

  /**
   * Returns the canonical JSON text of a payload; exposed for tests and diagnostics.
   *
   * @param payload the payload
   * @return the canonical JSON
   * @throws IllegalArgumentException if the payload cannot be converted to JSON
   */
  public String canonicalJson(@Nullable Object payload) {
    return new String(canonicalBytes(payload), StandardCharsets.UTF_8);
  }

  private byte[] canonicalBytes(@Nullable Object payload) {
    if (payload == null) {
      return NULL;
    }
    byte[] streamed = streamed(payload);
    return streamed != null ? streamed : buffered(payload).getBytes(StandardCharsets.UTF_8);
  }

  /** Returns whether a payload is written in one pass rather than buffered; for tests. */
  boolean streams(Object payload) {
    return streamed(payload) != null;
  }

  /** Writes the payload canonically in one pass, or returns null if it has to be buffered. */
  private byte @Nullable [] streamed(Object payload) {
    try (ByteArrayBuilder bytes = new ByteArrayBuilder(256)) {
      CanonicalGenerator generator = new CanonicalGenerator(plain.createGenerator(bytes));
      try (generator) {
        writer.writeValue(generator, payload);
      }
      return generator.fallback ? null : bytes.toByteArray();
    } catch (IOException | RuntimeException e) {
      return null; // the buffered way reports it, or copes
    }
  }

  private String buffered(Object payload) {
    StringBuilder canonical = new StringBuilder(128);
    try (TokenBuffer buffer = new TokenBuffer(mapper, false)) {
      writer.writeValue(buffer, payload);
      try (JsonParser tokens = buffer.asParser()) {
        JsonToken first = tokens.nextToken();
        if (first == null) {
          canonical.append("null");
        } else {
          write(tokens, first, canonical);
        }
      }
    } catch (IOException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    return canonical.toString();
  }

  private static void write(JsonParser tokens, JsonToken token, StringBuilder out)
      throws IOException {
    switch (token) {
      case START_OBJECT:
        writeObject(tokens, out);
        break;
      case START_ARRAY:
        out.append('[');
        JsonToken element = tokens.nextToken();
        for (int i = 0; element != JsonToken.END_ARRAY; i++) {
          if (i > 0) {
            out.append(',');
          }
          write(tokens, element, out);
          element = tokens.nextToken();
        }
        out.append(']');
        break;
      case VALUE_STRING:
        quote(tokens.getText(), out);
        break;
      case VALUE_NUMBER_INT:
      case VALUE_NUMBER_FLOAT:
        writeNumber(tokens, out);
        break;
      case VALUE_TRUE:
        out.append("true");
        break;
      case VALUE_FALSE:
        out.append("false");
        break;
      case VALUE_EMBEDDED_OBJECT:
        Object embedded = tokens.getEmbeddedObject();
        if (embedded == null) {
          out.append("null");
        } else if (embedded instanceof byte[] bytes) {
          quote(Base64.getEncoder().encodeToString(bytes), out);
        } else {
          quote(embedded.toString(), out);
        }
        break;
      case VALUE_NULL:
      default:
        out.append("null");
        break;
    }
  }

  /**
   * Writes an object whose start token was just read. Members are appended in the order they come
   * (bean properties and most maps already come sorted); if a name comes out of order, the members
   * are sorted by name in place once the object ends.
   */
  private static void writeObject(JsonParser tokens, StringBuilder out) throws IOException {
    out.append('{');
    int count = 0;
    int[] starts = null;
    String[] names = null;
    String previous = null;
    boolean sorted = true;
    JsonToken token = tokens.nextToken();
    while (token == JsonToken.FIELD_NAME) {
      String name = tokens.currentName();
      if (count > 0) {
        out.append(',');
      }
      if (starts == null) {
        starts = new int[8];
        names = new String[8];
      } else if (count == starts.length) {
        starts = Arrays.copyOf(starts, count * 2);
        names = Arrays.copyOf(names, count * 2);
      }
      starts[count] = out.length();
      names[count] = name;
      count++;
      if (previous != null && previous.compareTo(name) > 0) {
        sorted = false;
      }
      previous = name;
      quote(name, out);
      out.append(':');
      write(tokens, tokens.nextToken(), out);
      token = tokens.nextToken();
    }
    if (!sorted) {
      sortMembers(out, starts, names, count);
    }
    out.append('}');
  }

  private static void sortMembers(StringBuilder out, int[] starts, String[] names, int count) {
    int regionStart = starts[0];
    char[] region = new char[out.length() - regionStart];
    out.getChars(regionStart, out.length(), region, 0);
    int[] order = new int[count];
    for (int i = 0; i < count; i++) {
      order[i] = i;
    }
    if (count <= 32) {
      for (int i = 1; i < count; i++) { // stable insertion sort: objects are small
        int member = order[i];
        int j = i - 1;
        while (j >= 0 && names[order[j]].compareTo(names[member]) > 0) {
          order[j + 1] = order[j];
          j--;
        }
        order[j + 1] = member;
      }
    } else {
      Integer[] boxed = new Integer[count];
      for (int i = 0; i < count; i++) {
        boxed[i] = i;
      }
      Arrays.sort(boxed, (a, b) -> names[a].compareTo(names[b]));
      for (int i = 0; i < count; i++) {
        order[i] = boxed[i];
      }
    }
    out.setLength(regionStart);
    for (int i = 0; i < count; i++) {
      int member = order[i];
      int from = starts[member] - regionStart;
      int to = member + 1 < count ? starts[member + 1] - 1 - regionStart : region.length;
      if (i > 0) {
        out.append(',');
      }
      out.append(region, from, to - from);
    }
  }

  private static void writeNumber(JsonParser tokens, StringBuilder out) throws IOException {
    BigDecimal value;
    switch (tokens.getNumberType()) {
      case INT:
      case LONG:
        long integer = tokens.getLongValue();
        if (integer % 10 != 0) {
          out.append(integer); // no trailing zero to strip
          return;
        }
        value = BigDecimal.valueOf(integer);
        break;
      case BIG_INTEGER:
        BigInteger big = tokens.getBigIntegerValue();
        value = new BigDecimal(big);
        break;
      case FLOAT:
      case DOUBLE:
        double floating = tokens.getDoubleValue();
        if (!Double.isFinite(floating)) {
          out.append(nonFinite(floating));
          return;
        }
        value = BigDecimal.valueOf(floating);
        break;
      case BIG_DECIMAL:
      default:
        value = tokens.getDecimalValue();
        break;
    }
    if (value.signum() == 0) {
      out.append('0');
    } else {
      out.append(value.stripTrailingZeros().toString());
    }
  }

  /**
   * The canonical form of NaN and the infinities: the bare words {@code NaN}, {@code Infinity} and
   * {@code -Infinity}. JSON has no such numbers, and a string is always quoted, so no other value
   * (the string {@code "NaN"} included) has the same text.
   */
  private static String nonFinite(double value) {
    return Double.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
  }

  private static void quote(String text, StringBuilder out) {
    out.append('"');
    if (needsEscaping(text)) {
      JsonStringEncoder.getInstance().quoteAsString(text, out);
    } else {
      out.append(text);
    }
    out.append('"');
  }

  private static boolean needsEscaping(String text) {
    for (int i = 0, n = text.length(); i < n; i++) {
      char c = text.charAt(i);
      if (c < 0x20 || c == '"' || c == '\\') {
        return true;
      }
    }
    return false;
  }

  /**
   * Writes a payload canonically as it is serialized: numbers normalised, binary as standard
   * base64. Whatever it cannot write canonically in one pass (members out of order, raw values,
   * embedded objects, object ids) sets {@link #fallback}, and the payload is then buffered instead.
   * It ignores the features, escapes and pretty printer a mapper tries to configure.
   */
  private static final class CanonicalGenerator extends JsonGeneratorDelegate {
    private String[] lastNames = new String[8];
    private int depth = -1;
    boolean fallback;

    CanonicalGenerator(JsonGenerator delegate) {
      super(delegate, false);
    }

    private void enterObject() {
      depth++;
      if (depth == lastNames.length) {
        lastNames = Arrays.copyOf(lastNames, depth * 2);
      }
      lastNames[depth] = null;
    }

    private void member(String name) {
      if (depth < 0) {
        fallback = true;
        return;
      }
      String previous = lastNames[depth];
      if (previous != null && previous.compareTo(name) > 0) {
        fallback = true;
      }
      lastNames[depth] = name;
    }

    @Override
    public void writeStartObject() throws IOException {
      enterObject();
      super.writeStartObject();
    }

    @Override
    public void writeStartObject(@Nullable Object forValue) throws IOException {
      enterObject();
      super.writeStartObject(forValue);
    }

    @Override
    public void writeStartObject(@Nullable Object forValue, int size) throws IOException {
      enterObject();
      super.writeStartObject(forValue, size);
    }

    @Override
    public void writeEndObject() throws IOException {
      depth--;
      super.writeEndObject();
    }

    @Override
    public void writeFieldName(String name) throws IOException {
      member(name);
      super.writeFieldName(name);
    }

    @Override
    public void writeFieldName(SerializableString name) throws IOException {
      member(name.getValue());
      super.writeFieldName(name);
    }

    @Override
    public void writeFieldId(long id) throws IOException {
      writeFieldName(Long.toString(id));
    }

    @Override
    public void writeNumber(short value) throws IOException {
      writeNumber((long) value);
    }

    @Override
    public void writeNumber(int value) throws IOException {
      writeNumber((long) value);
    }

    @Override
    public void writeNumber(long value) throws IOException {
      if (value % 10 != 0) {
        delegate.writeNumber(value); // no trailing zero to strip
      } else {
        writeNormalised(BigDecimal.valueOf(value));
      }
    }

    @Override
    public void writeNumber(BigInteger value) throws IOException {
      writeNormalised(new BigDecimal(value));
    }

    @Override
    public void writeNumber(double value) throws IOException {
      if (Double.isFinite(value)) {
        writeNormalised(BigDecimal.valueOf(value));
      } else {
        delegate.writeRawValue(nonFinite(value));
      }
    }

    @Override
    public void writeNumber(float value) throws IOException {
      writeNumber((double) value);
    }

    @Override
    public void writeNumber(BigDecimal value) throws IOException {
      writeNormalised(value);
    }

    @Override
    public void writeNumber(String encoded) throws IOException {
      fallback = true;
      delegate.writeNull();
    }

    @Override
    public void writeNumber(char[] encoded, int offset, int length) throws IOException {
      fallback = true;
      delegate.writeNull();
    }

    private void writeNormalised(BigDecimal value) throws IOException {
      delegate.writeNumber(value.signum() == 0 ? "0" : value.stripTrailingZeros().toString());
    }

    @Override
    public void writeArray(int[] array, int offset, int length) throws IOException {
      writeStartArray(array, length);
      for (int i = offset; i < offset + length; i++) {
        writeNumber(array[i]);
      }
      writeEndArray();
    }

    @Override
    public void writeArray(long[] array, int offset, int length) throws IOException {
      writeStartArray(array, length);
      for (int i = offset; i < offset + length; i++) {
        writeNumber(array[i]);
      }
      writeEndArray();
    }

    @Override
    public void writeArray(double[] array, int offset, int length) throws IOException {
      writeStartArray(array, length);
      for (int i = offset; i < offset + length; i++) {
        writeNumber(array[i]);
      }
      writeEndArray();
    }

    @Override
    public void writeBinary(Base64Variant variant, byte[] data, int offset, int length)
        throws IOException {
      delegate.writeString(
          Base64.getEncoder().encodeToString(Arrays.copyOfRange(data, offset, offset + length)));
    }

    @Override
    public int writeBinary(Base64Variant variant, InputStream data, int length) throws IOException {
      fallback = true;
      delegate.writeNull();
      return 0;
    }

    @Override
    public void writeRaw(String text) throws IOException {
      fallback = true;
    }

    @Override
    public void writeRaw(String text, int offset, int length) throws IOException {
      fallback = true;
    }

    @Override
    public void writeRaw(SerializableString raw) throws IOException {
      fallback = true;
    }

    @Override
    public void writeRaw(char[] text, int offset, int length) throws IOException {
      fallback = true;
    }

    @Override
    public void writeRaw(char c) throws IOException {
      fallback = true;
    }

    @Override
    public void writeRawValue(String text) throws IOException {
      fallback = true;
      delegate.writeNull();
    }

    @Override
    public void writeRawValue(String text, int offset, int length) throws IOException {
      fallback = true;
      delegate.writeNull();
    }

    @Override
    public void writeRawValue(char[] text, int offset, int length) throws IOException {
      fallback = true;
      delegate.writeNull();
    }

    @Override
    public void writeEmbeddedObject(@Nullable Object object) throws IOException {
      if (object == null) {
        writeNull();
      } else if (object instanceof byte[] data) {
        writeBinary(Base64Variants.getDefaultVariant(), data, 0, data.length);
      } else {
        fallback = true;
        delegate.writeNull();
      }
    }

    @Override
    public void writeObjectId(Object id) throws IOException {
      fallback = true;
      delegate.writeNull();
    }

    @Override
    public void writeObjectRef(Object reference) throws IOException {
      fallback = true;
      delegate.writeNull();
    }

    @Override
    public void writeTypeId(Object id) throws IOException {
      fallback = true;
    }

    @Override
    public JsonGenerator enable(JsonGenerator.Feature feature) {
      return this;
    }

    @Override
    public JsonGenerator disable(JsonGenerator.Feature feature) {
      return this;
    }

    @Override
    public JsonGenerator setFeatureMask(int mask) {
      return this;
    }

    @Override
    public JsonGenerator overrideStdFeatures(int values, int mask) {
      return this;
    }

    @Override
    public JsonGenerator overrideFormatFeatures(int values, int mask) {
      return this;
    }

    @Override
    public JsonGenerator setPrettyPrinter(@Nullable PrettyPrinter printer) {
      return this;
    }

    @Override
    public JsonGenerator useDefaultPrettyPrinter() {
      return this;
    }

    @Override
    public JsonGenerator setHighestNonEscapedChar(int charCode) {
      return this;
    }

    @Override
    public JsonGenerator setCharacterEscapes(@Nullable CharacterEscapes escapes) {
      return this;
    }

    @Override
    public JsonGenerator setRootValueSeparator(@Nullable SerializableString separator) {
      return this;
    }
  }
}
