package dev.idem.test.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idem.Idempotency;
import dev.idem.IdempotencyConfig;
import dev.idem.IdempotencyPolicy;
import dev.idem.IdempotentOperation;
import dev.idem.store.memory.InMemoryIdempotencyStore;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RetrySafetyTest {

  private static final Duration LEASE = Duration.ofSeconds(1);

  private static Idempotency idem(FaultInjectingStore store) {
    return Idempotency.of(
        IdempotencyConfig.builder()
            .store(store)
            .defaults(
                IdempotencyPolicy.builder().lease(LEASE).waitTimeout(Duration.ofSeconds(2)).build())
            .build());
  }

  /** Idem's promise, checked with its own tool: the standard faults never run a body twice. */
  @ChaosTest(trials = 4)
  void anIdempotentOperationIsRetrySafeUnderTheStandardFaults(ChaosTrial trial) {
    FaultInjectingStore store = trial.standardFaults(InMemoryIdempotencyStore.create(), LEASE);
    AtomicInteger charges = new AtomicInteger();
    try (Idempotency idem = idem(store)) {
      IdempotentOperation<String> charge = idem.operation("charge", String.class).build();
      String receipt =
          trial
              .retrySafety(
                  () ->
                      charge.execute(
                          "order-1", "10.00", () -> "receipt " + charges.incrementAndGet()))
              .effects(charges::get)
              .duplicates(6)
              .lostResponses(3)
              .assertRetrySafe();
      assertThat(receipt).isEqualTo("receipt 1");
    }
  }

  @Test
  void heavyAbsorbableFaultsAreInjectedAndStillRunTheBodyOnce() {
    FaultInjectingStore store =
        FaultInjectingStore.builder(InMemoryIdempotencyStore.create())
            .seed(2026)
            .fail(StoreOperation.CLAIM, 0.4)
            .loseReply(StoreOperation.CLAIM, 0.2)
            .failFirst(StoreOperation.COMPLETE, 1)
            .loseReply(StoreOperation.COMPLETE, 0.5)
            .delay(StoreOperation.RENEW, 0.5, Duration.ofMillis(20))
            .build();
    AtomicInteger charges = new AtomicInteger();
    try (Idempotency idem = idem(store)) {
      IdempotentOperation<String> charge = idem.operation("charge", String.class).build();
      RetrySafety.of(
              () ->
                  charge.execute("order-9", "10.00", () -> "receipt " + charges.incrementAndGet()))
          .effects(charges::get)
          .faults(store)
          .assertRetrySafe();
    }
    assertThat(store.trace())
        .extracting(Fault::kind)
        .contains(Fault.Kind.FAIL, Fault.Kind.LOSE_REPLY);
    assertThat(charges).hasValue(1);
  }

  @Test
  void anUnprotectedOperationFailsWithTheSeedAndEveryCaller() {
    FaultInjectingStore store =
        FaultInjectingStore.standard(InMemoryIdempotencyStore.create(), 7, LEASE);
    AtomicInteger charges = new AtomicInteger();
    assertThatThrownBy(
            () ->
                RetrySafety.of(() -> "receipt " + charges.incrementAndGet())
                    .effects(charges::get)
                    .faults(store)
                    .duplicates(3)
                    .assertRetrySafe())
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("the effect happened 6 times, expected exactly once")
        .hasMessageContaining("duplicate 3: value receipt")
        .hasMessageContaining("seed 7");
  }

  @Test
  void zombiesGoBeyondTheLeasePromiseAndTheHarnessShowsIt() {
    // a holder frozen past its lease is taken over and the body runs again: fenced results, but
    // a second effect unless the effect itself is protected (the SQL store's transactional mode)
    FaultInjectingStore store =
        FaultInjectingStore.builder(InMemoryIdempotencyStore.create())
            .seed(3)
            .zombie(1, LEASE.multipliedBy(3))
            .build();
    AtomicInteger charges = new AtomicInteger();
    try (Idempotency idem = idem(store)) {
      IdempotentOperation<String> charge = idem.operation("charge", String.class).build();
      assertThatThrownBy(
              () ->
                  RetrySafety.of(
                          () ->
                              charge.execute(
                                  "order-1", "10.00", () -> "receipt " + charges.incrementAndGet()))
                      .effects(charges::get)
                      .faults(store)
                      .lostResponses(0)
                      .duplicates(2)
                      .assertRetrySafe())
          .isInstanceOf(AssertionError.class)
          .hasMessageContaining("expected exactly once")
          .hasMessageContaining("ZOMBIE");
    }
  }

  @Test
  void aReplayedBusinessFailureCountsAsTheSameOutcome() {
    FaultInjectingStore store =
        FaultInjectingStore.standard(InMemoryIdempotencyStore.create(), 11, LEASE);
    AtomicInteger declines = new AtomicInteger();
    try (Idempotency idem = idem(store)) {
      IdempotentOperation<String> charge =
          idem.operation("charge", String.class).replayOn(IllegalStateException.class).build();
      // every caller got the same replayed decline: retry-safe, and the result is no value
      assertThat(
              RetrySafety.of(
                      () ->
                          charge.execute(
                              "order-2",
                              "10.00",
                              () -> {
                                declines.incrementAndGet();
                                throw new IllegalStateException("card declined");
                              }))
                  .effects(declines::get)
                  .faults(store)
                  .assertRetrySafe())
          .isNull();
      assertThat(declines).hasValue(1);
    }
  }
}
