package dev.idem.store.redis;

import dev.idem.spi.IdempotencyRecord;
import dev.idem.spi.Outcome;
import dev.idem.spi.OutcomeKind;
import dev.idem.spi.RecordState;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Encodes script arguments and decodes script replies. Every value crosses the wire as bytes with
 * an explicit encoding: numbers and enum names as ASCII decimal text, owner and fingerprint as
 * UTF-8, outcomes as the caller's bytes untouched. Nothing is ever deserialized into an object
 * whose class the data could choose.
 */
final class RecordReplies {

  /** The reply code of an acquired claim: {@code {1, token, takeover}}. */
  static final long ACQUIRED = 1;

  /** The reply code of a live record: {@code {2, field, value, ...}}. */
  static final long RECORD = 2;

  private RecordReplies() {}

  static byte[] ascii(long value) {
    return Long.toString(value).getBytes(StandardCharsets.US_ASCII);
  }

  static byte[] ascii(String value) {
    return value.getBytes(StandardCharsets.US_ASCII);
  }

  static byte[] utf8(String value) {
    return value.getBytes(StandardCharsets.UTF_8);
  }

  /** Returns the status code that starts every reply. */
  static long code(List<Object> reply) {
    if (reply.isEmpty() || !(reply.get(0) instanceof Long code)) {
      throw new IllegalStateException("unexpected script reply " + describe(reply));
    }
    return code;
  }

  /** Returns the integer at {@code index} of a reply. */
  static long integer(List<Object> reply, int index) {
    if (reply.size() <= index || !(reply.get(index) instanceof Long value)) {
      throw new IllegalStateException("unexpected script reply " + describe(reply));
    }
    return value;
  }

  /** Decodes a {@link #RECORD} reply: the code followed by the hash's field/value pairs. */
  static IdempotencyRecord record(String key, List<Object> reply) {
    Map<String, byte[]> fields = new HashMap<>();
    for (int i = 1; i + 1 < reply.size(); i += 2) {
      fields.put(text(reply.get(i)), bytes(reply.get(i + 1)));
    }
    RecordState state = RecordState.valueOf(required(fields, "state"));
    Instant leaseUntil = null;
    Outcome outcome = null;
    if (state == RecordState.IN_PROGRESS) {
      leaseUntil = millis(required(fields, "lease_until"));
    } else {
      OutcomeKind kind = OutcomeKind.valueOf(required(fields, "outcome_kind"));
      byte[] outcomeBytes = fields.getOrDefault("outcome", new byte[0]);
      outcome =
          kind == OutcomeKind.VOID && outcomeBytes.length == 0
              ? Outcome.ofVoid()
              : Outcome.wrap(kind, outcomeBytes);
    }
    return new IdempotencyRecord(
        key,
        state,
        Long.parseLong(required(fields, "token")),
        required(fields, "owner"),
        optional(fields, "fingerprint"),
        leaseUntil,
        outcome,
        millis(required(fields, "created_at")),
        millis(required(fields, "expires_at")));
  }

  private static String required(Map<String, byte[]> fields, String name) {
    String value = optional(fields, name);
    if (value == null) {
      throw new IllegalStateException("record has no field " + name);
    }
    return value;
  }

  private static @Nullable String optional(Map<String, byte[]> fields, String name) {
    byte[] value = fields.get(name);
    return value == null ? null : new String(value, StandardCharsets.UTF_8);
  }

  private static Instant millis(String epochMillis) {
    return Instant.ofEpochMilli(Long.parseLong(epochMillis));
  }

  private static String text(Object value) {
    return new String(bytes(value), StandardCharsets.UTF_8);
  }

  private static byte[] bytes(Object value) {
    if (value instanceof byte[] bytes) {
      return bytes;
    }
    throw new IllegalStateException("unexpected value type " + value.getClass().getName());
  }

  private static String describe(List<Object> reply) {
    // the shape only: values can hold keys and customer data
    StringBuilder shape = new StringBuilder("[");
    for (Object element : reply) {
      if (shape.length() > 1) {
        shape.append(", ");
      }
      shape.append(element == null ? "null" : element.getClass().getSimpleName());
    }
    return shape.append(']').toString();
  }
}
