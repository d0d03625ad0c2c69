package dev.idem.messaging.kafka.spring;

import dev.idem.messaging.ConsumeResult;
import dev.idem.messaging.MessageHandler;
import dev.idem.messaging.kafka.TransactionalRecordProcessor;
import java.util.Objects;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.kafka.KafkaException;
import org.springframework.kafka.listener.MessageListener;

/**
 * A Spring Kafka record listener that handles each record through a {@link
 * TransactionalRecordProcessor}: the handler's writes, the dedup record and the partition's next
 * offset commit in one database transaction. A record to redeliver is reported by throwing {@link
 * KafkaException}, so the container's error handler seeks back to it; give the container an error
 * handler that retries without a limit (for example {@code new DefaultErrorHandler(new
 * FixedBackOff(1000, FixedBackOff.UNLIMITED_ATTEMPTS))}), since permanent failures are already
 * dead-lettered by the processor and a recovered-and-skipped record would never take effect.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public final class IdempotentRecordListener<K, V> implements MessageListener<K, V> {

  private final TransactionalRecordProcessor<K, V> processor;
  private final MessageHandler<ConsumerRecord<K, V>> handler;

  /**
   * Creates the listener.
   *
   * @param processor the processor (build it with {@code commitToKafka(false)}: the container
   *     commits)
   * @param handler the application's handling of a record
   */
  public IdempotentRecordListener(
      TransactionalRecordProcessor<K, V> processor, MessageHandler<ConsumerRecord<K, V>> handler) {
    this.processor = Objects.requireNonNull(processor, "processor");
    this.handler = Objects.requireNonNull(handler, "handler");
  }

  @Override
  public void onMessage(ConsumerRecord<K, V> record) {
    ConsumeResult result = processor.handle(record, handler);
    if (result.disposition().redeliver()) {
      throw new KafkaException(
          "record "
              + record.topic()
              + "-"
              + record.partition()
              + "@"
              + record.offset()
              + " will be delivered again: "
              + result,
          result.failure().orElse(null));
    }
  }
}
