/**
 * Idempotent Kafka consumers with offsets stored in the database: {@link
 * dev.idem.messaging.kafka.KafkaOffsetStore} keeps each partition's next offset in a table per
 * consumer group, written in the transaction of the handler's writes and the dedup records; {@link
 * dev.idem.messaging.kafka.KafkaOffsetStore#rebalanceListener} seeks to those offsets on
 * assignment, and {@link dev.idem.messaging.kafka.TransactionalRecordProcessor} runs a poll loop's
 * records through an {@link dev.idem.messaging.IdempotentConsumer}. Kafka's committed offsets are
 * only a hint.
 */
@NullMarked
package dev.idem.messaging.kafka;

import org.jspecify.annotations.NullMarked;
