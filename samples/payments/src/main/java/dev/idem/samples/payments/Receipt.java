package dev.idem.samples.payments;

import java.math.BigDecimal;

/**
 * The result of a charge.
 *
 * @param orderId the order
 * @param paymentId the gateway's payment id
 * @param amount the amount charged
 * @param currency ISO 4217 code
 */
public record Receipt(String orderId, String paymentId, BigDecimal amount, String currency) {}
