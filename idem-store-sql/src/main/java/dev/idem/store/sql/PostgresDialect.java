package dev.idem.store.sql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Set;
import org.jooq.SQLDialect;

/**
 * PostgreSQL: the store's statements ({@link Dialect} writes the three every database shares:
 * {@code release}, {@code delete} and the schema check). The clock is {@code
 * statement_timestamp()}, the same value throughout a statement; a token is that time in
 * microseconds since the epoch.
 */
final class PostgresDialect extends Dialect {

  private static final Set<String> LOCK_CONFLICTS = Set.of("55P03", "40P01", "40001");

  PostgresDialect(SQLDialect dialect) {
    super(dialect, "postgres", "schema-postgres.sql");
  }

  @Override
  String insertIfAbsent() {
    return """
        insert into {table}
               (idem_key, state, token, owner, fingerprint, lease_until, created_at, expires_at)
        values (:key, 'IN_PROGRESS',
                cast(extract(epoch from statement_timestamp()) * 1000000 as bigint),
                :owner, :fingerprint,
                statement_timestamp() + cast(:lease_micros as bigint) * interval '1 microsecond',
                statement_timestamp(),
                statement_timestamp() + cast(:life_micros as bigint) * interval '1 microsecond')
        on conflict (idem_key) do nothing
        returning token""";
  }

  /**
   * Reads the record, and inserts it only if the read found none, in one statement: a
   * data-modifying CTE. All parts of the statement see one snapshot, so a record committed by a
   * concurrent claim after that snapshot is neither read nor overwritten: the insert's {@code ON
   * CONFLICT DO NOTHING} waits for that claim and skips, and the row comes back empty (the caller
   * retries with a new statement, hence a new snapshot).
   */
  @Override
  String claimOneTrip() {
    return """
        with idem_existing as (
          select state, token, owner, fingerprint,
                 cast(extract(epoch from lease_until) * 1000000 as bigint) as lease_until_micros,
                 outcome_kind, outcome,
                 cast(extract(epoch from created_at) * 1000000 as bigint) as created_at_micros,
                 cast(extract(epoch from expires_at) * 1000000 as bigint) as expires_at_micros
            from {table}
           where idem_key = :key
        ), idem_inserted as (
          insert into {table}
                 (idem_key, state, token, owner, fingerprint, lease_until, created_at, expires_at)
          select :key, 'IN_PROGRESS',
                 cast(extract(epoch from statement_timestamp()) * 1000000 as bigint),
                 :owner, :fingerprint,
                 statement_timestamp() + cast(:lease_micros as bigint) * interval '1 microsecond',
                 statement_timestamp(),
                 statement_timestamp() + cast(:life_micros as bigint) * interval '1 microsecond'
           where not exists (select 1 from idem_existing)
          on conflict (idem_key) do nothing
          returning token
        )
        select idem_inserted.token,
               idem_existing.state, idem_existing.token, idem_existing.owner,
               idem_existing.fingerprint, idem_existing.lease_until_micros,
               idem_existing.outcome_kind, idem_existing.outcome,
               idem_existing.created_at_micros, idem_existing.expires_at_micros,
               cast(extract(epoch from statement_timestamp()) * 1000000 as bigint)
          from (select 1) as idem_one
          left join idem_inserted on true
          left join idem_existing on true""";
  }

  @Override
  String read() {
    return """
        select state, token, owner, fingerprint,
               cast(extract(epoch from lease_until) * 1000000 as bigint),
               outcome_kind, outcome,
               cast(extract(epoch from created_at) * 1000000 as bigint),
               cast(extract(epoch from expires_at) * 1000000 as bigint),
               cast(extract(epoch from statement_timestamp()) * 1000000 as bigint)
          from {table}
         where idem_key = :key""";
  }

  @Override
  String readCurrent() {
    return read() + "\n   for share";
  }

  @Override
  String held() {
    return """
         where idem_key = :key and token = :token and state = 'IN_PROGRESS'
           and expires_at > statement_timestamp()""";
  }

  @Override
  String takeOver(boolean expired) {
    return """
        update {table}
           set state = 'IN_PROGRESS', token = :new_token, owner = :owner,
               fingerprint = :fingerprint,
               lease_until =
                 statement_timestamp() + cast(:lease_micros as bigint) * interval '1 microsecond',
               outcome_kind = null, outcome = null,
               expires_at =
                 statement_timestamp() + cast(:life_micros as bigint) * interval '1 microsecond'%s
         where idem_key = :key and token = :token
           and (expires_at <= statement_timestamp()
                or (state = 'IN_PROGRESS' and lease_until <= statement_timestamp()))"""
        .formatted(expired ? ",\n       created_at = statement_timestamp()" : "");
  }

  @Override
  String complete() {
    return """
        update {table}
           set state = 'COMPLETED', outcome_kind = :outcome_kind, outcome = :outcome,
               lease_until = null,
               expires_at =
                 statement_timestamp() + cast(:ttl_micros as bigint) * interval '1 microsecond'
        """
        + held();
  }

  @Override
  String renew() {
    return """
        update {table}
           set lease_until =
                 statement_timestamp() + cast(:lease_micros as bigint) * interval '1 microsecond',
               expires_at = greatest(expires_at,
                 statement_timestamp() + cast(:lease_micros as bigint) * interval '1 microsecond')
        """
        + held();
  }

  /** Skips the rows a concurrent takeover holds; the outer condition re-checks the expiry. */
  @Override
  String purge() {
    return """
        delete from {table}
         where idem_key in (select idem_key from {table}
                             where expires_at <= statement_timestamp()
                             order by expires_at
                             limit :max_rows
                               for update skip locked)
           and expires_at <= statement_timestamp()""";
  }

  /** {@code SET LOCAL lock_timeout}, as a function whose value can be bound. */
  @Override
  LockTimeoutRestore limitLockWait(Connection c, Duration timeout) throws SQLException {
    String previous;
    try (PreparedStatement set =
        c.prepareStatement(
            "select current_setting('lock_timeout'), set_config('lock_timeout', ?, true)")) {
      set.setString(1, Math.max(1, timeout.toMillis()) + "ms");
      try (ResultSet rs = set.executeQuery()) {
        rs.next();
        previous = rs.getString(1);
      }
    }
    return restore -> {
      try (PreparedStatement reset =
          restore.prepareStatement("select set_config('lock_timeout', ?, true)")) {
        reset.setString(1, previous);
        reset.executeQuery().close();
      }
    };
  }

  @Override
  boolean restoreAfterFailure() {
    // a failed statement aborts the transaction; its SET LOCAL dies with the rollback
    return false;
  }

  @Override
  boolean isLockConflict(SQLException e) {
    return LOCK_CONFLICTS.contains(e.getSQLState());
  }

  @Override
  boolean isDuplicateKey(SQLException e) {
    return "23505".equals(e.getSQLState());
  }
}
