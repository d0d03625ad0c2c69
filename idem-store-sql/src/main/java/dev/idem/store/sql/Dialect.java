package dev.idem.store.sql;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.jspecify.annotations.Nullable;

/**
 * Everything that differs between the supported databases, one subclass per database: the text of
 * every statement the store runs ({@link PostgresDialect}, {@link MariaDbDialect} for MariaDB and
 * MySQL, {@link H2Dialect}), the lock timeout of the transactional mode, the error codes and the
 * DDL resource.
 *
 * <p>Statements are SQL text with named parameters, {@code :key}, and the records table written
 * {@code {table}} (see {@link SqlStatement}); jOOQ renders and quotes the table name. Every
 * statement that reads a record returns the {@link Statements#ROW_COLUMNS row columns} in the same
 * order: {@code state, token, owner, fingerprint, lease_until, outcome_kind, outcome, created_at,
 * expires_at}, then the database's current time; every time as microseconds since the epoch (a
 * {@code bigint}: cheaper for a driver to decode than a timestamp). Every time is the database's
 * clock, with microseconds.
 */
abstract class Dialect {

  /** Restores the lock timeout a transactional claim changed. */
  interface LockTimeoutRestore {
    void restore(Connection c) throws SQLException;
  }

  private final SQLDialect sqlDialect;
  private final String storeName;
  private final String schemaResource;

  Dialect(SQLDialect sqlDialect, String storeName, String schemaResource) {
    this.sqlDialect = sqlDialect;
    this.storeName = storeName;
    this.schemaResource = schemaResource;
  }

  static Dialect of(SQLDialect dialect) {
    switch (dialect.family()) {
      case POSTGRES:
        return new PostgresDialect(dialect);
      case MARIADB:
        return new MariaDbDialect(dialect, "mariadb");
      case MYSQL:
        return new MariaDbDialect(dialect, "mysql");
      case H2:
        return new H2Dialect(dialect);
      default:
        throw new IllegalArgumentException(
            "unsupported SQL dialect "
                + dialect
                + "; supported: POSTGRES, MARIADB, MYSQL, H2 (and their versioned variants)");
    }
  }

  final SQLDialect sqlDialect() {
    return sqlDialect;
  }

  /** The store's name, as {@code IdempotencyStore.name()}. */
  final String storeName() {
    return storeName;
  }

  /** The classpath resource holding this database's DDL for the default table name. */
  final String schemaResource() {
    return schemaResource;
  }

  // --- statements: SQL text with named parameters, see the class documentation -----------------

  /**
   * Inserts a record in progress unless the key exists, returning the new token (the database clock
   * in microseconds) when it inserted; where the database cannot return it (MySQL) the token is
   * {@link #nowMicros()}, read first and bound as {@code :new_token}, and nothing is returned.
   */
  abstract String insertIfAbsent();

  /**
   * The claim in one statement, or null where the database cannot express it: one row whose first
   * column is the new token when this statement inserted the record, followed by the row columns of
   * the record it found otherwise (all null when it found none; none at all when a concurrent claim
   * committed the key after the statement's snapshot: the caller tries again).
   */
  @Nullable String claimOneTrip() {
    return null;
  }

  /**
   * The clock in microseconds, where {@link #insertIfAbsent()} cannot return the token; or null.
   */
  @Nullable String nowMicros() {
    return null;
  }

  /** Reads the record's row columns. */
  abstract String read();

  /**
   * Reads the record's row columns as a current read that sees the latest committed version of the
   * row even inside a transaction whose snapshot predates it, used by transactional claims.
   */
  abstract String readCurrent();

  /**
   * Takes over the record read with {@code :token} if it has expired or its lease has ended; {@code
   * expired} also starts a new life (a new record in place of an expired one).
   */
  abstract String takeOver(boolean expired);

  /** Completes the record its caller {@linkplain #held() holds}. */
  abstract String complete();

  /**
   * The condition of {@link #complete()}, {@link #release()} and {@link #renew()}: the record with
   * {@code :key} and {@code :token}, its caller's, still in progress, not expired.
   */
  abstract String held();

  /** Deletes the record its caller {@linkplain #held() holds}. */
  final String release() {
    return "delete from {table}\n" + held();
  }

  /** Deletes the record with {@code :key}, whatever its state. */
  String delete() {
    return "delete from {table} where idem_key = :key";
  }

  /** Extends the lease of the record its caller {@linkplain #held() holds}. */
  abstract String renew();

  /** Deletes at most {@code :max_rows} expired records. */
  abstract String purge();

  /** Selects every column the store uses from no row: fails if the table or a column is missing. */
  String requireColumns() {
    return """
        select idem_key, state, token, owner, fingerprint, lease_until, outcome_kind, outcome,
               created_at, expires_at
          from {table}
         where 1 = 0""";
  }

  // --- behaviour ---------------------------------------------------------------------------------

  /**
   * Sets the lock timeout of the current transaction for the claim's statements and returns how to
   * put the previous value back.
   */
  abstract LockTimeoutRestore limitLockWait(Connection c, Duration timeout) throws SQLException;

  /** Whether the previous lock timeout can (and must) be restored after a failed claim. */
  abstract boolean restoreAfterFailure();

  /** Whether the failure is a lock timeout, a deadlock or a serialization conflict. */
  abstract boolean isLockConflict(SQLException e);

  /** Whether the failure is a duplicate key. */
  abstract boolean isDuplicateKey(SQLException e);

  /** The expiry index's name as the DDL of table {@code t} writes it, rendered and quoted. */
  String indexName(DSLContext ctx, RecordsTable t) {
    // PostgreSQL creates the index in the table's schema and MariaDB declares it in the table:
    // the name must not be qualified
    return ctx.render(DSL.quotedName(t.indexName()));
  }

  static long micros(Duration duration) {
    return Math.addExact(
        Math.multiplyExact(duration.getSeconds(), 1_000_000L), duration.getNano() / 1_000);
  }
}
