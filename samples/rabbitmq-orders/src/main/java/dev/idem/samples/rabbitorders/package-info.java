/**
 * The RabbitMQ orders sample: a Spring Boot {@code @RabbitListener} applies order events to
 * PostgreSQL, made idempotent by {@code idem-messaging-amqp}'s auto-configuration with the dedup
 * records in the listener's transaction; {@link dev.idem.samples.rabbitorders.RabbitOrdersDemo}
 * injects duplicates and a crash and prints what happened.
 */
@NullMarked
package dev.idem.samples.rabbitorders;

import org.jspecify.annotations.NullMarked;
