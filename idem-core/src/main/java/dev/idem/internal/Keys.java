package dev.idem.internal;

import dev.idem.IdempotencyKeyException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Composes and validates store keys: {@code prefix:name[:scope]:value}, with long keys hashed
 * (SHA-256) so every store sees at most {@link #MAX_KEY_LENGTH} characters.
 */
public final class Keys {

  /** The longest composed key a store receives. */
  public static final int MAX_KEY_LENGTH = 255;

  /** Composed keys longer than this have their scope and value replaced by a SHA-256 digest. */
  static final int HASH_THRESHOLD = 200;

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._\\-/#$@]{0,99}");
  private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._\\-]{0,31}");
  private static final @Nullable MessageDigest SHA256 = cloneableSha256();

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
   * @param prefix the validated prefix
   * @param name the validated operation name
   * @param scope the scope (tenant, principal), or null
   * @param value the key value
   * @return the composed key, at most {@link #MAX_KEY_LENGTH} characters
   * @throws IdempotencyKeyException if the value or scope is blank or holds control characters
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
      // a colon in the scope would let "t:1" + "x" collide with "t" + "1:x"
      key.append(scope.replace("%", "%25").replace(":", "%3A")).append(':');
    }
    key.append(value);
    if (key.length() > HASH_THRESHOLD) {
      String digest = sha256Hex(key.substring(tail));
      key.setLength(tail);
      key.append("sha256=").append(digest);
    }
    return key.toString();
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
    }
  }

  private static @Nullable MessageDigest cloneableSha256() {
    MessageDigest prototype = newSha256();
    try {
      prototype.clone();
      return prototype;
    } catch (CloneNotSupportedException e) {
      return null;
    }
  }

  private static String hex4(char c) {
    return String.format("%04X", (int) c);
  }

  static String sha256Hex(String text) {
    return HexFormat.of().formatHex(sha256().digest(text.getBytes(StandardCharsets.UTF_8)));
  }

  /** A fresh SHA-256 digest: a clone of a prototype, much cheaper than a provider lookup. */
  static MessageDigest sha256() {
    if (SHA256 != null) {
      try {
        return (MessageDigest) SHA256.clone();
      } catch (CloneNotSupportedException e) {
        // fall through to a lookup
      }
    }
    return newSha256();
  }

  private static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }
}
