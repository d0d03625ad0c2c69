package dev.idem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idem.spi.ClaimResult;
import dev.idem.store.memory.InMemoryIdempotencyStore;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * How the engine treats claims bound to the caller's database transaction (the SQL store's
 * transactional mode), played with a store that reports its acquisitions as transactional.
 */
class TransactionalClaimTest {

  /** Marks every acquisition as transactional; can fail completions and claims on demand. */
  static final class TransactionalStore extends dev.idem.spi.ForwardingIdempotencyStore {
    final AtomicBoolean failComplete = new AtomicBoolean();
    final AtomicBoolean lockTimeout = new AtomicBoolean();
    final AtomicInteger completeCalls = new AtomicInteger();

    TransactionalStore(CountingStore delegate) {
      super(delegate);
    }

    @Override
    public ClaimResult claim(
        String key, @Nullable String fingerprint, String owner, Duration lease, Duration ttl) {
      if (lockTimeout.get()) {
        throw IdempotencyInProgressException.lockTimedOut(
            "(transactional claim)", new java.sql.SQLException("lock timeout", "55P03"));
      }
      ClaimResult result = super.claim(key, fingerprint, owner, lease, ttl);
      return result instanceof ClaimResult.Acquired acquired
          ? ClaimResult.acquiredInTransaction(acquired.token())
          : result;
    }

    @Override
    public boolean complete(String key, long token, dev.idem.spi.Outcome outcome, Duration ttl) {
      completeCalls.incrementAndGet();
      if (failComplete.get()) {
        throw IdempotencyStoreException.of(name(), "complete", new java.sql.SQLException("gone"));
      }
      return super.complete(key, token, outcome, ttl);
    }
  }

  private final CountingStore counting = new CountingStore(InMemoryIdempotencyStore.create());
  private final TransactionalStore store = new TransactionalStore(counting);
  private final Idempotency idem = Idempotency.of(IdempotencyConfig.builder().store(store).build());

  @AfterEach
  void close() {
    idem.close();
  }

  @Test
  void failedCompletionIsRethrownSoTheTransactionRollsBack() {
    AtomicInteger runs = new AtomicInteger();
    IdempotentOperation<String> op = idem.operation("tx", String.class).build();
    store.failComplete.set(true);
    assertThatThrownBy(() -> op.execute("k", null, () -> "ran" + runs.incrementAndGet()))
        .isInstanceOf(IdempotencyStoreException.class);
    assertThat(runs).hasValue(1);
    assertThat(store.completeCalls).hasValue(1); // no retries inside a transaction
  }

  @Test
  void transactionalClaimsAreNotRenewed() throws Exception {
    IdempotentOperation<String> op =
        idem.operation("tx", String.class).lease(Duration.ofMillis(30)).build();
    op.execute(
        "k",
        null,
        () -> {
          Thread.sleep(200);
          return "slow";
        });
    assertThat(counting.renews).hasValue(0);
  }

  @Test
  void completionStageCannotJoinATransaction() {
    IdempotentOperation<CompletionStage<String>> op =
        idem.operation("tx-async", new ResultType<CompletionStage<String>>() {}).build();
    AtomicInteger runs = new AtomicInteger();
    assertThatThrownBy(
            () ->
                op.execute(
                    "k",
                    null,
                    () -> CompletableFuture.completedFuture("r" + runs.incrementAndGet())))
        .isInstanceOf(IdempotencyConfigurationException.class)
        .hasMessageContaining("transactional");
    assertThat(runs).hasValue(0);
    assertThat(counting.delegate.find("idem:tx-async:k")).isEmpty();
  }

  @Test
  void lockTimeoutIsReportedUnderTheOperationName() {
    store.lockTimeout.set(true);
    IdempotentOperation<String> op = idem.operation("orders.create", String.class).build();
    assertThatThrownBy(() -> op.execute("k", null, () -> "never"))
        .isInstanceOf(IdempotencyInProgressException.class)
        .satisfies(
            e -> assertThat(((IdempotencyException) e).operation()).isEqualTo("orders.create"))
        .hasMessageContaining("orders.create")
        .hasRootCauseInstanceOf(java.sql.SQLException.class);
  }
}
