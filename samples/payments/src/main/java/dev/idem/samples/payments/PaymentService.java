package dev.idem.samples.payments;

import dev.idem.annotation.Idempotent;

/** Charges orders. {@link #charge} is safe to retry: the aspect is woven in at compile time. */
public class PaymentService {

  private final PaymentGateway gateway;

  /**
   * Creates the service.
   *
   * @param gateway the card gateway
   */
  public PaymentService(PaymentGateway gateway) {
    this.gateway = gateway;
  }

  /**
   * Charges the order once. Retries and concurrent duplicates with the same order id get the same
   * receipt; the same order id with a different amount is refused; a declined card is an outcome,
   * replayed to retries.
   *
   * @param cmd the charge
   * @return the receipt
   */
  @Idempotent(
      name = "payments.charge",
      key = "#cmd.orderId",
      ttl = "24h",
      replayOn = PaymentDeclinedException.class)
  public Receipt charge(ChargeCommand cmd) {
    String paymentId = gateway.charge(cmd);
    return new Receipt(cmd.orderId(), paymentId, cmd.amount(), cmd.currency());
  }
}
