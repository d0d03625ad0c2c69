package dev.idem.samples.orders;

import java.util.UUID;

/**
 * The payment of an order.
 *
 * @param orderId the order
 * @param amountCents the amount, in cents
 * @param status CHARGED or REFUNDED
 */
public record Payment(UUID orderId, long amountCents, String status) {}
