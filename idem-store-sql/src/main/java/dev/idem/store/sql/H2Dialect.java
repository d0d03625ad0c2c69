package dev.idem.store.sql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;

/**
 * H2 2.x: the store's statements ({@link Dialect} writes {@code release}). Columns are quoted, as
 * the DDL creates them (H2 upper-cases unquoted names). The clock is {@code current_timestamp(6)},
 * fixed at the start of a transaction; a token is that time in microseconds since the epoch. H2's
 * {@code datediff} counts from a value's local fields, whatever its offset, so a time is moved to
 * UTC ({@code at time zone 'UTC'}) before it is counted in microseconds.
 */
final class H2Dialect extends Dialect {

  private static final int LOCK_TIMEOUT = 50200;
  private static final int DEADLOCK = 40001;
  private static final int CONCURRENT_UPDATE = 90131;

  H2Dialect(SQLDialect dialect) {
    super(dialect, "h2", "schema-h2.sql");
  }

  /**
   * A {@code MERGE} that inserts when no record has the key, read through {@code final table} to
   * return the token it inserted. Under concurrency it can still fail on the unique key; the store
   * treats that as "not inserted".
   */
  @Override
  String insertIfAbsent() {
    return """
        select "token" from final table (
          merge into {table} as "r"
          using (select cast(:key as varchar) "idem_key", 'IN_PROGRESS' "state",
                        datediff(microsecond, timestamp with time zone '1970-01-01 00:00:00+00',
                                 current_timestamp(6) at time zone 'UTC') "token",
                        cast(:owner as varchar) "owner",
                        cast(:fingerprint as varchar) "fingerprint",
                        dateadd(microsecond, cast(:lease_micros as bigint), current_timestamp(6))
                          "lease_until",
                        current_timestamp(6) "created_at",
                        dateadd(microsecond, cast(:life_micros as bigint), current_timestamp(6))
                          "expires_at") as "v"
             on "r"."idem_key" = "v"."idem_key"
          when not matched then
            insert ("idem_key", "state", "token", "owner", "fingerprint", "lease_until",
                    "created_at", "expires_at")
            values ("v"."idem_key", "v"."state", "v"."token", "v"."owner", "v"."fingerprint",
                    "v"."lease_until", "v"."created_at", "v"."expires_at")
        ) as "inserted\"""";
  }

  /** H2 reads the latest committed version at READ COMMITTED, without shared row locks. */
  @Override
  String read() {
    return """
        select "state", "token", "owner", "fingerprint",
               datediff(microsecond, timestamp with time zone '1970-01-01 00:00:00+00',
                        "lease_until" at time zone 'UTC'),
               "outcome_kind", "outcome",
               datediff(microsecond, timestamp with time zone '1970-01-01 00:00:00+00',
                        "created_at" at time zone 'UTC'),
               datediff(microsecond, timestamp with time zone '1970-01-01 00:00:00+00',
                        "expires_at" at time zone 'UTC'),
               datediff(microsecond, timestamp with time zone '1970-01-01 00:00:00+00',
                        current_timestamp(6) at time zone 'UTC')
          from {table}
         where "idem_key" = :key""";
  }

  @Override
  String readCurrent() {
    return read();
  }

  @Override
  String held() {
    return """
         where "idem_key" = :key and "token" = :token and "state" = 'IN_PROGRESS'
           and "expires_at" > current_timestamp(6)""";
  }

  @Override
  String takeOver(boolean expired) {
    return """
        update {table}
           set "state" = 'IN_PROGRESS', "token" = :new_token, "owner" = :owner,
               "fingerprint" = :fingerprint,
               "lease_until" =
                 dateadd(microsecond, cast(:lease_micros as bigint), current_timestamp(6)),
               "outcome_kind" = null, "outcome" = null,
               "expires_at" =
                 dateadd(microsecond, cast(:life_micros as bigint), current_timestamp(6))%s
         where "idem_key" = :key and "token" = :token
           and ("expires_at" <= current_timestamp(6)
                or ("state" = 'IN_PROGRESS' and "lease_until" <= current_timestamp(6)))"""
        .formatted(expired ? ",\n       \"created_at\" = current_timestamp(6)" : "");
  }

  @Override
  String complete() {
    return """
        update {table}
           set "state" = 'COMPLETED', "outcome_kind" = :outcome_kind, "outcome" = :outcome,
               "lease_until" = null,
               "expires_at" =
                 dateadd(microsecond, cast(:ttl_micros as bigint), current_timestamp(6))
        """
        + held();
  }

  @Override
  String delete() {
    return "delete from {table} where \"idem_key\" = :key";
  }

  @Override
  String renew() {
    return """
        update {table}
           set "lease_until" =
                 dateadd(microsecond, cast(:lease_micros as bigint), current_timestamp(6)),
               "expires_at" = greatest("expires_at",
                 dateadd(microsecond, cast(:lease_micros as bigint), current_timestamp(6)))
        """
        + held();
  }

  /** Waits for the rows a concurrent takeover holds; the outer condition re-checks the expiry. */
  @Override
  String purge() {
    return """
        delete from {table}
         where "idem_key" in (select "idem_key" from {table}
                               where "expires_at" <= current_timestamp(6)
                               order by "expires_at"
                               limit :max_rows
                                 for update)
           and "expires_at" <= current_timestamp(6)""";
  }

  @Override
  String requireColumns() {
    return """
        select "idem_key", "state", "token", "owner", "fingerprint", "lease_until",
               "outcome_kind", "outcome", "created_at", "expires_at"
          from {table}
         where 1 = 0""";
  }

  @Override
  LockTimeoutRestore limitLockWait(Connection c, Duration timeout) throws SQLException {
    int previous;
    try (PreparedStatement read = c.prepareStatement("select lock_timeout()");
        ResultSet rs = read.executeQuery()) {
      rs.next();
      previous = rs.getInt(1);
    }
    setLockTimeout(c, Math.max(1, timeout.toMillis()));
    return restore -> setLockTimeout(restore, previous);
  }

  private static void setLockTimeout(Connection c, long millis) throws SQLException {
    try (PreparedStatement set = c.prepareStatement("set lock_timeout " + millis)) {
      set.execute();
    }
  }

  @Override
  boolean restoreAfterFailure() {
    return true;
  }

  @Override
  boolean isLockConflict(SQLException e) {
    int code = e.getErrorCode();
    return code == LOCK_TIMEOUT || code == DEADLOCK || code == CONCURRENT_UPDATE;
  }

  @Override
  boolean isDuplicateKey(SQLException e) {
    return "23505".equals(e.getSQLState());
  }

  /** H2 puts an index in the schema its name names: qualify it like the table. */
  @Override
  String indexName(DSLContext ctx, RecordsTable t) {
    return ctx.render(t.qualifiedIndexName());
  }
}
