package dev.idem.internal;

import java.time.temporal.TemporalAccessor;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/** Turns a key expression's value into the key string. */
public final class KeyValues {

  private KeyValues() {}

  /**
   * Converts a key value: strings, numbers, booleans, characters, UUIDs, enums and java.time values
   * by {@code toString()}; anything else by its canonical JSON, so that a composite key never
   * depends on an identity hash code.
   *
   * @param value the value, or null
   * @param fingerprinter the canonical JSON writer
   * @return the key string, or null if the value is null
   */
  public static @Nullable String toKeyString(@Nullable Object value, Fingerprinter fingerprinter) {
    if (value == null) {
      return null;
    }
    if (value instanceof CharSequence
        || value instanceof Number
        || value instanceof Boolean
        || value instanceof Character
        || value instanceof UUID
        || value instanceof Enum<?>
        || value instanceof TemporalAccessor) {
      return value.toString();
    }
    return fingerprinter.canonicalJson(value);
  }
}
