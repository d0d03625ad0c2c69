package dev.idem.samples.orders;

import dev.idem.annotation.Idempotent;
import java.util.UUID;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Charges and refunds, each once per order. Stands in for a payment provider. */
@Service
public class Payments {

  private final JdbcTemplate jdbc;

  Payments(JdbcTemplate jdbc) {
    this.jdbc = jdbc;
  }

  /**
   * Charges the order, once.
   *
   * @param orderId the order
   * @param amountCents the amount
   * @return the payment
   */
  @Idempotent(name = "orders.charge", key = "#orderId", policy = "steps")
  @Transactional
  public Payment charge(UUID orderId, long amountCents) {
    jdbc.update(
        "insert into orders_sample_payments (order_id, amount_cents, status)"
            + " values (?, ?, 'CHARGED')",
        orderId,
        amountCents);
    return new Payment(orderId, amountCents, "CHARGED");
  }

  /**
   * Refunds the order's payment, once: a compensation.
   *
   * @param orderId the order
   * @return the refunded payment
   */
  @Idempotent(name = "orders.refund", key = "#orderId", policy = "steps")
  @Transactional
  public Payment refund(UUID orderId) {
    jdbc.update(
        "update orders_sample_payments set status = 'REFUNDED' where order_id = ?", orderId);
    Long amount =
        jdbc.queryForObject(
            "select amount_cents from orders_sample_payments where order_id = ?",
            Long.class,
            orderId);
    return new Payment(orderId, amount == null ? 0 : amount, "REFUNDED");
  }
}
