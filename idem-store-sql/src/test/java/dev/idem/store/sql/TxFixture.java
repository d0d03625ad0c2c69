package dev.idem.store.sql;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idem.store.sql.Databases.Kind;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Name;
import org.jooq.Record;
import org.jooq.SQLDialect;
import org.jooq.Table;
import org.jooq.impl.DSL;
import org.jooq.impl.DataSourceConnectionProvider;
import org.jooq.impl.DefaultConfiguration;
import org.jooq.impl.SQLDataType;
import org.jooq.impl.ThreadLocalTransactionProvider;

/**
 * A transactional store, its jOOQ context and a business table whose rows the tests write in the
 * same transactions as the claims.
 */
final class TxFixture {

  final Kind kind;
  final JooqTransactionBinding binding;
  final DSLContext dsl;
  final JooqIdempotencyStore store;
  final String recordsTable;
  final Table<Record> business;
  final Field<String> businessKey;
  final Field<String> executedBy;

  private TxFixture(
      Kind kind,
      String recordsTable,
      String businessTable,
      boolean threadLocal,
      Duration lockTimeout) {
    this.kind = kind;
    this.recordsTable = recordsTable;
    this.binding = JooqTransactionBinding.create();
    DSLContext base =
        threadLocal
            ? DSL.using(
                new DefaultConfiguration()
                    .set(
                        new ThreadLocalTransactionProvider(
                            new DataSourceConnectionProvider(Databases.pool(kind))))
                    .set(kind.dialect))
            : DSL.using(Databases.pool(kind), kind.dialect);
    this.dsl = binding.bind(base);
    Databases.freshTable(kind, recordsTable);
    this.store =
        JooqIdempotencyStore.builder(dsl)
            .tableName(recordsTable)
            .transactional(binding)
            .lockTimeout(lockTimeout)
            .build()
            .createSchemaIfMissing();
    Name businessName = DSL.quotedName(businessTable);
    this.business = DSL.table(businessName);
    this.businessKey =
        DSL.field(businessName.append(DSL.quotedName("biz_key")), SQLDataType.VARCHAR);
    this.executedBy =
        DSL.field(businessName.append(DSL.quotedName("executed_by")), SQLDataType.VARCHAR);
    Databases.freshTable(kind, businessTable);
    String key =
        kind == Kind.MARIADB
            ? "varchar(255) character set utf8mb4 collate utf8mb4_bin"
            : kind == Kind.POSTGRES ? "varchar(255) collate \"C\"" : "varchar(255)";
    dsl.execute(
        "create table {0} ({1} " + key + " not null, {2} varchar(200) not null)",
        business,
        DSL.quotedName("biz_key"),
        DSL.quotedName("executed_by"));
  }

  /** A fixture whose transactions use jOOQ's default provider (bodies write through trx.dsl()). */
  static TxFixture create(Kind kind, String prefix, Duration lockTimeout) {
    return new TxFixture(
        kind,
        Databases.table(prefix + "_records"),
        Databases.table(prefix + "_business"),
        false,
        lockTimeout);
  }

  /**
   * A fixture whose {@code dsl} joins the thread's transaction (ThreadLocalTransactionProvider).
   */
  static TxFixture threadLocal(Kind kind, String prefix, Duration lockTimeout) {
    return new TxFixture(
        kind,
        Databases.table(prefix + "_records"),
        Databases.table(prefix + "_business"),
        true,
        lockTimeout);
  }

  /** A business write, through {@code ctx}. */
  void write(DSLContext ctx, String key, String by) {
    ctx.insertInto(business).columns(businessKey, executedBy).values(key, by).execute();
  }

  /** The committed business rows of a key. */
  int businessRows(String key) {
    return DSL.using(Databases.pool(kind), kind.dialect).fetchCount(business, businessKey.eq(key));
  }

  /** The current lock timeout of the connection {@code ctx} runs on, as the database shows it. */
  String lockTimeoutSetting(DSLContext ctx) {
    switch (kind) {
      case POSTGRES:
        return ctx.fetchValue("select current_setting('lock_timeout')").toString();
      case MARIADB:
        return ctx.fetchValue("select @@session.innodb_lock_wait_timeout").toString();
      default:
        return ctx.fetchValue("select lock_timeout()").toString();
    }
  }

  /**
   * Waits until a statement on the records table is blocked on a lock (observed in the database's
   * own views), so that a test knows a duplicate is waiting before it lets the first one finish.
   */
  void awaitLockWait() throws InterruptedException {
    DSLContext observer = DSL.using(Databases.pool(kind), kind.dialect);
    String like = "%" + recordsTable + "%";
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      int waiting;
      switch (kind) {
        case POSTGRES:
          waiting =
              count(
                  observer,
                  "select count(*) from pg_stat_activity where wait_event_type = 'Lock'"
                      + " and query like ? and pid <> pg_backend_pid()",
                  like);
          break;
        case MARIADB:
          waiting =
              count(
                  observer,
                  "select count(*) from information_schema.innodb_trx"
                      + " where trx_state = 'LOCK WAIT' and trx_query like ?",
                  like);
          break;
        default:
          waiting =
              count(
                  observer,
                  // H2 shows no blocker: a statement on the table running for 100 ms is waiting
                  "select count(*) from information_schema.sessions"
                      + " where session_state = 'RUNNING' and executing_statement like ?"
                      + " and executing_statement_start"
                      + " < dateadd(millisecond, -100, current_timestamp)",
                  like);
      }
      if (waiting > 0) {
        return;
      }
      // slower than 100 ms: MariaDB refreshes its INNODB_TRX snapshot only when it was not read
      // within the last 100 ms, so faster polling would see the same stale snapshot forever
      Thread.sleep(150);
    }
    String diagnostics =
        kind == Kind.MARIADB
            ? observer
                    .fetch("select trx_id, trx_state, trx_query from information_schema.innodb_trx")
                    .format()
                + observer
                    .fetch(
                        "select id, command, time, state, left(info, 60) from"
                            + " information_schema.processlist where db = database()")
                    .format()
            : kind == Kind.POSTGRES
                ? observer
                    .fetch(
                        "select pid, state, wait_event_type, query from pg_stat_activity"
                            + " where datname = current_database()")
                    .format()
                : observer.fetch("select * from information_schema.sessions").format();
    assertThat(false)
        .as(
            "a claim blocked on the records table within 20 s; the database shows:%n%s",
            diagnostics)
        .isTrue();
  }

  private static int count(DSLContext ctx, String sql, String like) {
    return ((Number) ctx.fetchValue(sql, like)).intValue();
  }

  SQLDialect dialect() {
    return kind.dialect;
  }
}
