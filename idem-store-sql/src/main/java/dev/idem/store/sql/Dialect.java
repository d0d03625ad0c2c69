package dev.idem.store.sql;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Set;
import org.jooq.Converter;
import org.jooq.DSLContext;
import org.jooq.DataType;
import org.jooq.Field;
import org.jooq.Name;
import org.jooq.Query;
import org.jooq.Record;
import org.jooq.ResultQuery;
import org.jooq.SQLDialect;
import org.jooq.SelectForUpdateStep;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;
import org.jspecify.annotations.Nullable;

/**
 * What differs between the supported databases: the clock expressions, the timestamp column type,
 * the lock timeout of the transactional mode, the error codes, the purge statement and the DDL.
 * Everything else is plain jOOQ, rendered by jOOQ for the configured {@link SQLDialect}.
 */
abstract class Dialect {

  /** Restores the lock timeout a transactional claim changed. */
  interface LockTimeoutRestore {
    void restore(DSLContext ctx);
  }

  private static final DataType<Instant> TIMESTAMP_WITH_TIME_ZONE =
      SQLDataType.TIMESTAMPWITHTIMEZONE(6)
          .asConvertedDataType(
              Converter.ofNullable(
                  OffsetDateTime.class,
                  Instant.class,
                  OffsetDateTime::toInstant,
                  instant -> instant.atOffset(ZoneOffset.UTC)));

  private static final DataType<Instant> UTC_DATETIME =
      SQLDataType.LOCALDATETIME(6)
          .asConvertedDataType(
              Converter.ofNullable(
                  LocalDateTime.class,
                  Instant.class,
                  local -> local.toInstant(ZoneOffset.UTC),
                  instant -> LocalDateTime.ofInstant(instant, ZoneOffset.UTC)));

  private final SQLDialect sqlDialect;
  private final String storeName;
  private final DataType<Instant> timestampType;
  private final String nowSql;
  private final String nowMicrosSql;
  private final String nowPlusMicrosSql;
  private final String schemaResource;

  Dialect(
      SQLDialect sqlDialect,
      String storeName,
      DataType<Instant> timestampType,
      String nowSql,
      String nowMicrosSql,
      String nowPlusMicrosSql,
      String schemaResource) {
    this.sqlDialect = sqlDialect;
    this.storeName = storeName;
    this.timestampType = timestampType;
    this.nowSql = nowSql;
    this.nowMicrosSql = nowMicrosSql;
    this.nowPlusMicrosSql = nowPlusMicrosSql;
    this.schemaResource = schemaResource;
  }

  static Dialect of(SQLDialect dialect) {
    switch (dialect.family()) {
      case POSTGRES:
        return new Postgres(dialect);
      case MARIADB:
        return new MySqlFamily(dialect, "mariadb");
      case MYSQL:
        return new MySqlFamily(dialect, "mysql");
      case H2:
        return new H2(dialect);
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

  /** The timestamp column type, read as UTC instants. */
  final DataType<Instant> timestampType() {
    return timestampType;
  }

  /** The database's current time; one value per statement. */
  final Field<Instant> now() {
    return DSL.field(nowSql, timestampType);
  }

  /** The database's current time in microseconds since the epoch: fresh tokens. */
  final Field<Long> nowMicros() {
    return DSL.field(nowMicrosSql, SQLDataType.BIGINT);
  }

  /** The database's current time plus a number of microseconds. */
  final Field<Instant> nowPlus(Field<Long> micros) {
    return DSL.field(nowPlusMicrosSql, timestampType, micros);
  }

  /** Reads a timestamp column of this database as an instant. */
  abstract @Nullable Instant instant(ResultSet rs, int column) throws SQLException;

  /**
   * The claim as one statement, or null where the database cannot express it: see {@link
   * Statements#claimOneTrip}. {@code columns} and {@code values} are the insert-if-absent's.
   */
  @Nullable Query oneTripClaim(
      DSLContext r, RecordsTable t, Field<?>[] columns, Field<?>[] values) {
    return null;
  }

  /** The classpath resource holding this database's DDL for the default table name. */
  final String schemaResource() {
    return schemaResource;
  }

  /** Whether {@code INSERT ... RETURNING} (or jOOQ's emulation of it) is available. */
  boolean insertReturning() {
    return true;
  }

  /**
   * Makes the query a current read that sees the latest committed version of the row even inside a
   * transaction whose snapshot predates it (MariaDB's REPEATABLE READ).
   */
  <R extends Record> ResultQuery<R> currentRead(SelectForUpdateStep<R> select) {
    return select.forShare();
  }

  /**
   * Sets the lock timeout of the current transaction for the claim's statements and returns how to
   * put the previous value back.
   */
  abstract LockTimeoutRestore limitLockWait(DSLContext ctx, Duration timeout);

  /** Whether the previous lock timeout can (and must) be restored after a failed claim. */
  abstract boolean restoreAfterFailure();

  /** Whether the failure is a lock timeout, a deadlock or a serialization conflict. */
  abstract boolean isLockConflict(SQLException e);

  /** Whether the failure is a duplicate key. */
  abstract boolean isDuplicateKey(SQLException e);

  /** Deletes at most {@code max} expired records. */
  abstract int purge(DSLContext ctx, RecordsTable t, int max);

  /** The expiry index's name as the DDL of table {@code t} writes it, rendered and quoted. */
  abstract String indexName(DSLContext ctx, RecordsTable t);

  static @Nullable Instant offsetInstant(ResultSet rs, int column) throws SQLException {
    OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
    return value == null ? null : value.toInstant();
  }

  static long micros(Duration duration) {
    return Math.addExact(
        Math.multiplyExact(duration.getSeconds(), 1_000_000L), duration.getNano() / 1_000);
  }

  /** Deletes by key what a bounded, locking subquery selected; the outer condition re-checks. */
  static int purgeByKeySubquery(
      DSLContext ctx, RecordsTable t, Field<Instant> now, int max, boolean skipLocked) {
    var candidates =
        ctx.select(t.key)
            .from(t.table)
            .where(t.expiresAt.le(now))
            .orderBy(t.expiresAt)
            .limit(max)
            .forUpdate();
    return ctx.deleteFrom(t.table)
        .where(t.key.in(skipLocked ? candidates.skipLocked() : candidates))
        .and(t.expiresAt.le(now))
        .execute();
  }

  private static final class Postgres extends Dialect {
    private static final Set<String> LOCK_CONFLICTS = Set.of("55P03", "40P01", "40001");

    Postgres(SQLDialect dialect) {
      super(
          dialect,
          "postgres",
          TIMESTAMP_WITH_TIME_ZONE,
          "statement_timestamp()",
          "cast(extract(epoch from statement_timestamp()) * 1000000 as bigint)",
          "(statement_timestamp() + cast({0} as bigint) * interval '1 microsecond')",
          "schema-postgres.sql");
    }

    @Override
    @Nullable Instant instant(ResultSet rs, int column) throws SQLException {
      return offsetInstant(rs, column);
    }

    /**
     * Reads the record, and inserts it only if the read found none, in one statement: a
     * data-modifying CTE. All parts of the statement see one snapshot, so a record committed by a
     * concurrent claim after that snapshot is neither read nor overwritten: the insert's {@code ON
     * CONFLICT DO NOTHING} waits for that claim and skips, and the row comes back empty (the caller
     * retries with a new statement, hence a new snapshot).
     */
    @Override
    Query oneTripClaim(DSLContext r, RecordsTable t, Field<?>[] columns, Field<?>[] values) {
      Name existing = DSL.quotedName("idem_existing");
      Name inserted = DSL.quotedName("idem_inserted");
      Field<?>[] row = Statements.rowColumns(this, t);
      Field<?>[] recordColumns = new Field<?>[row.length - 2];
      Field<?>[] fromExisting = new Field<?>[row.length];
      for (int i = 0; i < recordColumns.length; i++) {
        recordColumns[i] = row[i];
        fromExisting[i] = DSL.field(existing.append(row[i].getUnqualifiedName()));
      }
      fromExisting[row.length - 2] = row[row.length - 2]; // the clocks
      fromExisting[row.length - 1] = row[row.length - 1];
      var read = r.select(recordColumns).from(t.table).where(t.key.eq(values[0].coerce(t.key)));
      var insert =
          r.insertInto(t.table)
              .columns(columns)
              .select(r.select(values).whereNotExists(r.selectOne().from(DSL.table(existing))))
              .onConflict(t.key)
              .doNothing()
              .returningResult(t.token);
      return DSL.query(
          "with {0} as ({1}), {2} as ({3}) select {4}, {5} from (select 1) as {6}"
              + " left join {2} on true left join {0} on true",
          existing,
          read,
          inserted,
          insert,
          DSL.field(inserted.append(t.token.getUnqualifiedName())),
          DSL.list(fromExisting),
          DSL.quotedName("idem_one"));
    }

    @Override
    LockTimeoutRestore limitLockWait(DSLContext ctx, Duration timeout) {
      String previous =
          ctx.select(
                  DSL.field("current_setting('lock_timeout')", SQLDataType.VARCHAR),
                  DSL.field(
                      "set_config('lock_timeout', {0}, true)",
                      SQLDataType.VARCHAR, DSL.val(Math.max(1, timeout.toMillis()) + "ms")))
              .fetchSingle()
              .value1();
      return c ->
          c.select(
                  DSL.field(
                      "set_config('lock_timeout', {0}, true)",
                      SQLDataType.VARCHAR, DSL.val(previous)))
              .fetch();
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

    @Override
    int purge(DSLContext ctx, RecordsTable t, int max) {
      return purgeByKeySubquery(ctx, t, now(), max, true);
    }

    @Override
    String indexName(DSLContext ctx, RecordsTable t) {
      // PostgreSQL creates the index in the table's schema; the name must not be qualified
      return ctx.render(DSL.quotedName(t.indexName()));
    }
  }

  private static final class MySqlFamily extends Dialect {
    private static final int LOCK_WAIT_TIMEOUT = 1205;
    private static final int DEADLOCK = 1213;
    private static final int DUPLICATE_ENTRY = 1062;

    MySqlFamily(SQLDialect dialect, String name) {
      super(
          dialect,
          name,
          UTC_DATETIME,
          "utc_timestamp(6)",
          "timestampdiff(microsecond, '1970-01-01 00:00:00', utc_timestamp(6))",
          "(utc_timestamp(6) + interval {0} microsecond)",
          "schema-mariadb.sql");
    }

    @Override
    boolean insertReturning() {
      // MariaDB has INSERT ... RETURNING; MySQL does not
      return sqlDialect().family() == SQLDialect.MARIADB;
    }

    @Override
    @Nullable Instant instant(ResultSet rs, int column) throws SQLException {
      LocalDateTime value = rs.getObject(column, LocalDateTime.class);
      return value == null ? null : value.toInstant(ZoneOffset.UTC);
    }

    /**
     * MariaDB: an insert whose duplicate-key branch changes nothing, so that its {@code RETURNING}
     * returns either the record it inserted or the one it found. To tell the two apart, the
     * inserted record carries the call's {@linkplain Statements.Param#NONCE nonce} in its outcome
     * column, which a record in progress does not otherwise use (completion and takeover overwrite
     * it); the statement returns the token first when the returned record carries this call's
     * nonce. (A session variable assigned in the duplicate-key branch was tried and is not
     * reliable: after a lock wait, MariaDB 10.11 computed {@code RETURNING} without it.) The
     * duplicate-key branch locks the existing row for the statement, as any upsert does.
     */
    @Override
    @Nullable Query oneTripClaim(
        DSLContext r, RecordsTable t, Field<?>[] columns, Field<?>[] values) {
      if (!insertReturning()) {
        return null; // MySQL: no RETURNING
      }
      Field<?>[] unqualified = new Field<?>[columns.length + 1];
      for (int i = 0; i < columns.length; i++) {
        unqualified[i] = DSL.field(columns[i].getUnqualifiedName());
      }
      Field<?> outcome = DSL.field(t.outcome.getUnqualifiedName());
      unqualified[columns.length] = outcome;
      Field<?>[] withNonce = Arrays.copyOf(values, values.length + 1);
      withNonce[values.length] = Statements.Param.NONCE.field();
      Field<?>[] row = Statements.rowColumns(this, t);
      for (int i = 0; i < row.length - 2; i++) {
        row[i] = DSL.field(row[i].getUnqualifiedName());
      }
      Field<?> key = DSL.field(t.key.getUnqualifiedName());
      return DSL.query(
          "insert into {0} ({1}) values ({2}) on duplicate key update {3} = {3}"
              + " returning if({4} <=> {5}, {6}, null), {7}",
          t.table,
          DSL.list(unqualified),
          DSL.list(withNonce),
          key,
          outcome,
          Statements.Param.NONCE.field(),
          DSL.field(t.token.getUnqualifiedName()),
          DSL.list(row));
    }

    @Override
    LockTimeoutRestore limitLockWait(DSLContext ctx, Duration timeout) {
      // innodb_lock_wait_timeout is whole seconds and per session: keep and restore the old value
      long seconds = Math.max(1, (timeout.toMillis() + 999) / 1000);
      ctx.execute(
          "set @idem_lock_wait_timeout = @@session.innodb_lock_wait_timeout,"
              + " @@session.innodb_lock_wait_timeout = "
              + seconds);
      return c -> c.execute("set @@session.innodb_lock_wait_timeout = @idem_lock_wait_timeout");
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

    @Override
    int purge(DSLContext ctx, RecordsTable t, int max) {
      // single-table DELETE takes ORDER BY and LIMIT natively (and cannot select from itself)
      return ctx.deleteFrom(t.table)
          .where(t.expiresAt.le(now()))
          .orderBy(t.expiresAt)
          .limit(max)
          .execute();
    }

    @Override
    String indexName(DSLContext ctx, RecordsTable t) {
      return ctx.render(DSL.quotedName(t.indexName()));
    }
  }

  private static final class H2 extends Dialect {
    private static final int LOCK_TIMEOUT = 50200;
    private static final int DEADLOCK = 40001;
    private static final int CONCURRENT_UPDATE = 90131;

    H2(SQLDialect dialect) {
      super(
          dialect,
          "h2",
          TIMESTAMP_WITH_TIME_ZONE,
          "current_timestamp(6)",
          "datediff(microsecond, timestamp with time zone '1970-01-01 00:00:00+00',"
              + " current_timestamp(6))",
          "dateadd(microsecond, {0}, current_timestamp(6))",
          "schema-h2.sql");
    }

    @Override
    @Nullable Instant instant(ResultSet rs, int column) throws SQLException {
      return offsetInstant(rs, column);
    }

    @Override
    <R extends Record> ResultQuery<R> currentRead(SelectForUpdateStep<R> select) {
      // H2 reads the latest committed version at READ COMMITTED; no shared row locks
      return select;
    }

    @Override
    LockTimeoutRestore limitLockWait(DSLContext ctx, Duration timeout) {
      int previous =
          ctx.select(DSL.field("lock_timeout()", SQLDataType.INTEGER)).fetchSingle().value1();
      ctx.execute("set lock_timeout " + Math.max(1, timeout.toMillis()));
      return c -> c.execute("set lock_timeout " + previous);
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

    @Override
    int purge(DSLContext ctx, RecordsTable t, int max) {
      return purgeByKeySubquery(ctx, t, now(), max, false);
    }

    @Override
    String indexName(DSLContext ctx, RecordsTable t) {
      // H2 puts an index in the schema its name names: qualify it like the table
      return ctx.render(t.qualifiedIndexName());
    }
  }
}
