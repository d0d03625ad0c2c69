package dev.idem.internal;

import dev.idem.IdempotencyKeyException;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Composes and validates store keys: {@code prefix:name:[@scope:]value}, injective over (prefix,
 * name, scope-or-absent, value), with long keys hashed (SHA-256) so every store sees at most {@link
 * #MAX_KEY_LENGTH} characters.
 */
public final class Keys {

  /** The longest composed key a store receives. */
  public static final int MAX_KEY_LENGTH = 255;

  /** Composed keys longer than this have their scope and value replaced by a SHA-256 digest. */
  static final int HASH_THRESHOLD = 200;

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._\\-/#$@]{0,99}");
  private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._\\-]{0,31}");

  private static final char SCOPE_MARK = '@';
  private static final char DIGEST_MARK = '#';
  private static final char ESCAPE = '\\';

  private Keys() {}

  /**
   * Checks an operation name: 1 to 100 characters, letters, digits and {@code . _ - / # $ @}, no
   * colon (it separates key parts).
   *
   * @param name the name
   * @return the name
   */
  public static String requireValidName(String name) {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "operation name '"
              + name
              + "' must be 1-100 characters of letters, digits and . _ - / # $ @, starting with a"
              + " letter or digit");
    }
    return name;
  }

  /**
   * Checks a key prefix: 1 to 32 characters, letters, digits and {@code . _ -}.
   *
   * @param prefix the prefix
   * @return the prefix
   */
  public static String requireValidPrefix(String prefix) {
    if (!PREFIX.matcher(prefix).matches()) {
      throw new IllegalArgumentException(
          "key prefix '" + prefix + "' must be 1-32 characters of letters, digits and . _ -");
    }
    return prefix;
  }

  /**
   * Validates a key value and composes the store key.
   *
   * <p>The store key is {@code prefix:name:tail}, where the tail is
   *
   * <ul>
   *   <li>{@code value} without a scope, or {@code @scope:value} with one, the scope's {@code %}
   *       and {@code :} escaped as {@code %25} and {@code %3A};
   *   <li>a value that starts with {@code @}, {@code #} or {@code \} gets a {@code \} in front, so
   *       that no value can pose as a scope or a digest;
   *   <li>{@code #sha256=<hex>}, the SHA-256 of that tail, when the composed key would be longer
   *       than 200 characters.
   * </ul>
   *
   * <p>Composition is injective: prefix and name hold no colon, the tail's first character tells a
   * scope ({@code @}) from a digest ({@code #}) from a value, and an escaped scope holds no colon,
   * so two different (prefix, name, scope-or-absent, value) tuples never give the same key (digests
   * aside, which would need a SHA-256 collision).
   *
   * @param prefix the validated prefix
   * @param name the validated operation name
   * @param scope the scope (tenant, principal), or null for none
   * @param value the key value
   * @return the composed key, at most {@link #MAX_KEY_LENGTH} characters
   * @throws IdempotencyKeyException if the value or scope is null, blank, or holds control
   *     characters or malformed UTF-16 (a lone surrogate)
   */
  public static String compose(
      String prefix, String name, @Nullable String scope, @Nullable String value) {
    if (value == null) {
      throw IdempotencyKeyException.invalid(name, "the key is null");
    }
    checkPart(name, "key", value);
    StringBuilder key = new StringBuilder(prefix.length() + name.length() + value.length() + 8);
    key.append(prefix).append(':').append(name).append(':');
    int tail = key.length();
    if (scope != null) {
      checkPart(name, "scope", scope);
      key.append(SCOPE_MARK);
      appendEscapedScope(scope, key);
      key.append(':');
    }
    char first = value.charAt(0);
    if (first == SCOPE_MARK || first == DIGEST_MARK || first == ESCAPE) {
      key.append(ESCAPE);
    }
    key.append(value);
    if (key.length() > HASH_THRESHOLD) {
      String digest = Sha256.hex(key.substring(tail));
      key.setLength(tail);
      key.append(DIGEST_MARK).append("sha256=").append(digest);
    }
    return key.toString();
  }

  private static void appendEscapedScope(String scope, StringBuilder key) {
    for (int i = 0; i < scope.length(); i++) {
      char c = scope.charAt(i);
      if (c == '%') {
        key.append("%25");
      } else if (c == ':') {
        key.append("%3A");
      } else {
        key.append(c);
      }
    }
  }

  private static void checkPart(String name, String what, String value) {
    if (value.isBlank()) {
      throw IdempotencyKeyException.invalid(name, "the " + what + " is blank");
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (Character.isISOControl(c)) {
        throw IdempotencyKeyException.invalid(
            name, "the " + what + " contains a control character (U+" + hex4(c) + ")");
      }
      if (Character.isSurrogate(c)) {
        // a well-formed pair is one code point; a lone half cannot be encoded (UTF-8 writes '?'),
        // so two different keys would become one record
        if (Character.isHighSurrogate(c)
            && i + 1 < value.length()
            && Character.isLowSurrogate(value.charAt(i + 1))) {
          i++;
        } else {
          throw IdempotencyKeyException.invalid(
              name, "the " + what + " is malformed Unicode: a lone surrogate (U+" + hex4(c) + ")");
        }
      }
    }
  }

  private static String hex4(char c) {
    return String.format("%04X", (int) c);
  }
}
