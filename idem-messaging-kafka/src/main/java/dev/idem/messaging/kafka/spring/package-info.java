/**
 * Spring for Apache Kafka support: {@link
 * dev.idem.messaging.kafka.spring.StoredOffsetsRebalanceListener} seeks a listener container's
 * partitions to the offsets stored in the database, and {@link
 * dev.idem.messaging.kafka.spring.IdempotentRecordListener} runs each record through a {@link
 * dev.idem.messaging.kafka.TransactionalRecordProcessor}.
 */
@NullMarked
package dev.idem.messaging.kafka.spring;

import org.jspecify.annotations.NullMarked;
