package dev.idem.messaging.kafka.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idem.Idempotency;
import dev.idem.IdempotencyConfig;
import dev.idem.messaging.kafka.KafkaMessageIds;
import dev.idem.messaging.kafka.KafkaOffsetStore;
import dev.idem.messaging.kafka.KafkaTestAccess;
import dev.idem.messaging.kafka.TransactionalRecordProcessor;
import dev.idem.store.sql.JooqIdempotencyStore;
import dev.idem.store.sql.JooqTransactionBinding;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.Test;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.listener.ConcurrentMessageListenerContainer;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.util.backoff.FixedBackOff;

/**
 * A Spring Kafka listener container on the in-process KRaft broker: it starts from the offset
 * stored in the database (not Kafka's), skips a re-published duplicate, redelivers a failed record,
 * and leaves the stored offset at the end offset.
 */
class SpringKafkaContainerTest {

  @Test
  void containerResumesFromTheDatabaseOffsetAndHandlesEachEventOnce() throws Exception {
    String suffix = KafkaTestAccess.uniqueSuffix();
    String topic = "idem-spring-" + suffix;
    String group = "idem-spring-" + suffix;
    String tables = "kafka_spring_" + suffix;
    String bootstrap = KafkaTestAccess.kafka();
    DataSource db = KafkaTestAccess.postgres();
    try (AdminClient admin = AdminClient.create(Map.of("bootstrap.servers", bootstrap))) {
      admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
    }
    sql(db, "create table " + tables + "_effects (event_id text not null)");
    JooqTransactionBinding binding = JooqTransactionBinding.create();
    DSLContext dsl = binding.bind(DSL.using(db, SQLDialect.POSTGRES));
    JooqIdempotencyStore store =
        JooqIdempotencyStore.builder(db, SQLDialect.POSTGRES)
            .tableName(tables + "_records")
            .transactional(binding)
            .build()
            .createSchemaIfMissing();
    KafkaOffsetStore offsets =
        KafkaOffsetStore.builder(db, SQLDialect.POSTGRES, group, binding)
            .tableName(tables + "_offsets")
            .build()
            .createSchemaIfMissing();
    Idempotency idempotency = Idempotency.of(IdempotencyConfig.builder().store(store).build());
    ConcurrentMessageListenerContainer<String, String> container = null;
    try {
      try (KafkaProducer<String, String> producer =
          new KafkaProducer<>(
              Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
              new StringSerializer(),
              new StringSerializer())) {
        for (int i = 0; i < 40; i++) {
          send(producer, topic, "event-" + i);
        }
        send(producer, topic, "event-20"); // re-published: offset 40
        send(producer, topic, "event-41"); // offset 41, fails once
      }
      // records 0-9 were handled before (the table says so); Kafka has no committed offset
      sql(db, "insert into \"" + tables + "_offsets\" values ('" + topic + "', 0, 10)");

      AtomicInteger failures = new AtomicInteger();
      TransactionalRecordProcessor<String, String> processor =
          TransactionalRecordProcessor.<String, String>builder(
                  idempotency, "spring.events", offsets, work -> dsl.transaction(t -> work.run()))
              .messageId(KafkaMessageIds.header("event-id"))
              .commitToKafka(false)
              .build();
      ContainerProperties props = new ContainerProperties(topic);
      props.setConsumerRebalanceListener(new StoredOffsetsRebalanceListener(offsets));
      props.setMessageListener(
          new IdempotentRecordListener<String, String>(
              processor,
              record -> {
                String id =
                    new String(
                        record.headers().lastHeader("event-id").value(), StandardCharsets.UTF_8);
                Objects.requireNonNull(binding.currentTransaction())
                    .execute("insert into " + tables + "_effects values (?)", id);
                if (id.equals("event-41") && failures.getAndIncrement() == 0) {
                  throw new IllegalStateException("deadlock detected");
                }
              }));
      container =
          new ConcurrentMessageListenerContainer<>(
              new DefaultKafkaConsumerFactory<>(
                  Map.of(
                      ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                      ConsumerConfig.GROUP_ID_CONFIG, group,
                      ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                  new StringDeserializer(),
                  new StringDeserializer()),
              props);
      container.setCommonErrorHandler(
          new DefaultErrorHandler(new FixedBackOff(100, FixedBackOff.UNLIMITED_ATTEMPTS)));
      container.start();

      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (storedOffset(db, tables) < 42 && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      Thread.sleep(300);

      assertThat(storedOffset(db, tables)).isEqualTo(42);
      assertThat(count(db, "select count(*) from " + tables + "_effects")).isEqualTo(31);
      assertThat(count(db, "select count(distinct event_id) from " + tables + "_effects"))
          .isEqualTo(31);
      assertThat(
              count(
                  db,
                  "select count(*) from "
                      + tables
                      + "_effects where event_id in ('event-0', 'event-9')"))
          .as("records before the stored offset are not read again")
          .isZero();
      assertThat(failures).hasValue(2);
    } finally {
      if (container != null) {
        container.stop();
      }
      idempotency.close();
      try (AdminClient admin = AdminClient.create(Map.of("bootstrap.servers", bootstrap))) {
        admin.deleteTopics(List.of(topic)).all().get();
      }
      sql(
          db,
          "drop table if exists " + tables + "_effects",
          "drop table if exists " + tables + "_records",
          "drop table if exists \"" + tables + "_offsets\"");
    }
  }

  private static void send(KafkaProducer<String, String> producer, String topic, String id) {
    ProducerRecord<String, String> record = new ProducerRecord<>(topic, "k", id);
    record.headers().add("event-id", id.getBytes(StandardCharsets.UTF_8));
    producer.send(record);
  }

  private static long storedOffset(DataSource db, String tables) throws Exception {
    return count(db, "select coalesce(max(next_offset), -1) from \"" + tables + "_offsets\"");
  }

  private static void sql(DataSource db, String... statements) throws Exception {
    try (java.sql.Connection c = db.getConnection();
        Statement s = c.createStatement()) {
      for (String statement : statements) {
        s.execute(statement);
      }
    }
  }

  private static long count(DataSource db, String query) throws Exception {
    try (java.sql.Connection c = db.getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(query)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
