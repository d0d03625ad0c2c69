/**
 * A small order API made safe to retry with Idem's Spring Boot starter: {@link
 * dev.idem.samples.orders.OrderController} answers {@code POST /orders} once per {@code
 * Idempotency-Key}, and {@link dev.idem.samples.orders.OrderSaga} runs the steps (create the order,
 * charge, reserve stock; refund and cancel as compensation), each {@code @Idempotent} and
 * {@code @Transactional} on PostgreSQL, so a saga re-run after a crash resumes without doing a step
 * twice.
 */
@NullMarked
package dev.idem.samples.orders;

import org.jspecify.annotations.NullMarked;
