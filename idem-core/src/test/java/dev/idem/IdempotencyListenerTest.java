package dev.idem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idem.IdempotentCall.Outcome;
import dev.idem.IdempotentCall.WaitResult;
import dev.idem.annotation.OnInProgress;
import dev.idem.store.memory.InMemoryIdempotencyStore;
import dev.idem.test.MutableClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Listeners are told every call once, when it ends, with what happened on the way. */
class IdempotencyListenerTest {

  private final MutableClock clock = MutableClock.create();
  private final CountingStore store =
      new CountingStore(InMemoryIdempotencyStore.builder().clock(clock).build());
  private final List<IdempotentCall> calls = new CopyOnWriteArrayList<>();
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private Idempotency idem = idempotency(IdempotencyConfig.builder().store(store));

  private Idempotency idempotency(IdempotencyConfig.Builder builder) {
    return Idempotency.of(builder.clock(clock).listener(calls::add).build());
  }

  @AfterEach
  void tearDown() {
    pool.shutdownNow();
    idem.close();
  }

  private IdempotentCall last() {
    assertThat(calls).isNotEmpty();
    return calls.get(calls.size() - 1);
  }

  @Test
  void reportsEachCallOnceWhenItEnds() {
    IdempotentOperation<String> op = idem.operation("op", String.class).build();
    op.execute("k", "a", () -> "r");
    op.execute("k", "a", () -> "r");

    assertThat(calls)
        .extracting(IdempotentCall::outcome)
        .containsExactly(Outcome.EXECUTED, Outcome.REPLAYED);
    IdempotentCall executed = calls.get(0);
    assertThat(executed.operation()).isEqualTo("op");
    assertThat(executed.durationNanos()).isPositive();
    assertThat(executed.failure()).isNull();
    assertThat(executed.waitResult()).isNull();
    assertThat(executed.waitNanos()).isZero();
    assertThat(executed.tookOver()).isFalse();
    assertThat(executed.fencedOff()).isFalse();
    assertThat(executed.failedOpen()).isFalse();
    assertThat(executed.toString()).doesNotContain("k");
  }

  @Test
  void reportsWhatTheCallThrew() {
    IdempotentOperation<String> op = idem.operation("op", String.class).build();
    IllegalStateException boom = new IllegalStateException("boom");
    assertThatThrownBy(
            () ->
                op.execute(
                    "f",
                    null,
                    () -> {
                      throw boom;
                    }))
        .isSameAs(boom);
    assertThat(last().outcome()).isEqualTo(Outcome.FAILED);
    assertThat(last().failure()).isSameAs(boom);

    op.execute("k", "a", () -> "r");
    assertThatThrownBy(() -> op.execute("k", "b", () -> "r"))
        .isInstanceOf(IdempotencyKeyReuseException.class);
    assertThat(last().outcome()).isEqualTo(Outcome.KEY_REUSE);
    assertThat(last().failure()).isInstanceOf(IdempotencyKeyReuseException.class);

    store.down.set(true);
    assertThatThrownBy(() -> op.execute("d", null, () -> "r"))
        .isInstanceOf(IdempotencyStoreException.class);
    assertThat(last().outcome()).isEqualTo(Outcome.STORE_ERROR);
    assertThat(calls).hasSize(4);
  }

  @Test
  void reportsHowAWaitForARunningCallEnded() throws Exception {
    IdempotentOperation<String> op = idem.operation("op", String.class).build();
    IdempotentOperation<String> rejecting =
        idem.operation("op", String.class).onInProgress(OnInProgress.REJECT).build();
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Future<String> first =
        pool.submit(
            () ->
                op.execute(
                    "k",
                    null,
                    () -> {
                      started.countDown();
                      release.await();
                      return "first";
                    }));
    started.await();
    assertThatThrownBy(() -> rejecting.execute("k", null, () -> "dup"))
        .isInstanceOf(IdempotencyInProgressException.class);
    assertThat(last().outcome()).isEqualTo(Outcome.IN_PROGRESS_REJECTED);
    assertThat(last().waitResult()).isNull();

    Future<String> waiter = pool.submit(() -> op.execute("k", null, () -> "dup"));
    while (store.claims.get() < 4) { // the waiter has claimed twice: it is waiting
      Thread.sleep(5);
    }
    Thread.sleep(20);
    release.countDown();
    assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo("first");
    assertThat(waiter.get(5, TimeUnit.SECONDS)).isEqualTo("first");

    IdempotentCall waited =
        calls.stream().filter(call -> call.waitResult() != null).findFirst().orElseThrow();
    assertThat(waited.outcome()).isEqualTo(Outcome.REPLAYED);
    assertThat(waited.waitResult()).isEqualTo(WaitResult.COMPLETED);
    assertThat(waited.waitNanos()).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(20));
    assertThat(waited.durationNanos()).isGreaterThanOrEqualTo(waited.waitNanos());
  }

  @Test
  void reportsATakeoverAndTheFencedCallItSuperseded() throws Exception {
    IdempotentOperation<String> op =
        idem.operation("op", String.class).lease(Duration.ofHours(1)).build();
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Future<String> stale =
        pool.submit(
            () ->
                op.execute(
                    "k",
                    null,
                    () -> {
                      started.countDown();
                      release.await();
                      return "stale";
                    }));
    started.await();
    clock.advance(Duration.ofHours(2));
    assertThat(op.execute("k", null, () -> "new owner")).isEqualTo("new owner");
    IdempotentCall owner = last();
    release.countDown();
    assertThat(stale.get(5, TimeUnit.SECONDS)).isEqualTo("new owner");
    IdempotentCall fenced = last();

    assertThat(owner.outcome()).isEqualTo(Outcome.EXECUTED);
    assertThat(owner.tookOver()).isTrue();
    assertThat(owner.fencedOff()).isFalse();
    assertThat(fenced.outcome()).isEqualTo(Outcome.REPLAYED);
    assertThat(fenced.fencedOff()).isTrue();
    assertThat(fenced.tookOver()).isFalse();
  }

  @Test
  void reportsACallThatFailedOpen() {
    idem.close();
    idem =
        idempotency(
            IdempotencyConfig.builder()
                .store(store)
                .defaults(IdempotencyPolicy.builder().failOpen(true).build()));
    store.down.set(true);
    IllegalStateException boom = new IllegalStateException("boom");
    assertThatThrownBy(
            () ->
                idem.operation("open", String.class)
                    .build()
                    .execute(
                        "k",
                        null,
                        () -> {
                          throw boom;
                        }))
        .isSameAs(boom);
    assertThat(last().outcome()).isEqualTo(Outcome.FAILED);
    assertThat(last().failedOpen()).isTrue();
    assertThat(last().failure()).isSameAs(boom);
  }

  @Test
  void aTransactionalCallWhoseCompletionFailsEndsWithAStoreError() {
    idem.close();
    TransactionalClaimTest.TransactionalStore transactional =
        new TransactionalClaimTest.TransactionalStore(store);
    idem = idempotency(IdempotencyConfig.builder().store(transactional));
    IdempotentOperation<String> op = idem.operation("tx", String.class).build();
    transactional.failComplete.set(true);
    assertThatThrownBy(() -> op.execute("k", null, () -> "ran"))
        .isInstanceOf(IdempotencyStoreException.class);
    assertThat(last().outcome()).isEqualTo(Outcome.STORE_ERROR);

    transactional.lockTimeout.set(true);
    assertThatThrownBy(() -> op.execute("k", null, () -> "ran"))
        .isInstanceOf(IdempotencyInProgressException.class);
    assertThat(last().outcome()).isEqualTo(Outcome.IN_PROGRESS_REJECTED);
  }

  @Test
  void anAsynchronousCallIsReportedBeforeItsResultCompletes() {
    IdempotentOperation<CompletionStage<String>> op =
        idem.operation("async", new ResultType<CompletionStage<String>>() {}).build();
    CompletableFuture<String> pending = new CompletableFuture<>();
    CompletionStage<String> result = op.execute("k", null, () -> pending);
    AtomicInteger reportedWhenCompleted = new AtomicInteger(-1);
    result.whenComplete((value, error) -> reportedWhenCompleted.set(calls.size()));
    assertThat(calls).isEmpty();

    pending.complete("done");
    assertThat(result.toCompletableFuture().join()).isEqualTo("done");
    assertThat(reportedWhenCompleted).hasValue(1);
    assertThat(last().outcome()).isEqualTo(Outcome.EXECUTED);

    IllegalStateException boom = new IllegalStateException("boom");
    CompletionStage<String> failed =
        op.execute("f", null, () -> CompletableFuture.failedFuture(boom));
    assertThatThrownBy(() -> failed.toCompletableFuture().join()).hasCause(boom);
    assertThat(last().outcome()).isEqualTo(Outcome.FAILED);
    assertThat(last().failure()).isSameAs(boom);
  }

  @Test
  void aFailingListenerChangesNeitherTheCallNorTheOtherListeners() {
    idem.close();
    idem =
        idempotency(
            IdempotencyConfig.builder()
                .store(store)
                .listener(
                    call -> {
                      throw new IllegalStateException("broken listener");
                    }));
    assertThat(idem.operation("op", String.class).build().execute("k", null, () -> "r"))
        .isEqualTo("r");
    assertThat(calls).extracting(IdempotentCall::outcome).containsExactly(Outcome.EXECUTED);
  }

  @Test
  void listenersAreToldInOrderAfterIdemsOwnMeters() {
    idem.close();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    List<String> told = new CopyOnWriteArrayList<>();
    idem =
        idempotency(
            IdempotencyConfig.builder()
                .store(store)
                .meterRegistry(registry)
                .listener(
                    call ->
                        told.add(
                            "first saw "
                                + registry
                                    .get(IdempotencyMetrics.CALLS)
                                    .tag(IdempotencyMetrics.TAG_OUTCOME, call.outcome().tag())
                                    .counter()
                                    .count()))
                .listener(call -> told.add("second")));
    idem.operation("op", String.class).build().execute("k", null, () -> "r");
    assertThat(told).containsExactly("first saw 1.0", "second");
    assertThat(idem.config().listeners()).hasSize(3); // with this test's own
  }
}
