package com.example.payments;

// readme:begin imports
import dev.idem.Idempotency;
import dev.idem.IdempotencyConfig;
import dev.idem.IdempotentOperation;
import dev.idem.spi.IdempotencyStore;
import java.time.Duration;
// readme:end imports

/** The same charge without weaving: the programmatic API gives a lambda the same semantics. */
public final class ProgrammaticPayments implements AutoCloseable {

  private final Idempotency idem;
  private final IdempotentOperation<Receipt> charge;
  private final CardGateway gateway;

  /**
   * Creates the service.
   *
   * @param store where the records live
   * @param gateway what charges cards
   */
  public ProgrammaticPayments(IdempotencyStore store, CardGateway gateway) {
    this.gateway = gateway;
    // readme:begin operation
    Idempotency idem = Idempotency.of(IdempotencyConfig.builder().store(store).build());
    IdempotentOperation<Receipt> charge =
        idem.operation("payments.charge", Receipt.class)
            .ttl(Duration.ofHours(24))
            .build(); // validated once, reused for every call
    // readme:end operation
    this.idem = idem;
    this.charge = charge;
  }

  /**
   * Charges an order once, whatever the number of calls.
   *
   * @param cmd the order
   * @return the first call's receipt
   */
  public Receipt charge(ChargeCommand cmd) {
    // readme:begin execute
    Receipt receipt = charge.execute(cmd.orderId(), cmd, () -> gateway.charge(cmd));
    //                               key            payload (fingerprinted)
    // readme:end execute
    return receipt;
  }

  /** Stops the engine's background threads (the store stays open). */
  @Override
  public void close() {
    idem.close();
  }
}
