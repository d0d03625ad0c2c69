package dev.idem.samples.orders;

import dev.idem.annotation.Idempotent;
import java.util.UUID;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Stock reservations, once per order. */
@Service
public class Stock {

  private final JdbcTemplate jdbc;

  Stock(JdbcTemplate jdbc) {
    this.jdbc = jdbc;
  }

  /**
   * Reserves stock for the order, once. Running out is an outcome: it is stored and replayed
   * ({@code replayOn}), and its transaction commits ({@code noRollbackFor}) so the stored outcome
   * is kept.
   *
   * @param orderId the order
   * @param sku the product
   * @param quantity how many
   * @return the quantity still available after the reservation
   * @throws OutOfStockException if there is not enough
   */
  @Idempotent(
      name = "orders.reserve",
      key = "#orderId",
      policy = "steps",
      replayOn = OutOfStockException.class)
  @Transactional(noRollbackFor = OutOfStockException.class)
  public int reserve(UUID orderId, String sku, int quantity) {
    int updated =
        jdbc.update(
            "update orders_sample_stock set available = available - ?"
                + " where sku = ? and available >= ?",
            quantity,
            sku,
            quantity);
    if (updated == 0) {
      throw new OutOfStockException("not enough " + sku + " for " + quantity);
    }
    jdbc.update(
        "insert into orders_sample_reservations (order_id, sku, quantity) values (?, ?, ?)",
        orderId,
        sku,
        quantity);
    Integer left =
        jdbc.queryForObject(
            "select available from orders_sample_stock where sku = ?", Integer.class, sku);
    return left == null ? 0 : left;
  }

  /**
   * Sets the available quantity of a product (an admin operation, not idempotent by key).
   *
   * @param sku the product
   * @param available the quantity
   */
  @Transactional
  public void restock(String sku, int available) {
    jdbc.update(
        "insert into orders_sample_stock (sku, available) values (?, ?)"
            + " on conflict (sku) do update set available = excluded.available",
        sku,
        available);
  }
}
