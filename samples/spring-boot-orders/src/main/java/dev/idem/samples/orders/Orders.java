package dev.idem.samples.orders;

import dev.idem.annotation.Idempotent;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * The orders table. {@link #create} is exactly-once: the SQL store is transactional, so its claim,
 * the insert and the completion commit together; a concurrent duplicate blocks on the claim until
 * the first commits, then replays.
 */
@Service
public class Orders {

  private final JdbcTemplate jdbc;

  Orders(JdbcTemplate jdbc) {
    this.jdbc = jdbc;
  }

  /**
   * Creates the order, once per order id.
   *
   * @param orderId the order id
   * @param request the request
   * @return the new order
   */
  @Idempotent(name = "orders.create", key = "#orderId", payload = "#request", policy = "steps")
  @Transactional
  public Order create(UUID orderId, OrderRequest request) {
    jdbc.update(
        "insert into orders_sample_orders (id, sku, quantity, amount_cents, status)"
            + " values (?, ?, ?, ?, 'PENDING')",
        orderId,
        request.sku(),
        request.quantity(),
        request.amountCents());
    return find(orderId).orElseThrow();
  }

  /**
   * Confirms the order, once.
   *
   * @param orderId the order id
   * @return the confirmed order
   */
  @Idempotent(name = "orders.confirm", key = "#orderId", policy = "steps")
  @Transactional
  public Order confirm(UUID orderId) {
    jdbc.update("update orders_sample_orders set status = 'CONFIRMED' where id = ?", orderId);
    return find(orderId).orElseThrow();
  }

  /**
   * Cancels the order, once: the last compensation of a failed saga.
   *
   * @param orderId the order id
   * @param reason why
   * @return the cancelled order
   */
  @Idempotent(name = "orders.cancel", key = "#orderId", policy = "steps")
  @Transactional
  public Order cancel(UUID orderId, String reason) {
    jdbc.update(
        "update orders_sample_orders set status = 'CANCELLED', reason = ? where id = ?",
        reason,
        orderId);
    return find(orderId).orElseThrow();
  }

  /**
   * Reads an order.
   *
   * @param orderId the order id
   * @return the order, if it exists
   */
  public Optional<Order> find(UUID orderId) {
    return jdbc
        .query(
            "select id, sku, quantity, amount_cents, status, reason from orders_sample_orders"
                + " where id = ?",
            (rs, i) ->
                new Order(
                    rs.getObject("id", UUID.class),
                    rs.getString("sku"),
                    rs.getInt("quantity"),
                    rs.getLong("amount_cents"),
                    rs.getString("status"),
                    rs.getString("reason")),
            orderId)
        .stream()
        .findFirst();
  }
}
