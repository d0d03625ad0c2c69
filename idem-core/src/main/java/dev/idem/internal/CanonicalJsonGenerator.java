package dev.idem.internal;

import com.fasterxml.jackson.core.Base64Variant;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.ObjectCodec;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.base.GeneratorBase;
import com.fasterxml.jackson.core.io.NumberOutput;
import com.fasterxml.jackson.core.json.JsonWriteContext;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import org.jspecify.annotations.Nullable;

/**
 * A Jackson generator that writes what a serializer gives it as Idem's canonical JSON, the text a
 * payload fingerprint hashes ({@code docs/fingerprint.md} in the repository defines it; it is RFC
 * 8785, the JSON Canonicalization Scheme, with numbers kept exact):
 *
 * <ul>
 *   <li>no whitespace; the members of each object sorted by name, comparing UTF-16 code units
 *       ({@link #writeEndObject}); arrays in their order;
 *   <li>strings with RFC 8785's escapes, lone surrogates escaped too ({@link #quote});
 *   <li>numbers as their exact decimal value in ECMAScript's number layout, a {@code double} being
 *       the shortest decimal that reads back as it ({@link #writeDecimal}, {@link #shortest}); NaN
 *       and the infinities as the bare words {@code NaN}, {@code Infinity}, {@code -Infinity};
 *   <li>binary data as a string of standard base64; a raw JSON value canonicalized like any other.
 * </ul>
 *
 * <p>It ignores the features, escapes and pretty printer a mapper configures. It writes one payload
 * at a time, from {@link #start()} to {@link #finish()}, and can then write another; not
 * thread-safe.
 */
final class CanonicalJsonGenerator extends GeneratorBase {

  /**
   * The decimal points {@code n} that ECMAScript writes in plain notation: {@code -6 < n <= 21}.
   */
  private static final int MIN_PLAIN_POINT = -6;

  private static final int MAX_PLAIN_POINT = 21;

  private static final MathContext ONE_DIGIT = new MathContext(1, RoundingMode.HALF_EVEN);
  private static final HexFormat HEX = HexFormat.of();
  private static final JsonFactory RAW_JSON = new JsonFactory();

  private static final int MAX_KEPT_CAPACITY = 16 * 1024;

  private final StringBuilder out = new StringBuilder(128);
  private boolean writing;
  private Members[] objects = new Members[4];
  private int depth = -1;

  @SuppressWarnings("deprecation") // the constructor without an IOContext: it writes to no stream
  CanonicalJsonGenerator(ObjectCodec codec) {
    super(0, codec);
  }

  /** Whether a payload is being written: between {@link #start()} and {@link #finish()}. */
  boolean isWriting() {
    return writing;
  }

  /** Makes the generator ready for a payload, keeping the buffers of the previous one. */
  void start() {
    while (_writeContext.getParent() != null) { // a previous payload failed halfway
      _writeContext = _writeContext.getParent();
    }
    _writeContext.reset(JsonStreamContext.TYPE_ROOT);
    depth = -1;
    out.setLength(0);
    writing = true;
  }

  /** Returns the canonical text of the payload written since {@link #start()}. */
  String text() {
    return out.toString();
  }

  /** Ends a payload; a text buffer grown large for it is not kept for the next. */
  void finish() {
    writing = false;
    if (out.capacity() > MAX_KEPT_CAPACITY) {
      out.setLength(0);
      out.trimToSize();
    }
  }

  @Override
  public void writeStartObject() throws IOException {
    _verifyValueWrite("start an object");
    _writeContext = _writeContext.createChildObjectContext(null);
    depth++;
    if (depth == objects.length) {
      objects = Arrays.copyOf(objects, depth * 2);
    }
    if (objects[depth] == null) {
      objects[depth] = new Members();
    }
    objects[depth].clear();
    out.append('{');
  }

  @Override
  public void writeFieldName(String name) throws IOException {
    int status = _writeContext.writeFieldName(name);
    if (status == JsonWriteContext.STATUS_EXPECT_VALUE) {
      _reportError("Can not write a field name, expecting a value");
    }
    if (status == JsonWriteContext.STATUS_OK_AFTER_COMMA) {
      out.append(',');
    }
    objects[depth].add(name, out.length());
    quote(name);
  }

  /** Ends an object, first putting its members in order of their names if they came unsorted. */
  @Override
  public void writeEndObject() throws IOException {
    if (!_writeContext.inObject()) {
      _reportError("Current context not Object but " + _writeContext.typeDesc());
    }
    objects[depth--].sort(out);
    out.append('}');
    _writeContext = _writeContext.clearAndGetParent();
  }

  @Override
  public void writeStartArray() throws IOException {
    _verifyValueWrite("start an array");
    _writeContext = _writeContext.createChildArrayContext(null);
    out.append('[');
  }

  @Override
  public void writeEndArray() throws IOException {
    if (!_writeContext.inArray()) {
      _reportError("Current context not Array but " + _writeContext.typeDesc());
    }
    out.append(']');
    _writeContext = _writeContext.clearAndGetParent();
  }

  @Override
  public void writeString(@Nullable String text) throws IOException {
    if (text == null) {
      writeNull();
      return;
    }
    _verifyValueWrite("write a string");
    quote(text);
  }

  @Override
  public void writeString(char[] text, int offset, int length) throws IOException {
    writeString(new String(text, offset, length));
  }

  @Override
  public void writeRawUTF8String(byte[] text, int offset, int length) throws IOException {
    writeString(new String(text, offset, length, StandardCharsets.UTF_8));
  }

  @Override
  public void writeUTF8String(byte[] text, int offset, int length) throws IOException {
    writeString(new String(text, offset, length, StandardCharsets.UTF_8));
  }

  @Override
  public void writeBinary(Base64Variant variant, byte[] data, int offset, int length)
      throws IOException {
    writeString(
        Base64.getEncoder().encodeToString(Arrays.copyOfRange(data, offset, offset + length)));
  }

  @Override
  public void writeNumber(int value) throws IOException {
    writeNumber((long) value);
  }

  /** Writes an integer: its digits, as ECMAScript writes every integer below 10^21. */
  @Override
  public void writeNumber(long value) throws IOException {
    _verifyValueWrite("write a number");
    out.append(value);
  }

  @Override
  public void writeNumber(BigInteger value) throws IOException {
    writeNumber(new BigDecimal(value));
  }

  @Override
  public void writeNumber(float value) throws IOException {
    writeNumber((double) value);
  }

  @Override
  public void writeNumber(double value) throws IOException {
    if (Double.isNaN(value)) {
      writeWord("NaN");
    } else if (Double.isInfinite(value)) {
      writeWord(value > 0 ? "Infinity" : "-Infinity");
    } else {
      writeNumber(shortest(value));
    }
  }

  @Override
  public void writeNumber(BigDecimal value) throws IOException {
    _verifyValueWrite("write a number");
    writeDecimal(value);
  }

  /** Writes a number a serializer gives as text: the {@code toString()} of a custom number. */
  @Override
  public void writeNumber(String encoded) throws IOException {
    BigDecimal decimal;
    try {
      decimal = new BigDecimal(encoded);
    } catch (NumberFormatException e) {
      writeNumber(Double.parseDouble(encoded)); // NaN and the infinities
      return;
    }
    writeNumber(decimal);
  }

  @Override
  public void writeBoolean(boolean state) throws IOException {
    writeWord(state ? "true" : "false");
  }

  @Override
  public void writeNull() throws IOException {
    writeWord("null");
  }

  /** Writes raw JSON text (such as a {@code @JsonRawValue}) canonically, as the value it holds. */
  @Override
  public void writeRawValue(String text) throws IOException {
    try (JsonParser parser = RAW_JSON.createParser(text)) {
      if (parser.nextToken() == null) {
        _reportError("a raw value holds no JSON value");
      }
      copyCurrentStructure(parser);
      if (parser.nextToken() != null) {
        _reportError("a raw value holds more than one JSON value");
      }
    }
  }

  @Override
  public void writeRawValue(String text, int offset, int length) throws IOException {
    writeRawValue(text.substring(offset, offset + length));
  }

  @Override
  public void writeRawValue(char[] text, int offset, int length) throws IOException {
    writeRawValue(new String(text, offset, length));
  }

  @Override
  public void writeRawValue(SerializableString text) throws IOException {
    writeRawValue(text.getValue());
  }

  @Override
  public void writeRaw(String text) {
    _reportUnsupportedOperation();
  }

  @Override
  public void writeRaw(String text, int offset, int len) {
    _reportUnsupportedOperation();
  }

  @Override
  public void writeRaw(char[] text, int offset, int len) {
    _reportUnsupportedOperation();
  }

  @Override
  public void writeRaw(char c) {
    _reportUnsupportedOperation();
  }

  @Override
  public void flush() {
    // nothing is buffered outside the text
  }

  @Override
  protected void _releaseBuffers() {
    // nothing is pooled
  }

  /** Writes the separator the value needs: a comma after an element, a colon after a name. */
  @Override
  protected void _verifyValueWrite(String typeMsg) throws IOException {
    int status = _writeContext.writeValue();
    switch (status) {
      case JsonWriteContext.STATUS_OK_AFTER_COMMA:
        out.append(',');
        break;
      case JsonWriteContext.STATUS_OK_AFTER_COLON:
        out.append(':');
        break;
      case JsonWriteContext.STATUS_OK_AS_IS:
        break;
      case JsonWriteContext.STATUS_EXPECT_NAME:
        _reportError("Can not " + typeMsg + ", expecting a field name");
        break;
      default: // STATUS_OK_AFTER_SPACE: a second value at the root
        _reportError("Can not " + typeMsg + ": a payload is one JSON value");
    }
  }

  private void writeWord(String word) throws IOException {
    _verifyValueWrite("write a value");
    out.append(word);
  }

  /**
   * Writes a string: quoted, with {@code "} and {@code \} escaped, U+0008, U+0009, U+000A, U+000C
   * and U+000D as {@code \b \t \n \f \r}, the other characters below U+0020 and lone surrogates as
   * {@code \}{@code u} and four lower-case hex digits, and every other character as itself.
   */
  private void quote(String text) {
    out.append('"');
    int from = 0;
    for (int i = 0; i < text.length(); i++) {
      String escape = escape(text, i);
      if (escape != null) {
        out.append(text, from, i).append(escape);
        from = i + 1;
      }
    }
    out.append(text, from, text.length()).append('"');
  }

  private static @Nullable String escape(String text, int i) {
    char c = text.charAt(i);
    switch (c) {
      case '"':
        return "\\\"";
      case '\\':
        return "\\\\";
      case '\b':
        return "\\b";
      case '\t':
        return "\\t";
      case '\n':
        return "\\n";
      case '\f':
        return "\\f";
      case '\r':
        return "\\r";
      default:
        return c < 0x20 || isLoneSurrogate(text, i) ? "\\u" + HEX.toHexDigits(c) : null;
    }
  }

  private static boolean isLoneSurrogate(String text, int i) {
    char c = text.charAt(i);
    if (Character.isHighSurrogate(c)) {
      return i + 1 == text.length() || !Character.isLowSurrogate(text.charAt(i + 1));
    }
    return Character.isLowSurrogate(c)
        && (i == 0 || !Character.isHighSurrogate(text.charAt(i - 1)));
  }

  /**
   * Writes a number's exact value as ECMAScript's Number::toString lays it out. With {@code s} its
   * significant digits without trailing zeros and {@code n} the position of the decimal point from
   * the left of {@code s} (the value is {@code 0.s × 10^n}): when {@code -6 < n <= 21}, the value
   * in plain decimal notation ({@code 100}, {@code 42.5}, {@code 0.000001}); else the first digit,
   * a point and the other digits if any, {@code e}, the sign of {@code n-1} and its magnitude
   * ({@code 1e+21}, {@code 2.5e-7}). Zero, {@code -0} included, is {@code 0}.
   */
  private void writeDecimal(BigDecimal value) {
    if (value.signum() == 0) {
      out.append('0');
      return;
    }
    BigDecimal stripped = value.stripTrailingZeros();
    long n = (long) stripped.precision() - stripped.scale();
    if (MIN_PLAIN_POINT < n && n <= MAX_PLAIN_POINT) {
      out.append(stripped.toPlainString());
      return;
    }
    String digits = stripped.unscaledValue().abs().toString();
    if (value.signum() < 0) {
      out.append('-');
    }
    out.append(digits.charAt(0));
    if (digits.length() > 1) {
      out.append('.').append(digits, 1, digits.length());
    }
    out.append('e').append(n > 0 ? '+' : '-').append(Math.abs(n - 1));
  }

  /**
   * Returns the value of a finite double as ECMAScript writes it: the decimal with the fewest
   * digits that reads back as the double, the closest to it if several. Jackson's Schubfach gives
   * that (as JDK 19's {@code Double.toString} does; JDK 17's sometimes gives more digits), except
   * that it never gives fewer than two digits, which only a subnormal double can need.
   */
  static BigDecimal shortest(double value) {
    BigDecimal decimal = new BigDecimal(NumberOutput.toString(value, true));
    if (Math.abs(value) < Double.MIN_NORMAL && value != 0) {
      BigDecimal oneDigit = new BigDecimal(value).round(ONE_DIGIT);
      if (oneDigit.doubleValue() == value) {
        return oneDigit;
      }
    }
    return decimal;
  }

  /**
   * The members of one object being written: their names and where each starts in the text, so that
   * they can be put in order when the object ends.
   */
  private static final class Members {
    private String[] names = new String[8];
    private int[] starts = new int[8];
    private int count;
    private boolean sorted;

    void clear() {
      count = 0;
      sorted = true;
    }

    void add(String name, int start) {
      if (count == names.length) {
        names = Arrays.copyOf(names, count * 2);
        starts = Arrays.copyOf(starts, count * 2);
      }
      if (count > 0 && names[count - 1].compareTo(name) > 0) {
        sorted = false;
      }
      names[count] = name;
      starts[count] = start;
      count++;
    }

    /** Rewrites the members at the end of the text in order of their names, unless they are. */
    void sort(StringBuilder text) {
      if (sorted) {
        return;
      }
      Member[] members = new Member[count];
      for (int i = 0; i < count; i++) {
        int end = i + 1 < count ? starts[i + 1] - 1 : text.length(); // a comma precedes the next
        members[i] = new Member(names[i], text.substring(starts[i], end));
      }
      Arrays.sort(members, Comparator.comparing(Member::name)); // stable: equal names keep order
      text.setLength(starts[0]);
      for (int i = 0; i < count; i++) {
        if (i > 0) {
          text.append(',');
        }
        text.append(members[i].text());
      }
    }
  }

  private record Member(String name, String text) {}
}
