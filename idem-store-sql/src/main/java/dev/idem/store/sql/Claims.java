package dev.idem.store.sql;

import dev.idem.IdempotencyStoreException;
import dev.idem.spi.ClaimResult;
import dev.idem.spi.IdempotencyRecord;
import dev.idem.store.sql.SqlStatement.Arguments;
import dev.idem.store.sql.SqlStatement.Param;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The store's claim, on one connection: outside a transaction, where the database can, one
 * statement reads or inserts the record ({@link Dialect#claimOneTrip()}); otherwise an
 * insert-if-absent is followed by a read when the key exists (in a transaction, a current read that
 * sees the latest committed record). An expired record or ended lease is then taken over by an
 * update conditional on the token read. A transactional claim runs with the database's lock timeout
 * bounded, and puts the previous timeout back after it.
 */
final class Claims {

  /** Bounds the claim's retries when records keep changing under it (release, takeover, purge). */
  private static final int MAX_CLAIM_ATTEMPTS = 16;

  /** What a claim asks for. */
  record Claim(
      String key, @Nullable String fingerprint, String owner, Duration lease, Duration ttl) {

    Duration life() {
      return ttl.compareTo(lease) > 0 ? ttl : lease;
    }

    Arguments arguments() {
      Arguments arguments = new Arguments(key);
      arguments.owner = owner;
      arguments.fingerprint = fingerprint;
      arguments.leaseMicros = Dialect.micros(lease);
      arguments.lifeMicros = Dialect.micros(life());
      return arguments;
    }
  }

  private final Dialect dialect;
  private final Statements sql;
  private final Duration lockTimeout;
  private final long storeId = new SecureRandom().nextLong();
  private final AtomicLong claims = new AtomicLong();

  Claims(Dialect dialect, Statements sql, Duration lockTimeout) {
    this.dialect = dialect;
    this.sql = sql;
    this.lockTimeout = lockTimeout;
  }

  /** Claims on {@code c}, a connection of the caller's transaction, with the lock wait bounded. */
  ClaimResult claimInTransaction(Connection c, Claim claim) throws SQLException {
    Dialect.LockTimeoutRestore restore = dialect.limitLockWait(c, lockTimeout);
    ClaimResult result;
    try {
      result = claim(c, claim, true);
    } catch (SQLException | RuntimeException e) {
      if (dialect.restoreAfterFailure()) {
        try {
          restore.restore(c);
        } catch (SQLException | RuntimeException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
    restore.restore(c);
    return result;
  }

  /** Claims on {@code c} outside any transaction. */
  ClaimResult claim(Connection c, Claim claim) throws SQLException {
    return claim(c, claim, false);
  }

  private ClaimResult claim(Connection c, Claim claim, boolean inTransaction) throws SQLException {
    Arguments arguments = claim.arguments();
    SqlStatement oneTrip = inTransaction ? null : sql.claimOneTrip;
    boolean marked = oneTrip != null && oneTrip.uses(Param.NONCE);
    for (int attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
      RecordRow row;
      if (oneTrip != null) {
        if (marked) {
          arguments.nonce = nonce();
        }
        try (PreparedStatement statement = oneTrip.prepare(c, arguments);
            ResultSet rs = statement.executeQuery()) {
          if (!rs.next()) {
            continue;
          }
          long token = rs.getLong(1);
          if (!rs.wasNull()) {
            return ClaimResult.acquired(token, false);
          }
          row = RecordRow.read(rs, 2);
        }
      } else {
        Long token = insertIfAbsent(c, arguments);
        if (token != null) {
          return inTransaction
              ? ClaimResult.acquiredInTransaction(token)
              : ClaimResult.acquired(token, false);
        }
        row = sql.read(c, arguments, inTransaction);
      }
      if (row == null) {
        continue; // released, purged, or committed after this statement's snapshot
      }
      if (!row.expired() && !row.leaseEnded()) {
        IdempotencyRecord record = row.toRecord(claim.key());
        return record.isCompleted()
            ? ClaimResult.completed(record)
            : ClaimResult.inProgress(record);
      }
      long newToken = Math.max(row.token() + 1, row.nowMicros());
      arguments.token = row.token();
      arguments.newToken = newToken;
      if ((row.expired() ? sql.takeOverExpired : sql.takeOver).update(c, arguments) == 1) {
        return inTransaction
            ? ClaimResult.acquiredInTransaction(newToken)
            : ClaimResult.acquired(newToken, !row.expired());
      }
    }
    throw IdempotencyStoreException.of(
        dialect.storeName(),
        "claim",
        "the record kept changing under concurrent claims; no decision after "
            + MAX_CLAIM_ATTEMPTS
            + " attempts");
  }

  private @Nullable Long insertIfAbsent(Connection c, Arguments arguments) throws SQLException {
    try {
      SqlStatement nowMicros = sql.nowMicros;
      if (nowMicros == null) {
        try (PreparedStatement statement = sql.insertIfAbsent.prepare(c, arguments);
            ResultSet rs = statement.executeQuery()) {
          return rs.next() ? rs.getLong(1) : null;
        }
      }
      try (PreparedStatement statement = nowMicros.prepare(c, arguments);
          ResultSet rs = statement.executeQuery()) {
        rs.next();
        arguments.newToken = rs.getLong(1);
      }
      return sql.insertIfAbsent.update(c, arguments) == 1 ? arguments.newToken : null;
    } catch (SQLException e) {
      if (dialect.isDuplicateKey(e)) {
        return null; // H2's MERGE can still collide with a concurrent insert
      }
      throw e;
    }
  }

  /**
   * A value no other claim uses: this store's random identity and a counter. Marks the record a
   * one-trip claim inserts (see {@link Dialect#claimOneTrip()}).
   */
  private byte[] nonce() {
    return ByteBuffer.allocate(16).putLong(storeId).putLong(claims.incrementAndGet()).array();
  }
}
