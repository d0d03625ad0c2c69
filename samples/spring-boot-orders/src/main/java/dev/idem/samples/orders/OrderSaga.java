package dev.idem.samples.orders;

import java.util.UUID;
import org.springframework.stereotype.Service;

/**
 * Places an order as a saga of idempotent steps: create the order, charge, reserve stock, confirm;
 * when stock runs out, compensate: refund, then cancel. Every step is {@code @Idempotent} on the
 * order id, so running the saga again for the same order (a retry after a crash) replays the steps
 * that already ran and runs only the rest.
 */
@Service
public class OrderSaga {

  private final Orders orders;
  private final Payments payments;
  private final Stock stock;
  private final SagaFaults faults;

  OrderSaga(Orders orders, Payments payments, Stock stock, SagaFaults faults) {
    this.orders = orders;
    this.payments = payments;
    this.stock = stock;
    this.faults = faults;
  }

  /**
   * Runs the saga.
   *
   * @param orderId the order id, stable across retries
   * @param request the request
   * @return the order and its payment
   */
  public OrderResult place(UUID orderId, OrderRequest request) {
    orders.create(orderId, request);
    Payment payment = payments.charge(orderId, request.amountCents());
    faults.afterCharge();
    try {
      stock.reserve(orderId, request.sku(), request.quantity());
    } catch (OutOfStockException e) {
      Payment refunded = payments.refund(orderId);
      return new OrderResult(orders.cancel(orderId, "OUT_OF_STOCK"), refunded);
    }
    return new OrderResult(orders.confirm(orderId), payment);
  }
}
