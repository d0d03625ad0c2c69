package dev.idem.samples.payments;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idem.Idempotency;
import dev.idem.IdempotencyConfig;
import dev.idem.IdempotencyPolicy;
import dev.idem.store.memory.InMemoryIdempotencyStore;
import dev.idem.test.chaos.ChaosTest;
import dev.idem.test.chaos.ChaosTrial;
import dev.idem.test.chaos.FaultInjectingStore;
import java.math.BigDecimal;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;

/**
 * The woven {@link PaymentService#charge} under chaos: lost responses and client retries, eight
 * concurrent duplicates, and store faults (failed and slow claims, lost replies, a failed first
 * completion) on a seeded schedule. Every trial must charge the card exactly once and give every
 * caller the same receipt. A failing trial prints its seed; {@code @ChaosTest(seed = ...)} replays
 * it.
 */
class PaymentsChaosTest {

  private static final Duration LEASE = Duration.ofMillis(1500);

  @AfterEach
  void tearDown() {
    Idempotency.unconfigure();
  }

  @ChaosTest(trials = 5)
  void chargeIsRetrySafe(ChaosTrial trial) {
    FaultInjectingStore store = trial.standardFaults(InMemoryIdempotencyStore.create(), LEASE);
    Idempotency.configure(
        IdempotencyConfig.builder()
            .store(store)
            .defaults(
                IdempotencyPolicy.builder().lease(LEASE).waitTimeout(Duration.ofSeconds(2)).build())
            .build());
    PaymentGateway gateway = new PaymentGateway();
    PaymentService payments = new PaymentService(gateway);
    ChargeCommand cmd = new ChargeCommand("order-42", "card-1", new BigDecimal("10.00"), "EUR");

    Receipt receipt =
        trial
            .retrySafety(() -> payments.charge(cmd))
            .effects(() -> gateway.chargesFor("order-42"))
            .assertRetrySafe();

    assertThat(receipt.orderId()).isEqualTo("order-42");
  }
}
