package dev.idem.store.sql;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idem.Idempotency;
import dev.idem.IdempotencyConfig;
import dev.idem.IdempotencyInProgressException;
import dev.idem.IdempotentOperation;
import dev.idem.spi.ClaimResult;
import dev.idem.spi.IdempotencyRecord;
import dev.idem.spi.Outcome;
import dev.idem.spi.OutcomeKind;
import dev.idem.spi.RecordState;
import dev.idem.store.sql.Databases.Kind;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Exactly-once effect with real business writes: {@value #THREADS} threads run every one of {@value
 * #KEYS} keys concurrently, each call in its own jOOQ transaction (thread-bound, through {@code
 * ThreadLocalTransactionProvider}) in which the claim, a business row and the completion commit or
 * roll back together. Some bodies throw: every body of one key in ten, and the first body of two
 * keys in ten. At the end every key that did not always fail has exactly one business row and one
 * completed record, the others have neither until a retry runs them, and every business row has its
 * record and vice versa. The counts are printed for the test report.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ExactlyOnceCases {

  private static final int THREADS = 8;
  private static final int KEYS = 200;
  private static final int MAX_ATTEMPTS_PER_KEY = 50;
  private static final Duration LEASE = Duration.ofMinutes(5);
  private static final Duration TTL = Duration.ofHours(1);

  private TxFixture tx;
  private final ExecutorService pool = Executors.newFixedThreadPool(THREADS);

  /** The database under test. */
  abstract Kind kind();

  @BeforeAll
  void createTables() {
    tx =
        TxFixture.threadLocal(
            kind(), "idem_eo_" + kind().name().toLowerCase(), Duration.ofSeconds(30));
  }

  @AfterAll
  void stopThreads() {
    pool.shutdownNow();
  }

  /** Claims, writes and completes through the store SPI inside the transactions. */
  @Test
  void storeLevelClaimsTakeEffectExactlyOncePerKey() throws Exception {
    run("store", new StoreCaller());
  }

  /** The same through the engine, {@code Idempotency.operation(...).execute(...)}. */
  @Test
  void engineLevelCallsTakeEffectExactlyOncePerKey() throws Exception {
    Idempotency idempotency = Idempotency.of(IdempotencyConfig.builder().store(tx.store).build());
    IdempotentOperation<String> operation =
        idempotency.operation("tx.charge", String.class).lease(LEASE).ttl(TTL).build();
    try {
      run("engine", new EngineCaller(operation));
    } finally {
      idempotency.close();
    }
  }

  private enum Result {
    EXECUTED,
    REPLAYED,
    FAILED,
    CONFLICT
  }

  /** Runs one call of a key; returns whether its body ran, in the caller's transaction. */
  private interface Caller {
    Result call(String operationKey, String owner, boolean fail);

    /** The key as the store sees it. */
    String storeKey(String operationKey);
  }

  private final class StoreCaller implements Caller {
    @Override
    public Result call(String key, String owner, boolean fail) {
      ClaimResult claim = tx.store.claim(key, "fp", owner, LEASE, TTL);
      if (claim instanceof ClaimResult.Acquired acquired) {
        assertThat(acquired.transactional()).as("claim joined the transaction").isTrue();
        tx.write(tx.dsl, key, owner);
        if (fail) {
          tx.store.release(key, acquired.token());
          throw new BodyFailure();
        }
        assertThat(tx.store.complete(key, acquired.token(), outcome(key), TTL)).isTrue();
        return Result.EXECUTED;
      }
      if (claim instanceof ClaimResult.Completed completed) {
        assertThat(completed.record().outcome()).isEqualTo(outcome(key));
        return Result.REPLAYED;
      }
      throw new AssertionError("a transactional claim saw a committed IN_PROGRESS record");
    }

    @Override
    public String storeKey(String key) {
      return key;
    }
  }

  private final class EngineCaller implements Caller {
    private final IdempotentOperation<String> operation;

    EngineCaller(IdempotentOperation<String> operation) {
      this.operation = operation;
    }

    @Override
    public Result call(String key, String owner, boolean fail) {
      boolean[] ran = new boolean[1];
      String receipt =
          operation.execute(
              key,
              key,
              () -> {
                ran[0] = true;
                tx.write(tx.dsl, storeKey(key), owner);
                if (fail) {
                  throw new BodyFailure();
                }
                return "receipt of " + key;
              });
      assertThat(receipt).isEqualTo("receipt of " + key);
      return ran[0] ? Result.EXECUTED : Result.REPLAYED;
    }

    @Override
    public String storeKey(String key) {
      return "idem:tx.charge:" + key;
    }
  }

  private void run(String level, Caller caller) throws Exception {
    String runId = UUID.randomUUID().toString().substring(0, 8);
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < KEYS; i++) {
      keys.add(level + ":" + runId + ":" + i);
    }
    Set<String> alwaysFail = ConcurrentHashMap.newKeySet();
    Set<String> failOnce = ConcurrentHashMap.newKeySet();
    for (int i = 0; i < KEYS; i++) {
      if (i % 10 == 0) {
        alwaysFail.add(keys.get(i));
      } else if (i % 10 == 1 || i % 10 == 2) {
        failOnce.add(keys.get(i));
      }
    }
    Set<String> failedOnce = ConcurrentHashMap.newKeySet();
    Map<String, AtomicInteger> committed = new ConcurrentHashMap<>();
    LongAdder calls = new LongAdder();
    LongAdder bodies = new LongAdder();
    LongAdder replays = new LongAdder();
    LongAdder rolledBack = new LongAdder();
    LongAdder conflicts = new LongAdder();

    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> futures = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      int thread = t;
      futures.add(
          pool.submit(
              () -> {
                // all threads walk the keys in the same order, so duplicates of a key run at the
                // same moment and block on each other; half of them shuffle within small windows
                List<String> order = new ArrayList<>(keys);
                if (thread % 2 == 1) {
                  Random random = new Random(thread);
                  for (int from = 0; from < order.size(); from += 4) {
                    Collections.shuffle(
                        order.subList(from, Math.min(from + 4, order.size())), random);
                  }
                }
                start.await();
                for (String key : order) {
                  for (int attempt = 1; ; attempt++) {
                    calls.increment();
                    boolean fail =
                        alwaysFail.contains(key) || (failOnce.contains(key) && failedOnce.add(key));
                    Result result = callInTransaction(caller, key, "thread-" + thread, fail);
                    if (result == Result.CONFLICT) {
                      conflicts.increment();
                      assertThat(attempt)
                          .as("attempts of one key")
                          .isLessThan(MAX_ATTEMPTS_PER_KEY);
                      continue;
                    }
                    if (fail && result != Result.REPLAYED) {
                      assertThat(result).isEqualTo(Result.FAILED);
                      bodies.increment();
                      rolledBack.increment();
                    } else if (result == Result.EXECUTED) {
                      bodies.increment();
                      committed.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
                    } else {
                      assertThat(result).isEqualTo(Result.REPLAYED);
                      replays.increment();
                    }
                    if (fail && failOnce.contains(key) && result == Result.REPLAYED) {
                      failedOnce.remove(key); // the planned failure did not happen: keep it
                    }
                    break;
                  }
                }
                return null;
              }));
    }
    start.countDown();
    for (Future<?> future : futures) {
      future.get(2, TimeUnit.MINUTES);
    }

    Map<Integer, Integer> rowsPerKey = new TreeMap<>();
    for (String key : keys) {
      String storeKey = caller.storeKey(key);
      int rows = tx.businessRows(storeKey);
      rowsPerKey.merge(rows, 1, Integer::sum);
      if (alwaysFail.contains(key)) {
        assertThat(rows).as("business rows of a key whose every body failed").isZero();
        assertThat(tx.store.find(storeKey)).as("record of a key whose every body failed").isEmpty();
      } else {
        assertThat(rows).as("business rows of %s", key).isEqualTo(1);
        assertThat(committed.get(key)).as("committed bodies of %s", key).hasValue(1);
        IdempotencyRecord record = tx.store.find(storeKey).orElseThrow();
        assertThat(record.state()).isEqualTo(RecordState.COMPLETED);
      }
    }
    int orphanRows = orphans(runId, true);
    int orphanRecords = orphans(runId, false);

    // the keys whose bodies always failed have left nothing behind: a retry runs them
    int retried = 0;
    for (String key : alwaysFail) {
      assertThat(callInTransaction(caller, key, "retry", false)).isEqualTo(Result.EXECUTED);
      assertThat(callInTransaction(caller, key, "retry", false)).isEqualTo(Result.REPLAYED);
      assertThat(tx.businessRows(caller.storeKey(key))).isEqualTo(1);
      retried++;
    }
    int committedBodies = committed.values().stream().mapToInt(AtomicInteger::get).sum();

    System.out.printf(
        "exactly-once [%s, %s level]: %d threads x %d keys (%d always failing, %d failing once):"
            + " %d calls, %d bodies run, %d committed, %d rolled back, %d replays,"
            + " %d lock conflicts retried; business rows per key {rows=keys} %s;"
            + " business rows without record %d, records without business row %d;"
            + " %d always-failing keys retried, each executed once%n",
        kind(),
        level,
        THREADS,
        KEYS,
        alwaysFail.size(),
        failOnce.size(),
        calls.sum(),
        bodies.sum(),
        committedBodies,
        rolledBack.sum(),
        replays.sum(),
        conflicts.sum(),
        rowsPerKey,
        orphanRows,
        orphanRecords,
        retried);

    assertThat(committedBodies).isEqualTo(KEYS - alwaysFail.size());
    assertThat(rowsPerKey)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(0, alwaysFail.size(), 1, KEYS - alwaysFail.size()));
    assertThat(orphanRows).as("business rows without a record").isZero();
    assertThat(orphanRecords).as("records without a business row").isZero();
    assertThat(rolledBack.sum())
        .as("bodies rolled back")
        .isGreaterThanOrEqualTo(alwaysFail.size() + failOnce.size());
    assertThat(bodies.sum()).isEqualTo(committedBodies + rolledBack.sum());
    assertThat(calls.sum()).isEqualTo(bodies.sum() + replays.sum() + conflicts.sum());
  }

  private Result callInTransaction(Caller caller, String key, String owner, boolean fail) {
    try {
      return tx.dsl.transactionResult(() -> caller.call(key, owner, fail));
    } catch (BodyFailure e) {
      return Result.FAILED;
    } catch (IdempotencyInProgressException e) {
      return Result.CONFLICT; // lock timeout or deadlock victim: rolled back, body not run
    } catch (RuntimeException e) {
      if (e.getCause() instanceof BodyFailure) {
        return Result.FAILED;
      }
      if (e.getCause() instanceof IdempotencyInProgressException) {
        return Result.CONFLICT;
      }
      throw e;
    }
  }

  /** Business rows of this run without a record ({@code rows}), or records without a row. */
  private int orphans(String runId, boolean rows) {
    DSLContext ctx = DSL.using(Databases.pool(kind()), kind().dialect);
    Field<String> recordKey =
        DSL.field(DSL.quotedName(tx.recordsTable, "idem_key"), SQLDataType.VARCHAR);
    var records = DSL.table(DSL.quotedName(tx.recordsTable));
    String like = "%:" + runId + ":%";
    if (rows) {
      return ctx.fetchCount(
          ctx.selectOne()
              .from(tx.business)
              .where(tx.businessKey.like(like))
              .andNotExists(ctx.selectOne().from(records).where(recordKey.eq(tx.businessKey))));
    }
    return ctx.fetchCount(
        ctx.selectOne()
            .from(records)
            .where(recordKey.like(like))
            .andNotExists(ctx.selectOne().from(tx.business).where(tx.businessKey.eq(recordKey))));
  }

  private static Outcome outcome(String key) {
    return Outcome.of(OutcomeKind.VALUE, ("\"" + key + "\"").getBytes(StandardCharsets.UTF_8));
  }

  /** What a failing body throws; the transaction rolls back. */
  private static final class BodyFailure extends RuntimeException {
    BodyFailure() {
      super("the body failed", null, false, false);
    }
  }
}
