package dev.idem.messaging.kafka.spring;

import dev.idem.messaging.kafka.KafkaOffsetStore;
import java.util.Collection;
import java.util.Objects;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.springframework.kafka.listener.ConsumerAwareRebalanceListener;

/**
 * A Spring Kafka rebalance listener that seeks newly assigned partitions to the offsets stored in
 * the database ({@link KafkaOffsetStore}); set it with {@code
 * containerProperties.setConsumerRebalanceListener(...)}. Partitions without a stored offset keep
 * the position Kafka gives them.
 */
public final class StoredOffsetsRebalanceListener implements ConsumerAwareRebalanceListener {

  private final KafkaOffsetStore offsets;

  /**
   * Creates the listener.
   *
   * @param offsets the consumer group's offsets
   */
  public StoredOffsetsRebalanceListener(KafkaOffsetStore offsets) {
    this.offsets = Objects.requireNonNull(offsets, "offsets");
  }

  @Override
  public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
    offsets.seek(consumer, partitions);
  }
}
