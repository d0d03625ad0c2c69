package dev.idem.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Scenario 4, kill -9 in the SQL store's transactional mode: worker JVMs run calls whose claim, a
 * business row and the completion commit in one PostgreSQL transaction ({@value #THREADS} threads,
 * each key's duplicates blocking on the unique index), and each worker is killed with {@code kill
 * -9} at a random moment, until {@value #KILLS} kills have landed while the worker was still
 * working; {@value #PIPELINES} workers run at once, each pipeline starting its next worker after a
 * kill. Every trial's keys are half new, half the previous trial's (interrupted or replayed). After
 * the kills, and again after a last worker that is not killed finishes every key: zero business
 * rows without a record, zero records without a business row, no key with two rows, no record left
 * {@code IN_PROGRESS}; and at the end every key has exactly one row.
 */
@Tag("chaos")
class TransactionalKillChaosTest {

  static final int KILLS = 100;
  static final int MAX_TRIALS = 160;
  static final int NEW_KEYS_PER_TRIAL = 20;
  static final int THREADS = 3;
  static final int PIPELINES = 8;
  static final int MAX_KILL_DELAY_MILLIS = 700;

  @Test
  @Timeout(value = 14, unit = TimeUnit.MINUTES)
  void killedTransactionsLeaveNoRowWithoutRecordAndNoRecordWithoutRow() throws Exception {
    long start = System.nanoTime();
    PrivatePostgres pg = ChaosServers.postgres();
    String run = ChaosServers.run("tx");
    String records = Backend.table(run);
    String business = records + "_business";
    List<WorkerProcess> workers = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (HikariDataSource pool = ChaosServers.pool(pg.jdbcUrl(), 4)) {
      ChaosServers.sqlStore(pool, records);
      DSLContext sql = DSL.using(pool, SQLDialect.POSTGRES);
      sql.execute(
          "create table "
              + DSL.quotedName(business)
              + " (biz_key varchar(255) collate \"C\" not null, executed_by varchar(200) not null)");

      Set<String> allKeys = ConcurrentHashMap.newKeySet();
      AtomicInteger landed = new AtomicInteger();
      AtomicInteger finishedBeforeKill = new AtomicInteger();
      AtomicInteger commitsBeforeKills = new AtomicInteger();
      AtomicInteger trials = new AtomicInteger();
      long budgetEnd = System.nanoTime() + TimeUnit.MINUTES.toNanos(budgetMinutes());
      ExecutorService pipelines = Executors.newFixedThreadPool(PIPELINES);
      List<Future<?>> running = new ArrayList<>();
      for (int p = 0; p < PIPELINES; p++) {
        int pipeline = p;
        running.add(
            pipelines.submit(
                () -> {
                  Random random = new Random(run.hashCode() * 31L + pipeline);
                  for (int t = 0;
                      landed.get() < KILLS
                          && System.nanoTime() < budgetEnd
                          && trials.incrementAndGet() <= MAX_TRIALS;
                      t++) {
                    List<String> keys = new ArrayList<>(newKeys(run, pipeline, t));
                    if (t > 0) {
                      keys.addAll(newKeys(run, pipeline, t - 1));
                    }
                    WorkerProcess worker =
                        startWorker(run, business, "p" + pipeline + "t" + t, keys);
                    workers.add(worker);
                    try {
                      worker.awaitPrefix("READY", 180_000);
                      worker.send("GO");
                      Thread.sleep(random.nextInt(MAX_KILL_DELAY_MILLIS + 1));
                      worker.kill9();
                      if (worker.lines("DONE").isEmpty()) {
                        landed.incrementAndGet();
                      } else {
                        finishedBeforeKill.incrementAndGet();
                      }
                      commitsBeforeKills.addAndGet(worker.lines("COMMIT ").size());
                      allKeys.addAll(keys);
                    } finally {
                      worker.close();
                      workers.remove(worker);
                    }
                  }
                  return null;
                }));
      }
      try {
        for (Future<?> pipeline : running) {
          pipeline.get(budgetMinutes() + 4, TimeUnit.MINUTES);
        }
      } finally {
        pipelines.shutdownNow();
      }
      awaitNoWorkerSessions(sql);

      List<String> problems = new ArrayList<>();
      check(sql, records, business, "after the kills", problems);
      int rowsAfterKills = sql.fetchCount(DSL.table(DSL.quotedName(business)));

      // a last worker, not killed, finishes every key
      WorkerProcess last = startWorker(run, business, "last", new ArrayList<>(allKeys));
      workers.add(last);
      last.awaitPrefix("READY", 180_000);
      last.send("GO");
      last.awaitPrefix("DONE", 300_000);
      last.awaitExit(60_000);
      workers.remove(last);
      awaitNoWorkerSessions(sql);
      check(sql, records, business, "after the last worker", problems);
      int keysWithOneRow = 0;
      for (String key : allKeys) {
        int rows =
            sql.fetchCount(
                DSL.table(DSL.quotedName(business)), DSL.field("biz_key").eq(DSL.val(key)));
        if (rows == 1) {
          keysWithOneRow++;
        } else {
          problems.add(key + " has " + rows + " business rows at the end");
        }
      }
      if (landed.get() < KILLS) {
        problems.add(
            "only "
                + landed.get()
                + " kills landed mid-work within "
                + budgetMinutes()
                + " minutes; "
                + KILLS
                + " needed");
      }
      Figures figures =
          new Figures(
                  "4 kill -9 in SQL transactional mode, postgres",
                  landed.get(),
                  keysWithOneRow,
                  allKeys.size(),
                  problems.size(),
                  landed.get()
                      + " kills mid-work ("
                      + finishedBeforeKill.get()
                      + " workers had finished first), "
                      + THREADS
                      + " threads each, "
                      + commitsBeforeKills.get()
                      + " commits seen before the kills, "
                      + rowsAfterKills
                      + " rows then"
                      + (landed.get() < KILLS
                          ? "; only " + landed.get() + " of " + KILLS + " kills within the budget"
                          : ""),
                  Backend.since(start) / 1000.0)
              .print();
      assertThat(problems).as("violations").isEmpty();
      assertThat(landed.get()).as("kills that landed mid-work").isGreaterThanOrEqualTo(KILLS);
      assertThat(figures.passed()).isTrue();
    } finally {
      Backend.closeAll(workers);
    }
  }

  /**
   * How long new workers are started, in minutes ({@code -Didem.chaos.tx.minutes}, 9 by default): a
   * run that lands fewer than {@value #KILLS} kills in that time fails, after printing its figures.
   */
  private static long budgetMinutes() {
    return Long.getLong("idem.chaos.tx.minutes", 9);
  }

  /** The keys a trial adds: the next trial of the same pipeline takes them again. */
  private static List<String> newKeys(String run, int pipeline, int trial) {
    return Backend.keys(run + "-p" + pipeline + "t" + trial, NEW_KEYS_PER_TRIAL);
  }

  private static WorkerProcess startWorker(
      String run, String business, String name, List<String> keys) {
    return WorkerProcess.start(
        run + "-" + name,
        List.of(
            "tx",
            "--pg",
            ChaosServers.postgres().jdbcUrl(),
            "--table",
            Backend.table(run),
            "--business",
            business,
            "--ledger",
            ChaosServers.ledger().address(),
            "--run",
            run,
            "--keys",
            String.join(",", keys),
            "--threads",
            Integer.toString(THREADS),
            "--lease-ms",
            "60000"));
  }

  /** Waits until PostgreSQL has ended the sessions of every killed worker (their transactions). */
  private static void awaitNoWorkerSessions(DSLContext sql) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      int sessions =
          sql.fetchCount(
              DSL.table("pg_stat_activity"),
              DSL.field("application_name").eq(DSL.val("idem-chaos-worker")));
      if (sessions == 0) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(sessions + " sessions of killed workers still open after 60 s");
      }
      Thread.sleep(200);
    }
  }

  private static void check(
      DSLContext sql, String records, String business, String when, List<String> problems) {
    String r = DSL.quotedName(records).toString();
    String b = DSL.quotedName(business).toString();
    String key = "'idem:chaos.tx:' || b.biz_key";
    long rowsWithoutRecord =
        count(
            sql,
            "select count(*) from "
                + b
                + " b where not exists (select 1 from "
                + r
                + " r where r.idem_key = "
                + key
                + ")");
    long recordsWithoutRow =
        count(
            sql,
            "select count(*) from "
                + r
                + " r where not exists (select 1 from "
                + b
                + " b where "
                + key
                + " = r.idem_key)");
    long keysWithTwoRows =
        count(
            sql,
            "select count(*) from (select biz_key from "
                + b
                + " group by biz_key having count(*) > 1) d");
    long notCompleted = count(sql, "select count(*) from " + r + " where state <> 'COMPLETED'");
    if (rowsWithoutRecord != 0) {
      problems.add(when + ": " + rowsWithoutRecord + " business rows without a record");
    }
    if (recordsWithoutRow != 0) {
      problems.add(when + ": " + recordsWithoutRow + " records without a business row");
    }
    if (keysWithTwoRows != 0) {
      problems.add(when + ": " + keysWithTwoRows + " keys with more than one business row");
    }
    if (notCompleted != 0) {
      problems.add(when + ": " + notCompleted + " records not COMPLETED");
    }
  }

  private static long count(DSLContext sql, String query) {
    return ((Number) sql.fetchValue(query)).longValue();
  }
}
