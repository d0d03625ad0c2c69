package dev.idem.samples.payments;

import java.math.BigDecimal;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fake card gateway: every call moves money, so it counts charges per order. The demo's promise
 * is that it is called exactly once per order, however often the service is called.
 */
public final class PaymentGateway {

  private final AtomicInteger payments = new AtomicInteger();
  private final Map<String, AtomicInteger> chargesPerOrder = new ConcurrentHashMap<>();

  /**
   * Charges a card.
   *
   * @param cmd the charge
   * @return the gateway's payment id
   */
  public String charge(ChargeCommand cmd) {
    chargesPerOrder.computeIfAbsent(cmd.orderId(), k -> new AtomicInteger()).incrementAndGet();
    sleep(20); // the network round trip to the card network
    if (cmd.amount().compareTo(new BigDecimal("10000")) > 0) {
      throw new PaymentDeclinedException("amount over the card limit");
    }
    return "pay_" + payments.incrementAndGet();
  }

  /**
   * Returns how many times the gateway was called in all.
   *
   * @return the total number of charges
   */
  public int totalCharges() {
    return chargesPerOrder.values().stream().mapToInt(AtomicInteger::get).sum();
  }

  /**
   * Returns how many distinct orders were charged.
   *
   * @return the number of orders
   */
  public int chargedOrders() {
    return chargesPerOrder.size();
  }

  /**
   * Returns how many times one order was charged.
   *
   * @param orderId the order
   * @return the number of charges
   */
  public int chargesFor(String orderId) {
    AtomicInteger count = chargesPerOrder.get(orderId);
    return count == null ? 0 : count.get();
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
