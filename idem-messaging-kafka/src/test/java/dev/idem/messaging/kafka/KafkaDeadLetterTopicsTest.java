package dev.idem.messaging.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** Dead-lettering to {@code <topic>.DLT} on the in-process KRaft broker. */
class KafkaDeadLetterTopicsTest {

  @Test
  void aDeadRecordIsPublishedToTheTopicsDltWithWhereItCameFromAndWhy() {
    String topic = "idem-dlt-" + KafkaTestServers.uniqueSuffix();
    RecordHeaders headers = new RecordHeaders();
    headers.add("message-id", "evt-7".getBytes(StandardCharsets.UTF_8));
    ConsumerRecord<String, String> record =
        new ConsumerRecord<>(
            topic,
            0,
            42,
            0L,
            TimestampType.CREATE_TIME,
            0,
            0,
            "acct-1",
            "debit 10",
            headers,
            java.util.Optional.empty());
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaTestServers.kafka()),
            new StringSerializer(),
            new StringSerializer())) {
      KafkaDeadLetterTopics.publisher(producer)
          .accept(record, new IllegalArgumentException("unknown account"));
    }

    List<ConsumerRecord<String, String>> dead = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                KafkaTestServers.kafka(),
                ConsumerConfig.GROUP_ID_CONFIG,
                "dlt-reader-" + KafkaTestServers.uniqueSuffix(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest"),
            new StringDeserializer(),
            new StringDeserializer())) {
      consumer.subscribe(List.of(topic + ".DLT"));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (dead.isEmpty() && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(dead::add);
      }
    }

    assertThat(dead).hasSize(1);
    ConsumerRecord<String, String> published = dead.get(0);
    assertThat(published.key()).isEqualTo("acct-1");
    assertThat(published.value()).isEqualTo("debit 10");
    assertThat(header(published, "message-id")).isEqualTo("evt-7");
    assertThat(header(published, "kafka_dlt-original-topic")).isEqualTo(topic);
    assertThat(header(published, "kafka_dlt-original-offset")).isEqualTo("42");
    assertThat(header(published, "kafka_dlt-exception-fqcn"))
        .isEqualTo(IllegalArgumentException.class.getName());
    assertThat(header(published, "kafka_dlt-exception-message")).isEqualTo("unknown account");
  }

  private static String header(ConsumerRecord<?, ?> record, String name) {
    return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
  }
}
