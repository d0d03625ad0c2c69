package dev.idem.samples.payments;

import java.math.BigDecimal;

/**
 * A request to charge a customer for an order.
 *
 * @param orderId the order, which is also the idempotency key
 * @param customerId who pays
 * @param amount how much
 * @param currency ISO 4217 code
 */
public record ChargeCommand(
    String orderId, String customerId, BigDecimal amount, String currency) {}
