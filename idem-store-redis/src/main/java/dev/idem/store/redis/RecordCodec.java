package dev.idem.store.redis;

import dev.idem.spi.IdempotencyRecord;
import dev.idem.spi.Outcome;
import dev.idem.spi.OutcomeKind;
import dev.idem.spi.RecordState;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The record layout of the Redis stores: one string value per key, which a plain {@code SET} can
 * write and return and a Lua script can read with a few byte offsets ({@code prelude.lua} spells
 * the same layout out). Integers are unsigned big-endian, text is UTF-8, and the outcome bytes come
 * last, untouched, so that they can be anything:
 *
 * <pre>
 * offset  size  field
 *      0     5  magic and format version: 00 'I' 'D' 'M' 01
 *      5     1  state: 'P' in progress, 'C' completed, 'R' released (a tombstone)
 *      6     1  watched: 1 when a waiter watches the record (its completion is published), else 0
 *      7     1  outcome kind of a completed record: 'V' value, 'N' void, 'E' exception,
 *               'D' dropped; '-' otherwise
 *      8     8  token
 *     16     8  P: lifetime (expiry - creation), ms     C: creation, epoch ms   R: 0
 *     24     8  P: lease gap (expiry - lease end), ms    C: expiry, epoch ms     R: 0
 *     32     4  owner length n (P and C only; a tombstone ends at 32)
 *     36     n  owner
 *   36+n     4  fingerprint length m, or FFFFFFFF for none
 *   40+n     m  fingerprint
 * 40+n+m     …  outcome (C only)
 * </pre>
 *
 * <p>An in-progress record carries durations rather than instants because a plain {@code SET}
 * writes it, and only Redis knows what time it is: its instants are derived from the key's expiry
 * ({@code PEXPIRETIME}, on the Redis clock), which Redis set from the claim's {@code PX}. A
 * completed record is written by a script that read {@code TIME}, and carries its instants, so that
 * a replay needs nothing but the value.
 *
 * <p>Anything else at a record's key fails closed: a value without the magic and version, with an
 * unknown state, kind or watched byte, or whose lengths do not add up, is never taken for an absent
 * record and never overwritten; a key of another type (a 0.1 hash) answers {@code WRONGTYPE}.
 * Nothing is ever deserialized into an object whose class the data could choose.
 */
final class RecordCodec {

  static final int HEADER = 32;
  static final byte IN_PROGRESS = 'P';
  static final byte COMPLETED = 'C';
  static final byte RELEASED = 'R';

  private static final byte[] MAGIC = {0, 'I', 'D', 'M', 1};
  private static final byte NO_KIND = '-';
  private static final int STATE = 5;
  private static final int WATCHED = 6;
  private static final int KIND = 7;
  private static final int TOKEN = 8;
  private static final int FIRST = 16;
  private static final int SECOND = 24;
  private static final int NO_FINGERPRINT = -1;

  /** The kinds' codes, in the order of {@link OutcomeKind#values()}. */
  private static final byte[] KIND_CODES = {'V', 'N', 'E', 'D'};

  private static final OutcomeKind[] KINDS = OutcomeKind.values();

  static {
    if (KINDS.length != KIND_CODES.length) {
      throw new IllegalStateException("an outcome kind has no code in the Redis record layout");
    }
  }

  private RecordCodec() {}

  /**
   * Returns an in-progress record as a claim writes it with {@code SET NX PX}.
   *
   * @param token the claim's token
   * @param lifetimeMillis the {@code PX} of the claim: the record expires that long after creation
   * @param leaseGapMillis how long before the expiry the lease ends: {@code PX - lease}
   * @param owner the claimant
   * @param fingerprint the payload fingerprint, or null
   */
  static byte[] inProgress(
      long token,
      long lifetimeMillis,
      long leaseGapMillis,
      String owner,
      @Nullable String fingerprint) {
    byte[] ownerBytes = owner.getBytes(StandardCharsets.UTF_8);
    byte[] fingerprintBytes =
        fingerprint == null ? null : fingerprint.getBytes(StandardCharsets.UTF_8);
    int size =
        HEADER + 8 + ownerBytes.length + (fingerprintBytes == null ? 0 : fingerprintBytes.length);
    ByteBuffer record = ByteBuffer.allocate(size);
    record.put(MAGIC).put(IN_PROGRESS).put((byte) 0).put(NO_KIND);
    record.putLong(token).putLong(lifetimeMillis).putLong(leaseGapMillis);
    record.putInt(ownerBytes.length).put(ownerBytes);
    if (fingerprintBytes == null) {
      record.putInt(NO_FINGERPRINT);
    } else {
      record.putInt(fingerprintBytes.length).put(fingerprintBytes);
    }
    return record.array();
  }

  /** Returns the one-byte code of an outcome kind, as the complete script stores it. */
  static byte[] kindCode(OutcomeKind kind) {
    return new byte[] {KIND_CODES[kind.ordinal()]};
  }

  /** Returns a token as the scripts compare it: eight bytes, big-endian. */
  static byte[] tokenBytes(long token) {
    return ByteBuffer.allocate(8).putLong(token).array();
  }

  /**
   * Returns the state byte of a record value after checking its whole structure.
   *
   * @throws IllegalStateException if the value is not a record of this layout
   */
  static byte state(byte[] value) {
    if (value.length < HEADER
        || !Arrays.equals(value, 0, MAGIC.length, MAGIC, 0, MAGIC.length)
        || (value[WATCHED] != 0 && value[WATCHED] != 1)) {
      throw corrupt();
    }
    byte state = value[STATE];
    byte kind = value[KIND];
    if (state == RELEASED) {
      if (value.length == HEADER && kind == NO_KIND) {
        return state;
      }
      throw corrupt();
    }
    if ((state == IN_PROGRESS && kind == NO_KIND) || (state == COMPLETED && kindOf(kind) != null)) {
      int end = outcomeOffset(value);
      // only a completed record has bytes after the fingerprint
      if (end == value.length || (state == COMPLETED && end >= 0)) {
        return state;
      }
    }
    throw corrupt();
  }

  /**
   * Decodes a record value.
   *
   * @param key the composed key
   * @param value the value at the key
   * @param expiryMillis the key's expiry in epoch milliseconds (Redis clock): required for an
   *     in-progress record, ignored for a completed one
   * @throws IllegalStateException if the value is not a live record of this layout
   */
  static IdempotencyRecord decode(String key, byte[] value, long expiryMillis) {
    byte state = state(value);
    ByteBuffer fields = ByteBuffer.wrap(value);
    long first = fields.getLong(FIRST);
    long second = fields.getLong(SECOND);
    int ownerLength = fields.getInt(HEADER);
    String owner = new String(value, HEADER + 4, ownerLength, StandardCharsets.UTF_8);
    int fingerprintAt = HEADER + 4 + ownerLength;
    int fingerprintLength = fields.getInt(fingerprintAt);
    String fingerprint =
        fingerprintLength == NO_FINGERPRINT
            ? null
            : new String(value, fingerprintAt + 4, fingerprintLength, StandardCharsets.UTF_8);
    long token = fields.getLong(TOKEN);
    if (state == IN_PROGRESS) {
      return new IdempotencyRecord(
          key,
          RecordState.IN_PROGRESS,
          token,
          owner,
          fingerprint,
          Instant.ofEpochMilli(expiryMillis - second),
          null,
          Instant.ofEpochMilli(expiryMillis - first),
          Instant.ofEpochMilli(expiryMillis));
    }
    if (state != COMPLETED) {
      throw new IllegalStateException("a tombstone is not a live record");
    }
    OutcomeKind kind = Objects.requireNonNull(kindOf(value[KIND]));
    int outcomeAt = outcomeOffset(value);
    Outcome outcome =
        kind == OutcomeKind.VOID && outcomeAt == value.length
            ? Outcome.ofVoid()
            : Outcome.wrap(kind, Arrays.copyOfRange(value, outcomeAt, value.length));
    return new IdempotencyRecord(
        key,
        RecordState.COMPLETED,
        token,
        owner,
        fingerprint,
        null,
        outcome,
        Instant.ofEpochMilli(first),
        Instant.ofEpochMilli(second));
  }

  /**
   * Decodes the reply of the claim or find script that carries a record: {@code {value, expiry in
   * epoch ms}}.
   */
  static IdempotencyRecord decodeReply(String key, Object reply) {
    if (reply instanceof List<?> values
        && values.size() == 2
        && values.get(0) instanceof byte[] value
        && values.get(1) instanceof Long expiry) {
      return decode(key, value, expiry);
    }
    throw new IllegalStateException("unexpected script reply " + describe(reply));
  }

  /** Returns whether a script replied with a record rather than an integer. */
  static boolean isRecord(Object reply) {
    return reply instanceof List;
  }

  /** Returns the integer a script replied. */
  static long integer(Object reply) {
    if (reply instanceof Long value) {
      return value;
    }
    throw new IllegalStateException("unexpected script reply " + describe(reply));
  }

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

  static byte[] utf8(String value) {
    return value.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Returns where the outcome starts (the end of the fingerprint), or -1 when the lengths point
   * past the value.
   */
  private static int outcomeOffset(byte[] value) {
    if (value.length < HEADER + 8) {
      return -1;
    }
    ByteBuffer fields = ByteBuffer.wrap(value);
    int ownerLength = fields.getInt(HEADER);
    if (ownerLength < 0 || ownerLength > value.length - HEADER - 8) {
      return -1;
    }
    int fingerprintAt = HEADER + 4 + ownerLength;
    int fingerprintLength = fields.getInt(fingerprintAt);
    if (fingerprintLength == NO_FINGERPRINT) {
      return fingerprintAt + 4;
    }
    if (fingerprintLength < 0 || fingerprintLength > value.length - fingerprintAt - 4) {
      return -1;
    }
    return fingerprintAt + 4 + fingerprintLength;
  }

  private static @Nullable OutcomeKind kindOf(byte code) {
    for (int i = 0; i < KIND_CODES.length; i++) {
      if (KIND_CODES[i] == code) {
        return KINDS[i];
      }
    }
    return null;
  }

  private static IllegalStateException corrupt() {
    return new IllegalStateException("the value is not a record of this store");
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
