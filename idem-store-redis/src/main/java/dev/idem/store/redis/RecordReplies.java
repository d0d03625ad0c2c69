package dev.idem.store.redis;

import dev.idem.spi.IdempotencyRecord;
import dev.idem.spi.Outcome;
import dev.idem.spi.OutcomeKind;
import dev.idem.spi.RecordState;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Encodes script arguments and decodes script replies. Every value crosses the wire as bytes with
 * an explicit encoding: numbers and enum names as ASCII decimal text, owner and fingerprint as
 * UTF-8, outcomes as the caller's bytes untouched. Nothing is ever deserialized into an object
 * whose class the data could choose.
 *
 * <p>Replies are kept small, since Redis builds them and Redisson parses them on every call: an
 * integer ({@code 1} or {@code 0} for complete, release and renew; the token for an acquired claim,
 * negated for a takeover; {@code 0} for a find without a record), or a live record as the values of
 * its fields in the fixed order of {@link #RECORD_FIELDS}, a {@code null} for an absent field.
 */
final class RecordReplies {

  /**
   * The fields of a record reply, in the order the claim and find scripts read them with {@code
   * HMGET}; the scripts spell the same list out.
   */
  static final List<String> RECORD_FIELDS =
      List.of(
          "state",
          "token",
          "owner",
          "fingerprint",
          "lease_until",
          "outcome_kind",
          "outcome",
          "created_at",
          "expires_at");

  private static final int STATE = 0;
  private static final int TOKEN = 1;
  private static final int OWNER = 2;
  private static final int FINGERPRINT = 3;
  private static final int LEASE_UNTIL = 4;
  private static final int OUTCOME_KIND = 5;
  private static final int OUTCOME = 6;
  private static final int CREATED_AT = 7;
  private static final int EXPIRES_AT = 8;

  private static final byte[] IN_PROGRESS = ascii(RecordState.IN_PROGRESS.name());
  private static final byte[] COMPLETED = ascii(RecordState.COMPLETED.name());
  private static final OutcomeKind[] OUTCOME_KINDS = OutcomeKind.values();
  private static final byte[][] OUTCOME_KIND_NAMES =
      Arrays.stream(OUTCOME_KINDS).map(kind -> ascii(kind.name())).toArray(byte[][]::new);

  /** The argument {@code '1'}. */
  static final byte[] ONE = ascii("1");

  /** The argument {@code '0'}. */
  static final byte[] ZERO = ascii("0");

  /** The empty argument. */
  static final byte[] EMPTY = new byte[0];

  private RecordReplies() {}

  /** Returns a positive duration in milliseconds, rounded up. */
  static long positiveMillis(Duration duration, String what) {
    Objects.requireNonNull(duration, what);
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException(what + " must be positive: " + duration);
    }
    try {
      long millis = duration.toMillis();
      // round up: a sub-millisecond remainder must not shorten a lease
      return Duration.ofMillis(millis).compareTo(duration) < 0 ? millis + 1 : millis;
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException(what + " is too long: " + duration, e);
    }
  }

  static byte[] ascii(long value) {
    return Long.toString(value).getBytes(StandardCharsets.US_ASCII);
  }

  static byte[] ascii(String value) {
    return value.getBytes(StandardCharsets.US_ASCII);
  }

  static byte[] utf8(String value) {
    return value.getBytes(StandardCharsets.UTF_8);
  }

  /** Returns the integer a script replied. */
  static long integer(Object reply) {
    if (reply instanceof Long value) {
      return value;
    }
    throw new IllegalStateException("unexpected script reply " + describe(reply));
  }

  /** Returns whether a script replied with a record rather than an integer. */
  static boolean isRecord(Object reply) {
    return reply instanceof List;
  }

  /** Decodes a record reply: the values of {@link #RECORD_FIELDS}, in that order. */
  static IdempotencyRecord record(String key, Object reply) {
    if (!(reply instanceof List<?> values) || values.size() != RECORD_FIELDS.size()) {
      throw new IllegalStateException("unexpected script reply " + describe(reply));
    }
    RecordState state = state(required(values, STATE));
    Instant leaseUntil = null;
    Outcome outcome = null;
    if (state == RecordState.IN_PROGRESS) {
      leaseUntil = millis(required(values, LEASE_UNTIL));
    } else {
      OutcomeKind kind = outcomeKind(required(values, OUTCOME_KIND));
      byte[] outcomeBytes = optional(values, OUTCOME);
      outcome =
          kind == OutcomeKind.VOID && (outcomeBytes == null || outcomeBytes.length == 0)
              ? Outcome.ofVoid()
              : Outcome.wrap(kind, outcomeBytes == null ? EMPTY : outcomeBytes);
    }
    byte[] fingerprint = optional(values, FINGERPRINT);
    return new IdempotencyRecord(
        key,
        state,
        decimal(required(values, TOKEN)),
        new String(required(values, OWNER), StandardCharsets.UTF_8),
        fingerprint == null ? null : new String(fingerprint, StandardCharsets.UTF_8),
        leaseUntil,
        outcome,
        millis(required(values, CREATED_AT)),
        millis(required(values, EXPIRES_AT)));
  }

  private static RecordState state(byte[] name) {
    if (Arrays.equals(name, IN_PROGRESS)) {
      return RecordState.IN_PROGRESS;
    }
    if (Arrays.equals(name, COMPLETED)) {
      return RecordState.COMPLETED;
    }
    // the scripts only return live records and fail on unknown states; should one get here, it
    // fails as valueOf fails on it
    return RecordState.valueOf(new String(name, StandardCharsets.US_ASCII));
  }

  private static OutcomeKind outcomeKind(byte[] name) {
    for (int i = 0; i < OUTCOME_KINDS.length; i++) {
      if (Arrays.equals(name, OUTCOME_KIND_NAMES[i])) {
        return OUTCOME_KINDS[i];
      }
    }
    // an unknown name fails as valueOf fails on it (IllegalArgumentException)
    return OutcomeKind.valueOf(new String(name, StandardCharsets.US_ASCII));
  }

  private static byte[] required(List<?> values, int index) {
    byte[] value = optional(values, index);
    if (value == null) {
      throw new IllegalStateException("record has no field " + RECORD_FIELDS.get(index));
    }
    return value;
  }

  private static byte @Nullable [] optional(List<?> values, int index) {
    Object value = values.get(index);
    if (value == null || value instanceof byte[]) {
      return (byte[]) value;
    }
    throw new IllegalStateException("unexpected value type " + value.getClass().getName());
  }

  private static Instant millis(byte[] epochMillis) {
    return Instant.ofEpochMilli(decimal(epochMillis));
  }

  /** Parses ASCII decimal digits without making a string first; anything else goes the slow way. */
  private static long decimal(byte[] digits) {
    if (digits.length == 0 || digits.length > 18) {
      return Long.parseLong(new String(digits, StandardCharsets.US_ASCII));
    }
    long value = 0;
    for (byte digit : digits) {
      if (digit < '0' || digit > '9') {
        return Long.parseLong(new String(digits, StandardCharsets.US_ASCII));
      }
      value = value * 10 + (digit - '0');
    }
    return value;
  }

  private static String describe(Object reply) {
    // the shape only: values can hold keys and customer data
    if (!(reply instanceof List<?> elements)) {
      return reply == null ? "null" : reply.getClass().getSimpleName();
    }
    StringBuilder shape = new StringBuilder("[");
    for (Object element : elements) {
      if (shape.length() > 1) {
        shape.append(", ");
      }
      shape.append(element == null ? "null" : element.getClass().getSimpleName());
    }
    return shape.append(']').toString();
  }
}
