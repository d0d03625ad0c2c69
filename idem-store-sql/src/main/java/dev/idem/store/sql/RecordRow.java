package dev.idem.store.sql;

import dev.idem.spi.IdempotencyRecord;
import dev.idem.spi.Outcome;
import dev.idem.spi.OutcomeKind;
import dev.idem.spi.RecordState;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/** A record as read, with the database's time of the read. */
record RecordRow(
    RecordState state,
    long token,
    String owner,
    @Nullable String fingerprint,
    @Nullable Instant leaseUntil,
    @Nullable String outcomeKind,
    byte @Nullable [] outcome,
    Instant createdAt,
    Instant expiresAt,
    Instant now,
    long nowMicros) {

  /**
   * Reads the {@link Statements#ROW_COLUMNS} from column {@code first} on, or returns null if they
   * are null (no record).
   */
  static @Nullable RecordRow read(ResultSet rs, int first) throws SQLException {
    String state = rs.getString(first);
    if (state == null) {
      return null;
    }
    RecordState recordState = RecordState.valueOf(state);
    long token = rs.getLong(first + 1);
    String owner = rs.getString(first + 2);
    String fingerprint = rs.getString(first + 3);
    long leaseUntil = rs.getLong(first + 4);
    boolean noLease = rs.wasNull();
    String outcomeKind = rs.getString(first + 5);
    byte[] outcome = rs.getBytes(first + 6);
    long nowMicros = rs.getLong(first + 9);
    return new RecordRow(
        recordState,
        token,
        owner,
        fingerprint,
        noLease ? null : instant(leaseUntil),
        outcomeKind,
        outcome,
        instant(rs.getLong(first + 7)),
        instant(rs.getLong(first + 8)),
        instant(nowMicros),
        nowMicros);
  }

  private static Instant instant(long epochMicros) {
    return Instant.ofEpochSecond(
        Math.floorDiv(epochMicros, 1_000_000L), Math.floorMod(epochMicros, 1_000_000L) * 1_000L);
  }

  boolean expired() {
    return !expiresAt.isAfter(now);
  }

  boolean leaseEnded() {
    return state == RecordState.IN_PROGRESS && (leaseUntil == null || !leaseUntil.isAfter(now));
  }

  IdempotencyRecord toRecord(String key) {
    Outcome stored = null;
    if (state == RecordState.COMPLETED) {
      OutcomeKind kind = OutcomeKind.valueOf(Objects.requireNonNull(outcomeKind, "outcome_kind"));
      byte[] bytes = outcome == null ? new byte[0] : outcome;
      stored =
          kind == OutcomeKind.VOID && bytes.length == 0
              ? Outcome.ofVoid()
              : Outcome.wrap(kind, bytes);
    }
    return new IdempotencyRecord(
        key,
        state,
        token,
        owner,
        fingerprint,
        state == RecordState.IN_PROGRESS ? leaseUntil : null,
        stored,
        createdAt,
        expiresAt);
  }
}
