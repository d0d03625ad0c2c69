package dev.idem.messaging.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idem.messaging.ConsumeResult;
import dev.idem.messaging.Disposition;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import javax.sql.DataSource;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A real in-process KRaft broker; the consumer JVM is killed ({@code destroyForcibly}) inside a
 * handler in the middle of a batch, then two consumers of the group share the partitions with a
 * rebalance between them: every event's effect exists exactly once, none is lost, and the offsets
 * in the database equal the end offsets.
 */
class KafkaCrashRebalanceTest {

  private static final int PARTITIONS = 4;
  private static final int N = 300;
  private static final int FREEZE_AT = 70;

  private final String suffix = KafkaTestServers.uniqueSuffix();
  private final String topic = "idem-ledger-" + suffix;
  private final String group = "idem-ledger-" + suffix;
  private final String tables = "kafka_" + suffix;
  private String bootstrap;
  private DataSource db;
  private String offsetTable;

  @BeforeEach
  void create() throws Exception {
    db = KafkaTestServers.postgres();
    long t0 = System.nanoTime();
    bootstrap = KafkaTestServers.kafka();
    phase("broker started", t0);
    try (AdminClient admin = admin()) {
      admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1))).all().get();
    }
    sql(
        "create table "
            + tables
            + "_effects (event_id text not null, partition_no int, record_offset bigint,"
            + " consumer text)",
        "create table " + tables + "_attempts (event_id text not null, consumer text)");
  }

  @AfterEach
  void delete() throws Exception {
    try (AdminClient admin = admin()) {
      admin.deleteTopics(List.of(topic)).all().get();
    } finally {
      sql(
          "drop table if exists " + tables + "_effects",
          "drop table if exists " + tables + "_attempts",
          "drop table if exists " + tables + "_records",
          "drop table if exists " + (offsetTable == null ? tables + "_none" : offsetTable));
    }
  }

  @Test
  void everyEventTakesEffectOnceAcrossAKillAndARebalance() throws Exception {
    long t0 = System.nanoTime();
    int duplicates = 0;
    int withoutId = 0;
    try (KafkaProducer<String, String> producer = producer()) {
      for (int i = 0; i < N; i++) {
        send(producer, "event-" + i, "account-" + (i % 17), "deposit " + i);
        if (i % 10 == 5) {
          send(producer, "event-" + (i - 5), "account-" + ((i - 5) % 17), "deposit " + (i - 5));
          duplicates++;
        }
        if (i % 100 == 50) {
          producer.send(new ProducerRecord<>(topic, "account-x", "no event id"));
          withoutId++;
        }
      }
      producer.flush();
    }
    Map<TopicPartition, Long> endOffsets = endOffsets();
    assertThat(endOffsets.values().stream().mapToLong(Long::longValue).sum())
        .isEqualTo(N + duplicates + withoutId);

    phase("published", t0);
    Process child = startConsumerJvm();
    List<String> childLines = new CopyOnWriteArrayList<>();
    awaitCrashPoint(child, childLines);
    phase("crash point", t0);
    child.destroyForcibly();
    assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
    long committedByChild =
        childLines.stream().filter(l -> l.startsWith("RESULT PROCESSED")).count();
    assertThat(committedByChild).isPositive().isLessThan(N);
    assertThat(count("select count(*) from " + tables + "_effects"))
        .as("the killed transaction rolled back")
        .isEqualTo(committedByChild);

    Map<Disposition, AtomicInteger> results = new ConcurrentHashMap<>();
    AtomicInteger deadLettered =
        new AtomicInteger(
            (int) childLines.stream().filter(l -> l.startsWith("DEADLETTER")).count());
    BiConsumer<ConsumerRecord<String, String>, ConsumeResult> tally =
        (r, result) ->
            results
                .computeIfAbsent(result.disposition(), d -> new AtomicInteger())
                .incrementAndGet();
    BiConsumer<ConsumerRecord<String, String>, Throwable> dead =
        (r, f) -> deadLettered.incrementAndGet();
    LedgerTestConsumer first =
        new LedgerTestConsumer("first", db, bootstrap, topic, group, tables, -1, tally, dead);
    LedgerTestConsumer second =
        new LedgerTestConsumer("second", db, bootstrap, topic, group, tables, -1, tally, dead);
    offsetTable = first.offsetTable();
    Thread firstThread = new Thread(first, "ledger-first");
    Thread secondThread = new Thread(second, "ledger-second");
    try {
      firstThread.start();
      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      while (count("select count(*) from " + tables + "_effects where consumer = 'first'") < 20
          && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      phase("first consumer working", t0);
      secondThread.start(); // joins the group: a rebalance in the middle of the first's work
      while (!offsetsReached(endOffsets) && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      phase("offsets reached", t0);
      Thread.sleep(500); // anything handled twice would show up below
    } finally {
      first.close();
      second.close();
      firstThread.join(10_000);
      secondThread.join(10_000);
    }

    long effects = count("select count(*) from " + tables + "_effects");
    long distinct = count("select count(distinct event_id) from " + tables + "_effects");
    long attempts = count("select count(*) from " + tables + "_attempts");
    System.out.printf(
        "Kafka crash/rebalance test: N=%d, records=%d (duplicates %d, without id %d),"
            + " attempts=%d, committed executions=%d, distinct effects=%d, duplicates skipped=%d,"
            + " dead-lettered=%d, rebalances: first assigned %d/revoked %d, second assigned %d"
            + " (effects by the second: %d)%n",
        N,
        N + duplicates + withoutId,
        duplicates,
        withoutId,
        attempts,
        effects,
        distinct,
        get(results, Disposition.DUPLICATE)
            + childLines.stream().filter(l -> l.startsWith("RESULT DUPLICATE")).count(),
        deadLettered.get(),
        first.assignments.get(),
        first.revocations.get(),
        second.assignments.get(),
        count("select count(*) from " + tables + "_effects where consumer = 'second'"));

    assertThat(storedOffsets()).isEqualTo(endOffsets);
    assertThat(effects).isEqualTo(N);
    assertThat(distinct).isEqualTo(N);
    assertThat(attempts).as("the killed attempt ran but did not commit").isGreaterThan(N);
    assertThat(committedByChild + get(results, Disposition.PROCESSED)).isEqualTo(N);
    assertThat(deadLettered.get()).isEqualTo(withoutId);
    assertThat(second.assignments.get()).as("the second consumer got partitions").isPositive();
    assertThat(first.revocations.get()).as("the first consumer gave some up").isPositive();
    assertThat(results).doesNotContainKeys(Disposition.RETRY, Disposition.DEAD_LETTER);
  }

  private static void phase(String what, long t0) {
    System.out.printf("[%5d ms] %s%n", (System.nanoTime() - t0) / 1_000_000, what);
  }

  private boolean offsetsReached(Map<TopicPartition, Long> endOffsets) throws Exception {
    return storedOffsets().equals(endOffsets);
  }

  private Map<TopicPartition, Long> storedOffsets() throws Exception {
    Map<TopicPartition, Long> stored = new HashMap<>();
    if (offsetTable == null) {
      return stored;
    }
    try (java.sql.Connection c = db.getConnection();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "select topic, partition_no, next_offset from \"" + offsetTable + "\"")) {
      while (rs.next()) {
        stored.put(new TopicPartition(rs.getString(1), rs.getInt(2)), rs.getLong(3));
      }
    }
    return stored;
  }

  private Map<TopicPartition, Long> endOffsets() {
    Properties props = new Properties();
    props.put("bootstrap.servers", bootstrap);
    try (KafkaConsumer<String, String> c =
        new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (int p = 0; p < PARTITIONS; p++) {
        partitions.add(new TopicPartition(topic, p));
      }
      Map<TopicPartition, Long> ends = new HashMap<>(c.endOffsets(partitions));
      ends.values().removeIf(v -> v == 0L);
      return ends;
    }
  }

  private void send(
      KafkaProducer<String, String> producer, String eventId, String key, String value) {
    ProducerRecord<String, String> record = new ProducerRecord<>(topic, key, value);
    record.headers().add("event-id", eventId.getBytes(StandardCharsets.UTF_8));
    producer.send(record);
  }

  private KafkaProducer<String, String> producer() {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    return new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
  }

  private AdminClient admin() {
    return AdminClient.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
  }

  private Process startConsumerJvm() throws Exception {
    String classPath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    ProcessBuilder builder =
        new ProcessBuilder(
            java.toString(),
            "-XX:TieredStopAtLevel=1",
            "-Xshare:auto",
            "-Dorg.jooq.no-logo=true",
            "-Dorg.jooq.no-tips=true",
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
            "-cp",
            classPath,
            LedgerTestConsumer.class.getName(),
            bootstrap,
            topic,
            group,
            tables,
            String.valueOf(FREEZE_AT));
    builder.redirectErrorStream(true);
    return builder.start();
  }

  private static void awaitCrashPoint(Process child, List<String> lines) throws Exception {
    BufferedReader out =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
    List<String> transcript = new ArrayList<>();
    String line;
    while ((line = out.readLine()) != null) {
      transcript.add(line);
      if (line.startsWith(LedgerTestConsumer.CRASH_POINT)) {
        return;
      }
      lines.add(line);
    }
    throw new AssertionError("the consumer JVM ended before its crash point:\n" + transcript);
  }

  private static int get(Map<Disposition, AtomicInteger> counts, Disposition d) {
    AtomicInteger n = counts.get(d);
    return n == null ? 0 : n.get();
  }

  private void sql(String... statements) throws Exception {
    try (java.sql.Connection c = db.getConnection();
        Statement s = c.createStatement()) {
      for (String statement : statements) {
        s.execute(statement);
      }
    }
  }

  private long count(String query) throws Exception {
    try (java.sql.Connection c = db.getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(query)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
