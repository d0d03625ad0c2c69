package dev.idem.messaging.kafka;

import dev.idem.messaging.MessageId;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/** Message ids of Kafka records. */
public final class KafkaMessageIds {

  private KafkaMessageIds() {}

  /**
   * Returns the record's coordinates, {@code topic/partition/offset}: always present and unique per
   * record, so it deduplicates redeliveries of one record, but not a message that a producer
   * published twice (two records); use {@link #header} for those.
   *
   * @param <K> the key type
   * @param <V> the value type
   * @return the extractor
   */
  public static <K, V> MessageId<ConsumerRecord<K, V>> coordinates() {
    return r -> r.topic() + "/" + r.partition() + "/" + r.offset();
  }

  /**
   * Returns the last value of a header, decoded as UTF-8: an event id the producer sets once per
   * message and keeps when it re-publishes; null (the record is refused) when it is absent.
   *
   * @param name the header name
   * @param <K> the key type
   * @param <V> the value type
   * @return the extractor
   */
  public static <K, V> MessageId<ConsumerRecord<K, V>> header(String name) {
    Objects.requireNonNull(name, "name");
    return r -> {
      Header header = r.headers().lastHeader(name);
      return header == null || header.value() == null
          ? null
          : new String(header.value(), StandardCharsets.UTF_8);
    };
  }
}
