package dev.idem.store.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idem.IdempotencyInProgressException;
import dev.idem.spi.ClaimResult;
import dev.idem.spi.IdempotencyRecord;
import dev.idem.spi.Outcome;
import dev.idem.spi.OutcomeKind;
import dev.idem.spi.RecordState;
import dev.idem.store.sql.Databases.Kind;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The transactional mode at the level of the store SPI: claims join the caller's jOOQ transaction,
 * duplicates block on the key until it ends, and the record commits or rolls back with the business
 * rows.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class TransactionalStoreCases {

  private static final Duration LEASE = Duration.ofSeconds(30);
  private static final Duration TTL = Duration.ofHours(1);
  private static final Outcome VALUE =
      Outcome.of(OutcomeKind.VALUE, "\"receipt\"".getBytes(StandardCharsets.UTF_8));

  private TxFixture tx;
  private TxFixture impatient;
  private final ExecutorService threads = Executors.newCachedThreadPool();

  /** The database under test. */
  abstract Kind kind();

  @BeforeAll
  void createTables() {
    String name = kind().name().toLowerCase();
    tx = TxFixture.create(kind(), "idem_txs_" + name, Duration.ofSeconds(20));
    impatient = TxFixture.create(kind(), "idem_txi_" + name, Duration.ofSeconds(1));
  }

  @AfterAll
  void stopThreads() {
    threads.shutdownNow();
  }

  @Test
  void claimInsideTransactionIsTransactionalAndOutsideIsNot() {
    String inside = newKey();
    String outside = newKey();

    ClaimResult.Acquired joined =
        tx.dsl.transactionResult(trx -> acquired(tx.store.claim(inside, null, "o", LEASE, TTL)));
    ClaimResult.Acquired alone = acquired(tx.store.claim(outside, null, "o", LEASE, TTL));

    assertThat(joined.transactional()).isTrue();
    assertThat(joined.takeover()).isFalse();
    assertThat(alone.transactional()).isFalse();
  }

  @Test
  void recordAndBusinessRowsCommitTogether() {
    String key = newKey();

    tx.dsl.transaction(
        trx -> {
          ClaimResult.Acquired a = acquired(tx.store.claim(key, "fp", "o", LEASE, TTL));
          tx.write(trx.dsl(), key, "first");
          assertThat(tx.store.find(key))
              .get()
              .extracting(IdempotencyRecord::state)
              .isEqualTo(RecordState.IN_PROGRESS);
          assertThat(tx.store.complete(key, a.token(), VALUE, TTL)).isTrue();
        });

    assertThat(tx.businessRows(key)).isEqualTo(1);
    IdempotencyRecord record = tx.store.find(key).orElseThrow();
    assertThat(record.state()).isEqualTo(RecordState.COMPLETED);
    assertThat(record.outcome()).isEqualTo(VALUE);
  }

  @Test
  void recordAndBusinessRowsRollBackTogether() {
    String key = newKey();

    assertThatThrownBy(
            () ->
                tx.dsl.transaction(
                    trx -> {
                      ClaimResult.Acquired a = acquired(tx.store.claim(key, "fp", "o", LEASE, TTL));
                      tx.write(trx.dsl(), key, "first");
                      assertThat(tx.store.complete(key, a.token(), VALUE, TTL)).isTrue();
                      throw new IllegalStateException("rolled back after completing");
                    }))
        .hasMessageContaining("rolled back after completing");

    assertThat(tx.businessRows(key)).isZero();
    assertThat(tx.store.find(key)).isEmpty();
    ClaimResult.Acquired retry = acquired(tx.store.claim(key, "fp", "o", LEASE, TTL));
    assertThat(retry.takeover()).isFalse();
  }

  @Test
  void recordIsInvisibleToOtherConnectionsUntilCommit() throws Exception {
    String key = newKey();
    CountDownLatch claimed = new CountDownLatch(1);
    CountDownLatch checked = new CountDownLatch(1);

    Future<?> first =
        threads.submit(
            () ->
                tx.dsl.transaction(
                    trx -> {
                      acquired(tx.store.claim(key, "fp", "o", LEASE, TTL));
                      claimed.countDown();
                      checked.await();
                    }));
    claimed.await();
    // outside any transaction, find reads committed data and does not wait for the holder
    assertThat(tx.store.find(key)).isEmpty();
    checked.countDown();
    first.get(30, TimeUnit.SECONDS);

    assertThat(tx.store.find(key))
        .get()
        .extracting(IdempotencyRecord::state)
        .isEqualTo(RecordState.IN_PROGRESS);
  }

  @Test
  void duplicateBlocksUntilFirstCommitsThenReplays() throws Exception {
    String key = newKey();
    CountDownLatch claimed = new CountDownLatch(1);
    CountDownLatch finish = new CountDownLatch(1);
    long[] firstToken = new long[1];

    Future<?> first =
        threads.submit(
            () ->
                tx.dsl.transaction(
                    trx -> {
                      ClaimResult.Acquired a = acquired(tx.store.claim(key, "fp", "1", LEASE, TTL));
                      firstToken[0] = a.token();
                      tx.write(trx.dsl(), key, "first");
                      claimed.countDown();
                      finish.await();
                      assertThat(tx.store.complete(key, a.token(), VALUE, TTL)).isTrue();
                    }));
    claimed.await();
    Future<ClaimResult> second =
        threads.submit(
            () -> tx.dsl.transactionResult(trx -> tx.store.claim(key, "fp", "2", LEASE, TTL)));
    try {
      tx.awaitLockWait();
      assertThat(second).isNotDone();
    } finally {
      finish.countDown();
    }
    first.get(30, TimeUnit.SECONDS);

    ClaimResult replay = second.get(30, TimeUnit.SECONDS);
    assertThat(replay).isInstanceOf(ClaimResult.Completed.class);
    IdempotencyRecord record = ((ClaimResult.Completed) replay).record();
    assertThat(record.token()).isEqualTo(firstToken[0]);
    assertThat(record.owner()).isEqualTo("1");
    assertThat(record.outcome()).isEqualTo(VALUE);
    assertThat(tx.businessRows(key)).isEqualTo(1);
  }

  @Test
  void duplicateAcquiresWhenFirstRollsBack() throws Exception {
    String key = newKey();
    CountDownLatch claimed = new CountDownLatch(1);
    CountDownLatch finish = new CountDownLatch(1);

    Future<?> first =
        threads.submit(
            () ->
                tx.dsl.transaction(
                    trx -> {
                      acquired(tx.store.claim(key, "fp", "1", LEASE, TTL));
                      tx.write(trx.dsl(), key, "first");
                      claimed.countDown();
                      finish.await();
                      throw new IllegalStateException("the first call fails");
                    }));
    claimed.await();
    Future<Long> second =
        threads.submit(
            () ->
                tx.dsl.transactionResult(
                    trx -> {
                      ClaimResult.Acquired a = acquired(tx.store.claim(key, "fp", "2", LEASE, TTL));
                      assertThat(a.transactional()).isTrue();
                      tx.write(trx.dsl(), key, "second");
                      assertThat(tx.store.complete(key, a.token(), VALUE, TTL)).isTrue();
                      return a.token();
                    }));
    try {
      tx.awaitLockWait();
      assertThat(second).isNotDone();
    } finally {
      finish.countDown();
    }
    assertThatThrownBy(() -> first.get(30, TimeUnit.SECONDS))
        .hasRootCauseMessage("the first call fails");

    long token = second.get(30, TimeUnit.SECONDS);
    IdempotencyRecord record = tx.store.find(key).orElseThrow();
    assertThat(record.state()).isEqualTo(RecordState.COMPLETED);
    assertThat(record.token()).isEqualTo(token);
    assertThat(record.owner()).isEqualTo("2");
    assertThat(tx.businessRows(key)).isEqualTo(1);
  }

  /**
   * Two duplicates wait for a first call that rolls back: one of them acquires and commits, the
   * other replays it or, where the database resolves the waiters' race with a deadlock (InnoDB),
   * fails with {@link IdempotencyInProgressException} having run nothing.
   */
  @Test
  void twoWaitersOfARolledBackClaimYieldOneExecution() throws Exception {
    String key = newKey();
    CountDownLatch claimed = new CountDownLatch(1);
    CountDownLatch finish = new CountDownLatch(1);

    Future<?> first =
        threads.submit(
            () ->
                tx.dsl.transaction(
                    trx -> {
                      acquired(tx.store.claim(key, "fp", "first", LEASE, TTL));
                      tx.write(trx.dsl(), key, "first");
                      claimed.countDown();
                      finish.await();
                      throw new IllegalStateException("the first call fails");
                    }));
    claimed.await();
    List<Future<String>> waiters = new ArrayList<>();
    try {
      for (int i = 0; i < 2; i++) {
        String owner = "waiter-" + i;
        waiters.add(
            threads.submit(
                () -> {
                  try {
                    return tx.dsl.transactionResult(
                        trx -> {
                          ClaimResult result = tx.store.claim(key, "fp", owner, LEASE, TTL);
                          if (result instanceof ClaimResult.Acquired a) {
                            tx.write(trx.dsl(), key, owner);
                            assertThat(tx.store.complete(key, a.token(), VALUE, TTL)).isTrue();
                            return "executed";
                          }
                          assertThat(result).isInstanceOf(ClaimResult.Completed.class);
                          return "replayed";
                        });
                  } catch (IdempotencyInProgressException e) {
                    return "conflict";
                  }
                }));
        tx.awaitLockWait();
      }
    } finally {
      finish.countDown();
    }
    assertThatThrownBy(() -> first.get(30, TimeUnit.SECONDS))
        .hasRootCauseMessage("the first call fails");

    List<String> results = new ArrayList<>();
    for (Future<String> waiter : waiters) {
      results.add(waiter.get(30, TimeUnit.SECONDS));
    }
    System.out.println("two waiters of a rolled-back claim [" + kind() + "]: " + results);
    assertThat(results).containsOnlyOnce("executed");
    assertThat(results).containsAnyOf("replayed", "conflict");
    assertThat(tx.businessRows(key)).isEqualTo(1);
    assertThat(tx.store.find(key))
        .get()
        .extracting(IdempotencyRecord::state)
        .isEqualTo(RecordState.COMPLETED);
  }

  @Test
  void lockTimeoutBecomesInProgressExceptionAndTheWinnerStillCommits() throws Exception {
    String key = newKey();
    CountDownLatch claimed = new CountDownLatch(1);
    CountDownLatch finish = new CountDownLatch(1);

    Future<?> first =
        threads.submit(
            () ->
                impatient.dsl.transaction(
                    trx -> {
                      ClaimResult.Acquired a =
                          acquired(impatient.store.claim(key, "fp", "1", LEASE, TTL));
                      impatient.write(trx.dsl(), key, "first");
                      claimed.countDown();
                      finish.await();
                      assertThat(impatient.store.complete(key, a.token(), VALUE, TTL)).isTrue();
                    }));
    claimed.await();
    try {
      assertThatThrownBy(
              () ->
                  impatient.dsl.transaction(
                      trx -> impatient.store.claim(key, "fp", "2", LEASE, TTL)))
          .isInstanceOf(IdempotencyInProgressException.class)
          .hasCauseInstanceOf(SQLException.class)
          .satisfies(
              e -> assertThat(((IdempotencyInProgressException) e).httpStatus()).isEqualTo(409));
    } finally {
      finish.countDown();
    }
    first.get(30, TimeUnit.SECONDS);

    ClaimResult later =
        impatient.dsl.transactionResult(trx -> impatient.store.claim(key, "fp", "3", LEASE, TTL));
    assertThat(later).isInstanceOf(ClaimResult.Completed.class);
    assertThat(impatient.businessRows(key)).isEqualTo(1);
  }

  @Test
  void claimRestoresTheTransactionsLockTimeout() {
    String key = newKey();

    tx.dsl.transaction(
        trx -> {
          String before = tx.lockTimeoutSetting(trx.dsl());
          acquired(tx.store.claim(key, null, "o", LEASE, TTL));
          assertThat(tx.lockTimeoutSetting(trx.dsl())).isEqualTo(before);
        });
  }

  /**
   * Regression guard for MariaDB's REPEATABLE READ: a transaction whose snapshot predates another
   * transaction's completed record must still see that record (a current read after the conflicting
   * insert), not loop on an insert that conflicts with a row its snapshot hides.
   */
  @Test
  void claimSeesRecordCommittedAfterTheTransactionsSnapshot() {
    String key = newKey();

    ClaimResult result =
        tx.dsl.transactionResult(
            trx -> {
              tx.businessRows("snapshot"); // on another connection: does not start our snapshot
              trx.dsl().fetchCount(tx.business); // starts our snapshot
              threads
                  .submit(
                      () -> {
                        ClaimResult.Acquired a =
                            acquired(tx.store.claim(key, "fp", "other", LEASE, TTL));
                        assertThat(tx.store.complete(key, a.token(), VALUE, TTL)).isTrue();
                      })
                  .get(30, TimeUnit.SECONDS);
              return tx.store.claim(key, "fp", "late", LEASE, TTL);
            });

    assertThat(result).isInstanceOf(ClaimResult.Completed.class);
    assertThat(((ClaimResult.Completed) result).record().owner()).isEqualTo("other");
  }

  @Test
  void releaseInsideTransactionLetsTheNextClaimAcquire() {
    String key = newKey();

    tx.dsl.transaction(
        trx -> {
          ClaimResult.Acquired a = acquired(tx.store.claim(key, null, "o", LEASE, TTL));
          assertThat(tx.store.release(key, a.token())).isTrue();
          assertThat(tx.store.find(key)).isEmpty();
        });

    assertThat(tx.store.find(key)).isEmpty();
    assertThat(acquired(tx.store.claim(key, null, "o", LEASE, TTL)).takeover()).isFalse();
  }

  private static String newKey() {
    return "tx:" + UUID.randomUUID();
  }

  private static ClaimResult.Acquired acquired(ClaimResult result) {
    assertThat(result).isInstanceOf(ClaimResult.Acquired.class);
    return (ClaimResult.Acquired) result;
  }
}
