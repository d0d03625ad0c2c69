package dev.idem.messaging.kafka;

import dev.idem.Idempotency;
import dev.idem.IdempotencyConfig;
import dev.idem.messaging.ConsumeResult;
import dev.idem.store.sql.JooqIdempotencyStore;
import dev.idem.store.sql.JooqTransactionBinding;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;

/**
 * The consumer of the Kafka crash test: a plain {@code KafkaConsumer} loop whose handler inserts an
 * effect row in the transaction that also holds the dedup record and the next offset, and logs
 * every attempt outside it. Runs in a forked JVM ({@link #main}) that freezes inside its Nth
 * handler, and on threads of the test JVM.
 */
final class LedgerTestConsumer implements Runnable, AutoCloseable {

  static final String CRASH_POINT = "CRASH-POINT";

  private final KafkaConsumer<String, String> kafka;
  private final Idempotency idempotency;
  private final TransactionalRecordProcessor<String, String> processor;
  private final KafkaOffsetStore offsets;
  private final String topic;
  private final String tables;
  private final String name;
  private final int freezeAt;
  private final DSLContext plain;
  private final JooqTransactionBinding binding;
  private final AtomicInteger attempts = new AtomicInteger();
  final AtomicInteger assignments = new AtomicInteger();
  final AtomicInteger revocations = new AtomicInteger();

  LedgerTestConsumer(
      String name,
      DataSource db,
      String bootstrap,
      String topic,
      String group,
      String tables,
      int freezeAt,
      BiConsumer<ConsumerRecord<String, String>, ConsumeResult> results,
      BiConsumer<ConsumerRecord<String, String>, Throwable> deadLetters) {
    this.name = name;
    this.topic = topic;
    this.tables = tables;
    this.freezeAt = freezeAt;
    binding = JooqTransactionBinding.create();
    plain = DSL.using(db, SQLDialect.POSTGRES);
    DSLContext dsl = binding.bind(plain);
    JooqIdempotencyStore store =
        JooqIdempotencyStore.builder(db, SQLDialect.POSTGRES)
            .tableName(tables + "_records")
            .transactional(binding)
            .build()
            .createSchemaIfMissing();
    idempotency = Idempotency.of(IdempotencyConfig.builder().store(store).build());
    offsets =
        KafkaOffsetStore.builder(db, SQLDialect.POSTGRES, group, binding)
            .build()
            .createSchemaIfMissing();
    processor =
        TransactionalRecordProcessor.<String, String>builder(
                idempotency, "ledger.events", offsets, work -> dsl.transaction(trx -> work.run()))
            .messageId(KafkaMessageIds.header("event-id"))
            .onResult(results)
            .deadLetters(deadLetters)
            .build();
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, name);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "25");
    props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "6000");
    props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "1000");
    props.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, "20000");
    kafka = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer());
  }

  /** The offset table's name. */
  String offsetTable() {
    return offsets.tableName();
  }

  @Override
  public void run() {
    ConsumerRebalanceListener seek = offsets.rebalanceListener(kafka);
    kafka.subscribe(
        List.of(topic),
        new ConsumerRebalanceListener() {
          @Override
          public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            if (!partitions.isEmpty()) {
              revocations.incrementAndGet();
            }
          }

          @Override
          public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            if (!partitions.isEmpty()) {
              assignments.incrementAndGet();
            }
            seek.onPartitionsAssigned(partitions);
          }
        });
    try {
      while (true) {
        processor.process(kafka, kafka.poll(Duration.ofMillis(200)), this::apply);
      }
    } catch (WakeupException closing) {
      // close() was called
    } finally {
      kafka.close(Duration.ofSeconds(5));
    }
  }

  private void apply(ConsumerRecord<String, String> record) throws InterruptedException {
    String eventId =
        new String(
            record.headers().lastHeader("event-id").value(),
            java.nio.charset.StandardCharsets.UTF_8);
    int attempt = attempts.incrementAndGet();
    plain.execute(
        "insert into " + tables + "_attempts (event_id, consumer) values (?, ?)", eventId, name);
    DSLContext trx = Objects.requireNonNull(binding.currentTransaction());
    trx.execute(
        "insert into "
            + tables
            + "_effects (event_id, partition_no, record_offset, consumer)"
            + " values (?, ?, ?, ?)",
        eventId,
        record.partition(),
        record.offset(),
        name);
    if (attempt == freezeAt) {
      System.out.println(CRASH_POINT + " " + eventId);
      System.out.flush();
      Thread.sleep(Long.MAX_VALUE);
    }
    Thread.sleep(freezeAt > 0 ? 2 : 10); // slow enough for the rebalance to land mid-work
  }

  /** Stops the loop from another thread; {@link #run} closes the consumer. */
  @Override
  public void close() {
    kafka.wakeup();
    idempotency.close();
  }

  /**
   * Runs until killed. Arguments: bootstrap servers, topic, group, table prefix, attempt to freeze
   * at. Prints {@code RESULT <disposition> <event id>} per record.
   */
  public static void main(String[] args) {
    PrintStream out = System.out;
    DataSource db = KafkaTestServers.postgres();
    new LedgerTestConsumer(
            "forked",
            db,
            args[0],
            args[1],
            args[2],
            args[3],
            Integer.parseInt(args[4]),
            (record, result) -> {
              out.println("RESULT " + result.disposition() + " " + record.offset());
              out.flush();
            },
            (record, failure) -> {
              out.println("DEADLETTER " + record.offset());
              out.flush();
            })
        .run();
  }
}
