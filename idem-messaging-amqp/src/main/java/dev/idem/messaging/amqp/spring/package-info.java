/**
 * Idempotent Spring AMQP listeners: {@link dev.idem.messaging.amqp.spring.IdempotentRabbitListener}
 * wraps a container's listener so that each delivery goes through an {@link
 * dev.idem.messaging.IdempotentConsumer} (one per queue), and {@link
 * dev.idem.messaging.amqp.spring.IdempotentRabbitAutoConfiguration} applies it to every
 * {@code @RabbitListener} container of Spring Boot's listener container factory, in the
 * application's database transaction when there is a transaction manager.
 */
@NullMarked
package dev.idem.messaging.amqp.spring;

import org.jspecify.annotations.NullMarked;
