package dev.idem.samples.orders;

/**
 * The response to {@code POST /orders}: the order and its payment.
 *
 * @param order the order
 * @param payment its payment
 */
public record OrderResult(Order order, Payment payment) {}
