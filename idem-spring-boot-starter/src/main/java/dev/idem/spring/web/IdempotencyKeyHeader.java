package dev.idem.spring.web;

/**
 * Parses the value of the {@code Idempotency-Key} header: an RFC 8941 Structured Field Item whose
 * bare item is an {@code sf-string}, as the IETF draft "The Idempotency-Key HTTP Header Field"
 * specifies, with its parameters (if any) parsed and ignored.
 *
 * <pre>
 * sf-string = DQUOTE *chr DQUOTE
 * chr       = unescaped / escaped
 * unescaped = %x20-21 / %x23-5B / %x5D-7E
 * escaped   = "\" ( DQUOTE / "\" )
 * </pre>
 *
 * <p>As a lenient extension, a bare value of token characters ({@code tchar} of RFC 9110, plus
 * {@code :} and {@code /}), such as an unquoted UUID, is accepted as the key itself. Anything
 * outside printable ASCII is refused with a message naming the byte: servlet containers decode
 * header bytes as ISO-8859-1, so a UTF-8 key arrives as one character per byte, and no guess at its
 * encoding is made.
 */
final class IdempotencyKeyHeader {

  private final String header;
  private final String value;
  private int pos;

  private IdempotencyKeyHeader(String header, String value) {
    this.header = header;
    this.value = value;
  }

  /** Why a header value was refused: a message for a 400 problem. */
  static final class Malformed extends Exception {
    private static final long serialVersionUID = 1L;

    Malformed(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * Parses a header value.
   *
   * @param header the header's name, for messages
   * @param raw the value as the container gives it
   * @param maxLength the longest key accepted, in characters
   * @return the key: the string's content, unescaped
   * @throws Malformed if the value is not a Structured Field string (or bare token), is empty, or
   *     is longer than {@code maxLength}
   */
  static String parse(String header, String raw, int maxLength) throws Malformed {
    return new IdempotencyKeyHeader(header, raw).parse(maxLength);
  }

  private String parse(int maxLength) throws Malformed {
    checkCharacters();
    skipSpaces();
    if (pos == value.length()) {
      throw new Malformed("the " + header + " header is empty");
    }
    String key = value.charAt(pos) == '"' ? string() : bareToken();
    parameters();
    skipSpaces();
    if (pos != value.length()) {
      throw new Malformed(
          "the "
              + header
              + " header is not a Structured Field string: unexpected '"
              + value.charAt(pos)
              + "' at position "
              + (pos + 1)
              + " (quote the key: "
              + header
              + ": \"...\")");
    }
    if (key.isBlank()) {
      throw new Malformed("the " + header + " header is blank");
    }
    if (key.length() > maxLength) {
      throw new Malformed(
          "the "
              + header
              + " header holds "
              + key.length()
              + " characters, more than the limit of "
              + maxLength);
    }
    return key;
  }

  /** Refuses control characters and anything outside ASCII before parsing, with its byte value. */
  private void checkCharacters() throws Malformed {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c > 0x7F) {
        throw new Malformed(
            "the "
                + header
                + " header must be printable ASCII (an RFC 8941 string); found "
                + (c <= 0xFF
                    ? String.format("the byte 0x%02X", (int) c)
                    : String.format("U+%04X", (int) c))
                + " at position "
                + (i + 1)
                + ": non-ASCII keys such as UTF-8 text are not allowed");
      }
      if (c < 0x20 && c != '\t' || c == 0x7F) {
        throw new Malformed(controlCharacter(c, i));
      }
    }
  }

  private String controlCharacter(char c, int index) {
    return "the "
        + header
        + " header contains a control character ("
        + String.format("0x%02X", (int) c)
        + ") at position "
        + (index + 1);
  }

  private String string() throws Malformed {
    StringBuilder key = new StringBuilder(value.length());
    pos++; // the opening quote
    while (pos < value.length()) {
      char c = value.charAt(pos++);
      if (c == '\\') {
        if (pos == value.length()) {
          break;
        }
        char next = value.charAt(pos++);
        if (next != '"' && next != '\\') {
          throw new Malformed(
              "the "
                  + header
                  + " header is not a Structured Field string: '\\"
                  + next
                  + "' is not an escape (only \\\" and \\\\ are)");
        }
        key.append(next);
      } else if (c == '"') {
        return key.toString();
      } else if (c < 0x20) {
        throw new Malformed(controlCharacter(c, pos - 1));
      } else {
        key.append(c);
      }
    }
    throw new Malformed(
        "the " + header + " header is not a Structured Field string: the closing quote is missing");
  }

  private String bareToken() throws Malformed {
    int start = pos;
    while (pos < value.length() && isTokenChar(value.charAt(pos))) {
      pos++;
    }
    if (pos == start) {
      throw new Malformed(
          "the "
              + header
              + " header is not a Structured Field string: unexpected '"
              + value.charAt(pos)
              + "' (quote the key: "
              + header
              + ": \"...\")");
    }
    return value.substring(start, pos);
  }

  /** {@code *( ";" *SP param-key [ "=" bare-item ] )}; parsed for validity and ignored. */
  private void parameters() throws Malformed {
    while (pos < value.length() && value.charAt(pos) == ';') {
      pos++;
      while (pos < value.length() && value.charAt(pos) == ' ') {
        pos++;
      }
      int start = pos;
      if (pos < value.length() && (isLcAlpha(value.charAt(pos)) || value.charAt(pos) == '*')) {
        pos++;
        while (pos < value.length() && isKeyChar(value.charAt(pos))) {
          pos++;
        }
      }
      if (pos == start) {
        throw new Malformed(
            "the " + header + " header has a malformed parameter at position " + (pos + 1));
      }
      if (pos < value.length() && value.charAt(pos) == '=') {
        pos++;
        bareItem();
      }
    }
  }

  private void bareItem() throws Malformed {
    if (pos == value.length()) {
      throw new Malformed("the " + header + " header has a parameter without a value");
    }
    char c = value.charAt(pos);
    if (c == '"') {
      string();
    } else if (c == '-' || isDigit(c)) {
      pos++;
      while (pos < value.length() && (isDigit(value.charAt(pos)) || value.charAt(pos) == '.')) {
        pos++;
      }
    } else if (c == '?') {
      pos++;
      if (pos == value.length() || (value.charAt(pos) != '0' && value.charAt(pos) != '1')) {
        throw new Malformed("the " + header + " header has a malformed boolean parameter");
      }
      pos++;
    } else if (c == ':') {
      int end = value.indexOf(':', pos + 1);
      if (end < 0) {
        throw new Malformed("the " + header + " header has an unterminated byte sequence");
      }
      pos = end + 1;
    } else if (isAlpha(c) || c == '*') {
      pos++;
      while (pos < value.length() && isTokenChar(value.charAt(pos))) {
        pos++;
      }
    } else {
      throw new Malformed(
          "the " + header + " header has a malformed parameter value at position " + (pos + 1));
    }
  }

  private void skipSpaces() {
    while (pos < value.length() && (value.charAt(pos) == ' ' || value.charAt(pos) == '\t')) {
      pos++;
    }
  }

  private static boolean isTokenChar(char c) {
    return isAlpha(c) || isDigit(c) || "!#$%&'*+-.^_`|~:/".indexOf(c) >= 0;
  }

  private static boolean isKeyChar(char c) {
    return isLcAlpha(c) || isDigit(c) || "_-.*".indexOf(c) >= 0;
  }

  private static boolean isAlpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }

  private static boolean isLcAlpha(char c) {
    return c >= 'a' && c <= 'z';
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }
}
