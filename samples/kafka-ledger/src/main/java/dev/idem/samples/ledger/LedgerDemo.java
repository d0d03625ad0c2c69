package dev.idem.samples.ledger;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.idem.Idempotency;
import dev.idem.IdempotencyConfig;
import dev.idem.messaging.ConsumeResult;
import dev.idem.messaging.Disposition;
import dev.idem.messaging.kafka.KafkaMessageIds;
import dev.idem.messaging.kafka.KafkaOffsetStore;
import dev.idem.messaging.kafka.TransactionalRecordProcessor;
import dev.idem.store.sql.JooqIdempotencyStore;
import dev.idem.store.sql.JooqTransactionBinding;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * The Kafka ledger demo. Publishes deposits to four accounts (some re-published, one stale
 * duplicate last), consumes them with a consumer that crashes inside a transaction, resumes with a
 * new consumer from the offsets stored in the database, and prints each ledger next to the expected
 * balances.
 *
 * <pre>
 * mvn -q -pl samples/kafka-ledger -am install -DskipTests
 * mvn -q -pl samples/kafka-ledger exec:java                                  # embedded KRaft broker, H2
 * mvn -q -pl samples/kafka-ledger exec:java -Dexec.args="--bootstrap localhost:9092 --jdbc jdbc:postgresql://127.0.0.1:5432/test?user=postgres"
 * </pre>
 */
public final class LedgerDemo {

  static final String[] ACCOUNTS = {"alice", "bob", "carol", "dave"};
  static final int DEPOSITS_PER_ACCOUNT = 8;
  static final int CRASH_AT_DELIVERY = 20;

  private LedgerDemo() {}

  /**
   * Runs the demo.
   *
   * @param args {@code [--bootstrap host:port] [--jdbc url]}
   * @throws Exception if the demo fails
   */
  public static void main(String[] args) throws Exception {
    String bootstrap = null;
    String jdbc = "jdbc:h2:mem:ledger;DB_CLOSE_DELAY=-1";
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (args[i].equals("--bootstrap")) {
        bootstrap = args[i + 1];
      } else if (args[i].equals("--jdbc")) {
        jdbc = args[i + 1];
      } else {
        throw new IllegalArgumentException("usage: [--bootstrap host:port] [--jdbc url]");
      }
    }
    EmbeddedKafkaKraftBroker broker = null;
    if (bootstrap == null) {
      System.out.println("Starting an embedded Kafka broker (KRaft mode)...");
      broker = new EmbeddedKafkaKraftBroker(1, 1);
      broker.brokerProperty("group.initial.rebalance.delay.ms", "0");
      broker.afterPropertiesSet();
      bootstrap = broker.getBrokersAsString();
    }
    HikariConfig pool = new HikariConfig();
    pool.setJdbcUrl(jdbc);
    pool.setMaximumPoolSize(4);
    try (HikariDataSource db = new HikariDataSource(pool)) {
      Report report =
          run(bootstrap, db, jdbc.startsWith("jdbc:h2:") ? SQLDialect.H2 : SQLDialect.POSTGRES);
      report.print(System.out);
    } finally {
      if (broker != null) {
        broker.destroy();
      }
    }
    System.exit(0);
  }

  /** What the demo saw. */
  record Report(
      int events,
      int republished,
      Map<String, Long> expected,
      Map<String, Map<String, Long>> ledgers,
      int deliveries,
      int redeliveries,
      int duplicatesSkipped,
      int effects,
      Map<TopicPartition, Long> storedOffsets,
      Map<TopicPartition, Long> endOffsets) {

    void print(PrintStream out) {
      out.printf(
          "%nKafka ledger: %d deposits on 3 partitions, %d re-published (the last one stale);"
              + " the consumer crashed in its first%nhandler run from delivery %d on (before the"
              + " commit); a new consumer resumed from the offsets stored in the database.%n%n",
          events, republished, CRASH_AT_DELIVERY);
      out.printf(
          "%-8s %9s %14s %16s %13s %16s%n",
          "account",
          "expected",
          "upsert (LWW)",
          "upsert if newer",
          "incr + Idem",
          "increment alone");
      for (String account : expected.keySet()) {
        out.printf(
            "%-8s %9d %14s %16s %13s %16s%n",
            account,
            expected.get(account),
            mark(account, Ledger.LAST_WRITE_WINS),
            mark(account, Ledger.VERSIONED),
            mark(account, Ledger.INCREMENT_IDEM),
            mark(account, Ledger.INCREMENT_ALONE));
      }
      out.printf(
          "%n%-36s %6d%n%-36s %6d%n%-36s %6d%n%-36s %6d%n%-36s %6s%n",
          "deliveries",
          deliveries,
          "redeliveries after the crash",
          redeliveries,
          "duplicates skipped (Idem's records)",
          duplicatesSkipped,
          "effects (handler commits)",
          effects,
          "offsets in the database = end offsets",
          storedOffsets.equals(endOffsets) ? "yes" : "NO");
      out.printf(
          "%nAn increment applied twice counts twice; a last-write-wins upsert is undone by a stale"
              + " duplicate.%nThe version check and Idem's records (in the transaction of the write"
              + " and the offset) apply each event once.%n");
    }

    private String mark(String account, String table) {
      Long value = ledgers.get(table).get(account);
      long expectedValue = expected.get(account);
      return (value == null ? "-" : value.toString())
          + (Objects.equals(value, expectedValue) ? "  " : " ✗");
    }
  }

  /** Publishes, consumes with a crash, resumes, and reports. */
  static Report run(String bootstrap, DataSource db, SQLDialect dialect) throws Exception {
    String topic = "ledger-events-" + UUID.randomUUID().toString().substring(0, 8);
    String group = "ledger-demo";
    try (AdminClient admin = AdminClient.create(Map.of("bootstrap.servers", bootstrap))) {
      admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get();
    }
    JooqTransactionBinding binding = JooqTransactionBinding.create();
    DSLContext plain = DSL.using(db, dialect);
    DSLContext dsl = binding.bind(plain);
    Ledger.createTables(plain);
    plain.execute("drop table if exists ledger_idem_records");
    plain.execute("drop table if exists ledger_offsets");
    JooqIdempotencyStore store =
        JooqIdempotencyStore.builder(db, dialect)
            .tableName("ledger_idem_records")
            .transactional(binding)
            .build()
            .createSchemaIfMissing();
    KafkaOffsetStore offsets =
        KafkaOffsetStore.builder(db, dialect, group, binding)
            .tableName("ledger_offsets")
            .build()
            .createSchemaIfMissing();

    Map<String, Long> expected = new TreeMap<>();
    int[] published = publish(bootstrap, topic, expected);
    Map<TopicPartition, Long> endOffsets = endOffsets(bootstrap, topic);

    AtomicInteger duplicates = new AtomicInteger();
    AtomicInteger effects = new AtomicInteger();
    Consumers consumers;
    try (Idempotency idempotency =
        Idempotency.of(IdempotencyConfig.builder().store(store).build())) {
      TransactionalRecordProcessor<String, String> processor =
          TransactionalRecordProcessor.<String, String>builder(
                  idempotency,
                  "ledger.deposits",
                  offsets,
                  work -> dsl.transaction(trx -> work.run()))
              .messageId(KafkaMessageIds.header("event-id"))
              .onResult(
                  (r, result) -> {
                    if (result.disposition() == Disposition.DUPLICATE) {
                      duplicates.incrementAndGet();
                    } else if (result.disposition() == Disposition.PROCESSED) {
                      effects.incrementAndGet();
                    }
                  })
              .build();
      consumers =
          new Consumers(bootstrap, topic, group, processor, binding, plain, offsets, endOffsets);
      if (!consumers.consume(CRASH_AT_DELIVERY)) {
        throw new IllegalStateException("the first consumer did not reach its crash point");
      }
      consumers.consume(-1);
    }
    Map<String, Map<String, Long>> ledgers = new LinkedHashMap<>();
    for (String table :
        List.of(
            Ledger.LAST_WRITE_WINS,
            Ledger.VERSIONED,
            Ledger.INCREMENT_IDEM,
            Ledger.INCREMENT_ALONE)) {
      ledgers.put(table, Ledger.balances(plain, table));
    }
    return new Report(
        published[0],
        published[1],
        expected,
        ledgers,
        consumers.deliveries,
        consumers.redeliveries,
        duplicates.get(),
        effects.get(),
        offsets.offsets(endOffsets.keySet()),
        endOffsets);
  }

  /**
   * The consumers of the demo's group, run one after the other as one process after another would,
   * and the deliveries they saw between them.
   */
  private static final class Consumers {
    private final String bootstrap;
    private final String topic;
    private final String group;
    private final TransactionalRecordProcessor<String, String> processor;
    private final JooqTransactionBinding binding;
    private final DSLContext plain;
    private final KafkaOffsetStore offsets;
    private final Map<TopicPartition, Long> endOffsets;
    private final Set<String> seen = new HashSet<>();
    private int deliveries;
    private int redeliveries;

    Consumers(
        String bootstrap,
        String topic,
        String group,
        TransactionalRecordProcessor<String, String> processor,
        JooqTransactionBinding binding,
        DSLContext plain,
        KafkaOffsetStore offsets,
        Map<TopicPartition, Long> endOffsets) {
      this.bootstrap = bootstrap;
      this.topic = topic;
      this.group = group;
      this.processor = processor;
      this.binding = binding;
      this.plain = plain;
      this.offsets = offsets;
      this.endOffsets = endOffsets;
    }

    /**
     * Runs one consumer until it crashes (at delivery {@code crashAt}, if positive) or has read
     * everything; returns whether it crashed.
     */
    boolean consume(int crashAt) {
      Map<String, Object> props = new HashMap<>();
      props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
      props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
      props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "10");
      try (KafkaConsumer<String, String> kafka =
          new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
        kafka.subscribe(List.of(topic), offsets.rebalanceListener(kafka));
        boolean[] crashed = new boolean[1];
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
          for (ConsumerRecord<String, String> record : kafka.poll(Duration.ofMillis(200))) {
            int delivery = ++deliveries;
            if (!seen.add(record.partition() + "@" + record.offset())) {
              redeliveries++;
            }
            AccountEvent event =
                AccountEvent.parse(
                    new String(
                        record.headers().lastHeader("event-id").value(), StandardCharsets.UTF_8),
                    record.key(),
                    record.value());
            // the writes that have no dedup protection run on every delivery, in autocommit
            Ledger.upsert(plain, event);
            Ledger.versioned(plain, event);
            Ledger.increment(plain, Ledger.INCREMENT_ALONE, event);
            ConsumeResult result =
                processor.handle(
                    record,
                    r -> {
                      DSLContext trx = Objects.requireNonNull(binding.currentTransaction());
                      Ledger.increment(trx, Ledger.INCREMENT_IDEM, event);
                      if (crashAt > 0 && delivery >= crashAt) {
                        crashed[0] = true;
                        throw new IllegalStateException("simulated crash before the commit");
                      }
                    });
            if (crashed[0]) {
              // the process dies here: nothing committed to Kafka, the transaction rolled back
              return true;
            }
            if (result.disposition().redeliver()) {
              kafka.seek(new TopicPartition(record.topic(), record.partition()), record.offset());
              break;
            }
          }
          if (offsets.offsets(endOffsets.keySet()).equals(endOffsets)) {
            return false;
          }
        }
        throw new IllegalStateException("the consumer did not reach the end offsets in 60 s");
      }
    }
  }

  /** Publishes the deposits; returns {events, re-published}. */
  private static int[] publish(String bootstrap, String topic, Map<String, Long> expected) {
    List<AccountEvent> events = new ArrayList<>();
    for (int v = 1; v <= DEPOSITS_PER_ACCOUNT; v++) {
      for (int a = 0; a < ACCOUNTS.length; a++) {
        String account = ACCOUNTS[a];
        long amount = 10L * v + a;
        long balance = expected.merge(account, amount, Long::sum);
        events.add(new AccountEvent(account + "-" + v, account, v, amount, balance));
      }
    }
    int republished = 0;
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ProducerConfig.ACKS_CONFIG,
                "all"),
            new StringSerializer(),
            new StringSerializer())) {
      for (int i = 0; i < events.size(); i++) {
        send(producer, topic, events.get(i));
        if (i % 5 == 4) {
          send(producer, topic, events.get(i)); // a producer retry that succeeded twice
          republished++;
        }
      }
      send(producer, topic, events.get(4 * 2)); // alice's third deposit, re-published last: stale
      republished++;
      producer.flush();
    }
    return new int[] {events.size(), republished};
  }

  private static void send(KafkaProducer<String, String> producer, String topic, AccountEvent e) {
    ProducerRecord<String, String> record = new ProducerRecord<>(topic, e.account(), e.value());
    record.headers().add("event-id", e.eventId().getBytes(StandardCharsets.UTF_8));
    producer.send(record);
  }

  private static Map<TopicPartition, Long> endOffsets(String bootstrap, String topic) {
    Map<String, Object> props = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (KafkaConsumer<String, String> c =
        new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (int p = 0; p < 3; p++) {
        partitions.add(new TopicPartition(topic, p));
      }
      Map<TopicPartition, Long> ends = new HashMap<>(c.endOffsets(partitions));
      ends.values().removeIf(v -> v == 0L);
      return ends;
    }
  }
}
