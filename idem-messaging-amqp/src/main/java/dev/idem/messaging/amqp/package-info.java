/**
 * Idempotent consumers for RabbitMQ's Java client: {@link
 * dev.idem.messaging.amqp.IdempotentDeliverCallback} acknowledges handled and duplicate deliveries,
 * requeues the ones to retry and rejects (dead-letters) the rest, with manual acknowledgements;
 * {@link dev.idem.messaging.amqp.AmqpMessageIds} takes the id from the {@code message-id} property
 * or a header.
 */
@NullMarked
package dev.idem.messaging.amqp;

import org.jspecify.annotations.NullMarked;
