package dev.idem.messaging.kafka;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Kafka's dead-letter convention for {@link TransactionalRecordProcessor.Builder#deadLetters}: a
 * record that failed permanently, or has no usable id, is published unchanged (key, value, headers)
 * to {@code <topic>.DLT}, with headers saying where it came from and why, as Spring for Apache
 * Kafka's {@code DeadLetterPublishingRecoverer} names them ({@code kafka_dlt-original-topic},
 * {@code -original-partition}, {@code -original-offset}, {@code kafka_dlt-exception-fqcn}, {@code
 * -exception-message}), so the same tools read both.
 *
 * <p>The publication is acknowledged before the processor stores the record's next offset: if it
 * fails, the record's offset is not stored and the record is delivered again.
 */
public final class KafkaDeadLetterTopics {

  /** The suffix of a dead-letter topic. */
  public static final String SUFFIX = ".DLT";

  private KafkaDeadLetterTopics() {}

  /**
   * Returns a dead-letter handler that publishes to {@code <topic>.DLT} with {@code producer} and
   * waits up to 30 seconds for the broker's acknowledgement.
   *
   * @param producer a producer for the records' key and value types; the application owns it
   * @param <K> the key type
   * @param <V> the value type
   * @return the handler
   */
  public static <K, V> BiConsumer<ConsumerRecord<K, V>, Throwable> publisher(
      Producer<K, V> producer) {
    Objects.requireNonNull(producer, "producer");
    return (record, failure) -> {
      RecordHeaders headers = new RecordHeaders();
      for (Header header : record.headers()) {
        headers.add(header);
      }
      headers.add("kafka_dlt-original-topic", utf8(record.topic()));
      headers.add("kafka_dlt-original-partition", utf8(Integer.toString(record.partition())));
      headers.add("kafka_dlt-original-offset", utf8(Long.toString(record.offset())));
      headers.add("kafka_dlt-exception-fqcn", utf8(failure.getClass().getName()));
      headers.add("kafka_dlt-exception-message", utf8(Objects.toString(failure.getMessage(), "")));
      ProducerRecord<K, V> dead =
          new ProducerRecord<>(
              record.topic() + SUFFIX, null, record.key(), record.value(), headers);
      try {
        producer.send(dead).get(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(
            "interrupted while dead-lettering " + coordinates(record), e);
      } catch (ExecutionException | TimeoutException e) {
        throw new IllegalStateException(
            "could not publish " + coordinates(record) + " to " + record.topic() + SUFFIX, e);
      }
    };
  }

  private static String coordinates(ConsumerRecord<?, ?> record) {
    return record.topic() + "-" + record.partition() + "@" + record.offset();
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
