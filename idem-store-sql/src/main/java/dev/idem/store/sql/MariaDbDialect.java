package dev.idem.store.sql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import org.jooq.SQLDialect;
import org.jspecify.annotations.Nullable;

/**
 * MariaDB and MySQL: the store's statements ({@link Dialect} writes the three every database
 * shares: {@code release}, {@code delete} and the schema check). Times are UTC {@code datetime(6)}
 * from {@code utc_timestamp(6)}; a token is that time in microseconds since the epoch. MySQL has no
 * {@code INSERT ... RETURNING}: it reads the clock first, binds the token and claims in two
 * statements at least; MariaDB claims in one.
 */
final class MariaDbDialect extends Dialect {

  private static final int LOCK_WAIT_TIMEOUT = 1205;
  private static final int DEADLOCK = 1213;
  private static final int DUPLICATE_ENTRY = 1062;

  private final boolean mysql;

  MariaDbDialect(SQLDialect dialect, String name) {
    super(dialect, name, "schema-mariadb.sql");
    this.mysql = dialect.family() == SQLDialect.MYSQL;
  }

  @Override
  String insertIfAbsent() {
    return """
        insert ignore into {table}
               (idem_key, state, token, owner, fingerprint, lease_until, created_at, expires_at)
        values (:key, 'IN_PROGRESS', %s, :owner, :fingerprint,
                utc_timestamp(6) + interval :lease_micros microsecond,
                utc_timestamp(6),
                utc_timestamp(6) + interval :life_micros microsecond)%s"""
        .formatted(
            mysql
                ? ":new_token"
                : "timestampdiff(microsecond, '1970-01-01 00:00:00', utc_timestamp(6))",
            mysql ? "" : "\nreturning token");
  }

  /**
   * MariaDB: an insert whose duplicate-key branch changes nothing, so that its {@code RETURNING}
   * returns either the record it inserted or the one it found. To tell the two apart, the inserted
   * record carries the call's {@code :nonce} in its outcome column, which a record in progress does
   * not otherwise use (completion and takeover overwrite it); the statement returns the token first
   * when the returned record carries this call's nonce. (A session variable assigned in the
   * duplicate-key branch was tried and is not reliable: after a lock wait, MariaDB 10.11 computed
   * {@code RETURNING} without it.) The duplicate-key branch locks the existing row for the
   * statement, as any upsert does. MySQL: none.
   */
  @Override
  @Nullable String claimOneTrip() {
    if (mysql) {
      return null;
    }
    return """
        insert into {table}
               (idem_key, state, token, owner, fingerprint, lease_until, created_at, expires_at,
                outcome)
        values (:key, 'IN_PROGRESS',
                timestampdiff(microsecond, '1970-01-01 00:00:00', utc_timestamp(6)),
                :owner, :fingerprint,
                utc_timestamp(6) + interval :lease_micros microsecond,
                utc_timestamp(6),
                utc_timestamp(6) + interval :life_micros microsecond,
                :nonce)
        on duplicate key update idem_key = idem_key
        returning if(outcome <=> :nonce, token, null),
                  state, token, owner, fingerprint,
                  timestampdiff(microsecond, '1970-01-01 00:00:00', lease_until),
                  outcome_kind, outcome,
                  timestampdiff(microsecond, '1970-01-01 00:00:00', created_at),
                  timestampdiff(microsecond, '1970-01-01 00:00:00', expires_at),
                  timestampdiff(microsecond, '1970-01-01 00:00:00', utc_timestamp(6))""";
  }

  @Override
  @Nullable String nowMicros() {
    return mysql
        ? "select timestampdiff(microsecond, '1970-01-01 00:00:00', utc_timestamp(6))"
        : null;
  }

  @Override
  String read() {
    return """
        select state, token, owner, fingerprint,
               timestampdiff(microsecond, '1970-01-01 00:00:00', lease_until),
               outcome_kind, outcome,
               timestampdiff(microsecond, '1970-01-01 00:00:00', created_at),
               timestampdiff(microsecond, '1970-01-01 00:00:00', expires_at),
               timestampdiff(microsecond, '1970-01-01 00:00:00', utc_timestamp(6))
          from {table}
         where idem_key = :key""";
  }

  /** A locking read: MariaDB's REPEATABLE READ snapshot would not show a newer commit. */
  @Override
  String readCurrent() {
    return read() + (mysql ? "\n   for share" : "\n   lock in share mode");
  }

  @Override
  String held() {
    return """
         where idem_key = :key and token = :token and state = 'IN_PROGRESS'
           and expires_at > utc_timestamp(6)""";
  }

  @Override
  String takeOver(boolean expired) {
    return """
        update {table}
           set state = 'IN_PROGRESS', token = :new_token, owner = :owner,
               fingerprint = :fingerprint,
               lease_until = utc_timestamp(6) + interval :lease_micros microsecond,
               outcome_kind = null, outcome = null,
               expires_at = utc_timestamp(6) + interval :life_micros microsecond%s
         where idem_key = :key and token = :token
           and (expires_at <= utc_timestamp(6)
                or (state = 'IN_PROGRESS' and lease_until <= utc_timestamp(6)))"""
        .formatted(expired ? ",\n       created_at = utc_timestamp(6)" : "");
  }

  @Override
  String complete() {
    return """
        update {table}
           set state = 'COMPLETED', outcome_kind = :outcome_kind, outcome = :outcome,
               lease_until = null, expires_at = utc_timestamp(6) + interval :ttl_micros microsecond
        """
        + held();
  }

  @Override
  String renew() {
    return """
        update {table}
           set lease_until = utc_timestamp(6) + interval :lease_micros microsecond,
               expires_at = greatest(expires_at,
                 utc_timestamp(6) + interval :lease_micros microsecond)
        """
        + held();
  }

  /** A single-table DELETE takes ORDER BY and LIMIT natively (and cannot select from itself). */
  @Override
  String purge() {
    return """
        delete from {table}
         where expires_at <= utc_timestamp(6)
         order by expires_at
         limit :max_rows""";
  }

  /** {@code innodb_lock_wait_timeout} is whole seconds and per session: keep the old value. */
  @Override
  LockTimeoutRestore limitLockWait(Connection c, Duration timeout) throws SQLException {
    long seconds = Math.max(1, (timeout.toMillis() + 999) / 1000);
    try (PreparedStatement set =
        c.prepareStatement(
            "set @idem_lock_wait_timeout = @@session.innodb_lock_wait_timeout,"
                + " @@session.innodb_lock_wait_timeout = "
                + seconds)) {
      set.execute();
    }
    return restore -> {
      try (PreparedStatement reset =
          restore.prepareStatement(
              "set @@session.innodb_lock_wait_timeout = @idem_lock_wait_timeout")) {
        reset.execute();
      }
    };
  }

  @Override
  boolean restoreAfterFailure() {
    return true;
  }

  @Override
  boolean isLockConflict(SQLException e) {
    return e.getErrorCode() == LOCK_WAIT_TIMEOUT || e.getErrorCode() == DEADLOCK;
  }

  @Override
  boolean isDuplicateKey(SQLException e) {
    return e.getErrorCode() == DUPLICATE_ENTRY;
  }
}
