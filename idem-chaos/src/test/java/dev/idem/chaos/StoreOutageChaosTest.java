package dev.idem.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.idem.Idempotency;
import dev.idem.IdempotencyInProgressException;
import dev.idem.IdempotencyStoreException;
import dev.idem.IdempotentOperation;
import dev.idem.annotation.OnInProgress;
import dev.idem.spi.IdempotencyStore;
import dev.idem.store.redis.RedissonIdempotencyStore;
import dev.idem.test.servers.RedisServerProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Scenario 5, the store killed: Redis ({@code kill -9} of a private {@code redis-server} without
 * persistence) and PostgreSQL ({@code pg_ctl stop -m immediate} of the private cluster).
 *
 * <ul>
 *   <li>Before the claim: every call fails closed with {@link IdempotencyStoreException} and no
 *       body runs; after a restart the same store works again.
 *   <li>During the body, the documented outcome (README, "Where a body can run again"): Idem cannot
 *       store the result, retries the completion three times and returns the value to its caller.
 *       On PostgreSQL the committed claim stays {@code IN_PROGRESS}: a retry within the lease gets
 *       409 without running, and the first retry after the lease takes over and runs the body
 *       again. On Redis without persistence the restarted server is empty ("every key can run once
 *       more after a restart", the durability table): the retry runs the body again at once. Either
 *       way a later retry replays the second run.
 * </ul>
 */
@Tag("chaos")
class StoreOutageChaosTest {

  static final int CALLS = 8;

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void redisKilledBeforeTheClaimFailsClosed() throws Exception {
    long start = System.nanoTime();
    try (RedisServerProcess redis = PrivateRedis.start("outage-before");
        RedissonIdempotencyStore store = ChaosServers.redisStore(redis.url())) {
      redis.kill();
      beforeClaim("redis", store, start, redis::restart);
    }
  }

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void postgresKilledBeforeTheClaimFailsClosed() throws Exception {
    long start = System.nanoTime();
    PrivatePostgres pg = ChaosServers.postgres();
    String run = ChaosServers.run("outage-before-pg");
    try (HikariDataSource pool = ChaosServers.pool(pg.jdbcUrl(), 12)) {
      IdempotencyStore store = ChaosServers.sqlStore(pool, Backend.table(run));
      pg.kill();
      try {
        beforeClaim("postgres", store, start, pg::restart);
      } finally {
        if (!pg.isRunning()) {
          pg.restart();
        }
      }
    }
  }

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void redisKilledDuringTheBodyRunsItAgainAfterTheRestart() throws Exception {
    long start = System.nanoTime();
    try (RedisServerProcess redis = PrivateRedis.start("outage-during");
        RedissonIdempotencyStore store = ChaosServers.redisStore(redis.url())) {
      duringBody("redis", store, Duration.ofSeconds(5), start, redis::kill, redis::restart, false);
    }
  }

  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void postgresKilledDuringTheBodyKeepsTheKeyClaimedUntilItsLeaseEnds() throws Exception {
    long start = System.nanoTime();
    PrivatePostgres pg = ChaosServers.postgres();
    String run = ChaosServers.run("outage-during-pg");
    try (HikariDataSource pool = ChaosServers.pool(pg.jdbcUrl(), 12)) {
      IdempotencyStore store = ChaosServers.sqlStore(pool, Backend.table(run));
      try {
        duringBody("postgres", store, Duration.ofSeconds(30), start, pg::kill, pg::restart, true);
      } finally {
        if (!pg.isRunning()) {
          pg.restart();
        }
      }
    }
  }

  private static void beforeClaim(
      String storeName, IdempotencyStore store, long start, Runnable restart) throws Exception {
    String run = ChaosServers.run("before-" + storeName);
    Ledger ledger = ChaosServers.ledger();
    Idempotency idem =
        Backend.idempotency(store, "caller", Duration.ofSeconds(5), OnInProgress.WAIT);
    IdempotentOperation<String> op = idem.operation("chaos.outage", String.class).build();
    List<String> keys = Backend.keys(run, CALLS);
    ExecutorService pool = Executors.newFixedThreadPool(CALLS);
    List<String> problems = new ArrayList<>();
    int failedClosed = 0;
    try {
      List<Future<Throwable>> calls = new ArrayList<>();
      for (String key : keys) {
        calls.add(
            pool.submit(
                () -> {
                  try {
                    op.execute(key, key, () -> body(ledger, run, key));
                    return null;
                  } catch (Throwable t) {
                    return t;
                  }
                }));
      }
      for (int i = 0; i < CALLS; i++) {
        Throwable failure = calls.get(i).get(60, TimeUnit.SECONDS);
        if (failure instanceof IdempotencyStoreException) {
          failedClosed++;
        } else {
          problems.add(keys.get(i) + ": expected IdempotencyStoreException, got " + failure);
        }
      }
      int executions = 0;
      for (String key : keys) {
        executions += ledger.executions(run, key);
      }
      if (executions != 0) {
        problems.add(executions + " bodies ran while the store was down");
      }
      restart.run();
      // the same store works again, without being rebuilt
      for (String key : keys) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
          try {
            op.execute(key, key, () -> body(ledger, run, key));
            break;
          } catch (IdempotencyStoreException e) {
            if (System.nanoTime() > deadline) {
              problems.add(key + ": the store did not work again after the restart: " + e);
              break;
            }
            Thread.sleep(200);
          }
        }
        if (ledger.executions(run, key) != 1) {
          problems.add(key + " ran " + ledger.executions(run, key) + " times after the restart");
        }
      }
      Figures figures =
          new Figures(
                  "5 store killed before the claim, " + storeName,
                  CALLS,
                  executions,
                  0,
                  problems.size(),
                  failedClosed
                      + " of "
                      + CALLS
                      + " calls failed closed (IdempotencyStoreException);"
                      + " after the restart each key ran once",
                  Backend.since(start) / 1000.0)
              .print();
      assertThat(problems).as("violations").isEmpty();
      assertThat(figures.passed()).isTrue();
    } finally {
      pool.shutdownNow();
      idem.close();
    }
  }

  private static void duringBody(
      String storeName,
      IdempotencyStore store,
      Duration lease,
      long start,
      Runnable kill,
      Runnable restart,
      boolean claimSurvives)
      throws Exception {
    String run = ChaosServers.run("during-" + storeName);
    Ledger ledger = ChaosServers.ledger();
    Idempotency idem = Backend.idempotency(store, "caller", lease, OnInProgress.REJECT);
    IdempotentOperation<String> op = idem.operation("chaos.outage", String.class).build();
    List<String> keys = Backend.keys(run, CALLS);
    ExecutorService pool = Executors.newFixedThreadPool(CALLS);
    CountDownLatch started = new CountDownLatch(CALLS);
    CountDownLatch killed = new CountDownLatch(1);
    List<String> problems = new ArrayList<>();
    try {
      List<Future<String>> calls = new ArrayList<>();
      for (String key : keys) {
        calls.add(
            pool.submit(
                () ->
                    op.execute(
                        key,
                        key,
                        () -> {
                          String value = body(ledger, run, key);
                          started.countDown();
                          killed.await();
                          return value;
                        })));
      }
      assertThat(started.await(60, TimeUnit.SECONDS)).as("all bodies started").isTrue();
      kill.run();
      killed.countDown();
      List<String> firstValues = new ArrayList<>();
      for (int i = 0; i < CALLS; i++) {
        String value = calls.get(i).get(90, TimeUnit.SECONDS);
        firstValues.add(value);
        if (!value.startsWith("caller/" + keys.get(i) + "/")) {
          problems.add(keys.get(i) + ": its caller got " + value + ", not its own value");
        }
      }
      restart.run();
      int rejectedWithinLease = 0;
      if (claimSurvives) {
        for (String key : keys) {
          // the pool reconnects after the restart: a 503 meanwhile is retried
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
          while (true) {
            try {
              op.execute(key, key, () -> "must not run");
              problems.add(key + ": a retry within the lease did not get 409");
              break;
            } catch (IdempotencyInProgressException expected) {
              rejectedWithinLease++;
              break;
            } catch (IdempotencyStoreException e) {
              if (System.nanoTime() > deadline) {
                throw e;
              }
              Thread.sleep(200);
            }
          }
        }
      }
      List<String> secondValues = new ArrayList<>();
      for (String key : keys) {
        long deadline = System.nanoTime() + lease.toNanos() + TimeUnit.SECONDS.toNanos(60);
        String value = null;
        while (value == null && System.nanoTime() < deadline) {
          try {
            value = op.execute(key, key, () -> body(ledger, run, key));
          } catch (IdempotencyInProgressException | IdempotencyStoreException e) {
            Thread.sleep(250);
          }
        }
        secondValues.add(value);
      }
      int executions = 0;
      for (int i = 0; i < CALLS; i++) {
        String key = keys.get(i);
        int ran = ledger.executions(run, key);
        executions += ran;
        if (ran != 2) {
          problems.add(
              key + " ran " + ran + " times, documented: twice " + ledger.entries(run, key));
        }
        String second = secondValues.get(i);
        if (second == null || second.equals(firstValues.get(i))) {
          problems.add(key + ": the retry after the outage got " + second);
        } else if (!op.execute(key, key, () -> "ran a third time").equals(second)) {
          problems.add(key + ": a later retry did not replay the second run");
        }
      }
      Figures figures =
          new Figures(
                  "5 store killed during the body, " + storeName,
                  CALLS,
                  executions,
                  2 * CALLS,
                  problems.size(),
                  "documented: each caller got its own value, the completion was lost;"
                      + (claimSurvives
                          ? " "
                              + rejectedWithinLease
                              + " retries within the lease got 409, the first after it ran again"
                          : " the restarted Redis (no persistence) was empty, the retry ran again"),
                  Backend.since(start) / 1000.0)
              .print();
      assertThat(problems).as("violations").isEmpty();
      assertThat(figures.passed()).isTrue();
    } finally {
      killed.countDown();
      pool.shutdownNow();
      idem.close();
    }
  }

  private static String body(Ledger ledger, String run, String key) {
    ledger.executed(run, key, "caller");
    return "caller/" + key + "/" + System.nanoTime();
  }
}
