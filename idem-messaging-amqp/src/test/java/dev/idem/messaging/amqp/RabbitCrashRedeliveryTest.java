package dev.idem.messaging.amqp;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The consumer JVM is killed ({@code destroyForcibly}) inside a handler, with uncommitted writes
 * and unacknowledged deliveries; the broker redelivers them to a recovering consumer, and every
 * order's effect exists exactly once in PostgreSQL.
 */
class RabbitCrashRedeliveryTest {

  private static final int N = 60;
  private static final int FREEZE_AT_ATTEMPT = 25;

  private final String suffix = TestServers.uniqueSuffix();
  private final String queue = "idem-test-orders-" + suffix;
  private final String deadLetters = "idem-test-orders-dlx-" + suffix;
  private final String tables = "amqp_" + suffix;
  private DataSource db;
  private Connection rabbit;
  private Channel admin;

  @BeforeEach
  void declare() throws Exception {
    db = TestServers.postgres();
    rabbit = TestServers.rabbit("idem-test-admin");
    admin = rabbit.createChannel();
    admin.exchangeDeclare(deadLetters, BuiltinExchangeType.FANOUT, false, true, null);
    admin.queueDeclare(deadLetters, false, false, false, null);
    admin.queueBind(deadLetters, deadLetters, "");
    admin.queueDeclare(queue, false, false, false, Map.of("x-dead-letter-exchange", deadLetters));
    sql(
        "create table " + tables + "_effects (message_id text not null, body text not null)",
        "create table " + tables + "_executions (message_id text not null, pid text not null)",
        "create table " + tables + "_attempts (message_id text not null, pid text not null)");
  }

  @AfterEach
  void delete() throws Exception {
    try {
      admin.queueDelete(queue);
      admin.queueDelete(deadLetters);
      admin.exchangeDelete(deadLetters);
      rabbit.close();
    } finally {
      sql(
          "drop table if exists " + tables + "_effects",
          "drop table if exists " + tables + "_executions",
          "drop table if exists " + tables + "_attempts",
          "drop table if exists " + tables + "_records");
    }
  }

  @Test
  void everyOrderTakesEffectOnceAfterTheConsumerIsKilledMidHandler() throws Exception {
    int duplicates = publishOrdersWithDuplicates();

    Process child = startConsumerJvm();
    List<String> childResults = new CopyOnWriteArrayList<>();
    String crashedAt = awaitCrashPoint(child, childResults);
    child.destroyForcibly();
    assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();

    assertThat(count("select count(*) from " + tables + "_effects where message_id = ?", crashedAt))
        .as("the killed handler's uncommitted effect rolled back")
        .isZero();
    long committedByChild = childResults.stream().filter(r -> r.startsWith("PROCESSED ")).count();
    assertThat(committedByChild).isPositive().isLessThan(N);

    Map<Disposition, AtomicInteger> recovered = new ConcurrentHashMap<>();
    AtomicInteger redelivered = new AtomicInteger();
    try (OrderConsumer recovery =
        new OrderConsumer(
            db,
            queue,
            tables,
            -1,
            (delivery, result) -> {
              tally(recovered, result);
              if (delivery.getEnvelope().isRedeliver()) {
                redelivered.incrementAndGet();
              }
            })) {
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (handled(recovered) + childResults.size() < N + duplicates
          && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      Thread.sleep(300); // anything still arriving would show up as an extra count below
    }

    long skippedByChild = childResults.stream().filter(r -> r.startsWith("DUPLICATE ")).count();
    int processed = (int) committedByChild + get(recovered, Disposition.PROCESSED);
    int skipped = (int) skippedByChild + get(recovered, Disposition.DUPLICATE);
    System.out.printf(
        "RabbitMQ crash test: N=%d, duplicates published=%d, attempts=%d, committed executions=%d,"
            + " effects=%d, duplicates skipped=%d, redelivered=%d%n",
        N,
        duplicates,
        count("select count(*) from " + tables + "_attempts"),
        count("select count(*) from " + tables + "_executions"),
        count("select count(*) from " + tables + "_effects"),
        skipped,
        redelivered.get());

    assertThat(count("select count(*) from " + tables + "_effects")).isEqualTo(N);
    assertThat(count("select count(distinct message_id) from " + tables + "_effects")).isEqualTo(N);
    assertThat(count("select count(*) from " + tables + "_executions")).isEqualTo(N);
    assertThat(count("select count(*) from " + tables + "_attempts"))
        .as("the killed attempt ran but did not commit")
        .isGreaterThan(N);
    assertThat(processed).isEqualTo(N);
    assertThat(skipped)
        .as("an ack lost in the kill makes one more duplicate")
        .isGreaterThanOrEqualTo(duplicates);
    assertThat(redelivered.get()).as("unacknowledged deliveries came back").isPositive();
    assertThat(recovered).doesNotContainKeys(Disposition.RETRY, Disposition.DEAD_LETTER);
    assertThat(admin.messageCount(queue)).isZero();
    assertThat(admin.messageCount(deadLetters)).isZero();
  }

  /** A permanent failure of the dead-letter test. */
  public static class UnknownProductException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UnknownProductException(String message) {
      super(message);
    }
  }

  @Test
  void messagesWithoutIdAndPermanentFailuresGoToTheDeadLetterQueue() throws Exception {
    dev.idem.Idempotency idempotency =
        dev.idem.Idempotency.of(
            dev.idem.IdempotencyConfig.builder()
                .store(dev.idem.store.memory.InMemoryIdempotencyStore.create())
                .build());
    dev.idem.messaging.IdempotentConsumer<com.rabbitmq.client.Delivery> consumer =
        dev.idem.messaging.IdempotentConsumer.builder(
                idempotency, "orders.dlx", AmqpMessageIds.messageId())
            .permanentFailures(UnknownProductException.class)
            .build();
    AtomicInteger runs = new AtomicInteger();
    List<Disposition> results = new CopyOnWriteArrayList<>();
    Channel channel = rabbit.createChannel();
    channel.basicConsume(
        queue,
        false,
        IdempotentDeliverCallback.of(
                channel,
                consumer,
                d -> {
                  runs.incrementAndGet();
                  throw new UnknownProductException("no such product");
                })
            .onResult((d, r) -> results.add(r.disposition())),
        tag -> {});

    admin.confirmSelect();
    admin.basicPublish(
        "", queue, new AMQP.BasicProperties(), "no id".getBytes(StandardCharsets.UTF_8));
    publish("poison-1", "poison");
    publish("poison-1", "poison");
    admin.waitForConfirmsOrDie(10_000);
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (admin.messageCount(deadLetters) < 3 && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    channel.close();
    idempotency.close();

    assertThat(results)
        .containsExactly(Disposition.INVALID, Disposition.DEAD_LETTER, Disposition.DEAD_LETTER);
    assertThat(runs).as("the stored permanent failure is not run again").hasValue(1);
    assertThat(admin.messageCount(deadLetters)).isEqualTo(3);
    assertThat(admin.messageCount(queue)).isZero();
  }

  private int publishOrdersWithDuplicates() throws Exception {
    int duplicates = 0;
    for (int i = 0; i < N; i++) {
      publish("order-" + i, "order " + i);
      if (i % 3 == 2) {
        publish("order-" + (i - 2), "order " + (i - 2));
        duplicates++;
      }
    }
    admin.waitForConfirmsOrDie(10_000);
    return duplicates;
  }

  private void publish(String id, String body) throws Exception {
    if (admin.getNextPublishSeqNo() == 0) {
      admin.confirmSelect();
    }
    admin.basicPublish(
        "",
        queue,
        new AMQP.BasicProperties.Builder().messageId(id).deliveryMode(2).build(),
        body.getBytes(StandardCharsets.UTF_8));
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
            "-cp",
            classPath,
            OrderConsumer.class.getName(),
            queue,
            tables,
            String.valueOf(FREEZE_AT_ATTEMPT));
    builder.redirectErrorStream(true);
    return builder.start();
  }

  private static String awaitCrashPoint(Process child, List<String> results) throws Exception {
    BufferedReader out =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
    List<String> transcript = new ArrayList<>();
    String line;
    while ((line = out.readLine()) != null) {
      transcript.add(line);
      if (line.startsWith("RESULT ")) {
        results.add(line.substring("RESULT ".length()));
      } else if (line.startsWith(OrderConsumer.CRASH_POINT)) {
        return line.substring(OrderConsumer.CRASH_POINT.length() + 1);
      }
    }
    throw new AssertionError("the consumer JVM ended before its crash point:\n" + transcript);
  }

  private static void tally(Map<Disposition, AtomicInteger> counts, ConsumeResult result) {
    counts.computeIfAbsent(result.disposition(), d -> new AtomicInteger()).incrementAndGet();
  }

  private static int handled(Map<Disposition, AtomicInteger> counts) {
    return get(counts, Disposition.PROCESSED) + get(counts, Disposition.DUPLICATE);
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

  private long count(String query, Object... args) throws Exception {
    try (java.sql.Connection c = db.getConnection();
        var s = c.prepareStatement(query)) {
      for (int i = 0; i < args.length; i++) {
        s.setObject(i + 1, args[i]);
      }
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }
}
