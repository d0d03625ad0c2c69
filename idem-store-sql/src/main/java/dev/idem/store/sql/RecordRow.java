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
  static @Nullable RecordRow read(ResultSet rs, int first, Dialect dialect) throws SQLException {
    String state = rs.getString(first);
    if (state == null) {
      return null;
    }
    return new RecordRow(
        RecordState.valueOf(state),
        rs.getLong(first + 1),
        rs.getString(first + 2),
        rs.getString(first + 3),
        dialect.instant(rs, first + 4),
        rs.getString(first + 5),
        rs.getBytes(first + 6),
        Objects.requireNonNull(dialect.instant(rs, first + 7), "created_at"),
        Objects.requireNonNull(dialect.instant(rs, first + 8), "expires_at"),
        Objects.requireNonNull(dialect.instant(rs, first + 9), "now"),
        rs.getLong(first + 10));
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
