package dev.idem.benchmarks;

import dev.idem.annotation.Idempotent;
import java.lang.reflect.Method;
import java.math.BigDecimal;

/** The workload every benchmark runs: a small payment command and its receipt. */
public final class Payments {

  private Payments() {}

  /**
   * A charge request.
   *
   * @param orderId the order, used as the idempotency key
   * @param amount the amount
   * @param currency the currency code
   * @param customerId the customer
   */
  public record ChargeCommand(
      String orderId, BigDecimal amount, String currency, String customerId) {}

  /**
   * The result of a charge.
   *
   * @param orderId the order
   * @param amount the amount charged
   * @param status the outcome
   */
  public record Receipt(String orderId, BigDecimal amount, String status) {}

  /** The service whose method is made idempotent. */
  public static class PaymentService {

    /**
     * Charges an order; the body only builds the receipt, so the benchmarks measure Idem.
     *
     * @param cmd the command
     * @return the receipt
     */
    @Idempotent(name = "payments.charge", key = "#cmd.orderId")
    public Receipt charge(ChargeCommand cmd) {
      return new Receipt(cmd.orderId(), cmd.amount(), "CAPTURED");
    }
  }

  /** The annotated method, as the aspect would see it. */
  public static final Method CHARGE;

  static {
    try {
      CHARGE = PaymentService.class.getMethod("charge", ChargeCommand.class);
    } catch (NoSuchMethodException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /**
   * Returns the command of an order.
   *
   * @param orderId the order
   * @return the command
   */
  public static ChargeCommand command(String orderId) {
    return new ChargeCommand(orderId, new BigDecimal("42.50"), "EUR", "customer-7");
  }
}
