package dev.idem.messaging.amqp.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idem.messaging.amqp.spring.RabbitListenerApplication.OrderListener;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.core.AmqpAdmin;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.amqp.rabbit.listener.RabbitListenerEndpointRegistry;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A {@code @RabbitListener} made idempotent by the auto-configuration, against the real RabbitMQ,
 * with Idem's records in PostgreSQL in the listener's transaction.
 */
@SpringBootTest(classes = RabbitListenerApplication.class)
class IdempotentRabbitListenerTest {

  private static final String SUFFIX =
      UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  private static final String QUEUE = "idem-test-listener-" + SUFFIX;
  private static final String DLQ = QUEUE + "-dlq";
  private static final String TABLE = "amqp_listener_" + SUFFIX;
  private static final int N = 30;

  private static JdbcTemplate cleanupJdbc;
  private static AmqpAdmin cleanupAdmin;
  private static RabbitListenerEndpointRegistry cleanupRegistry;

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) {
    SpringTestServers.check();
    registry.add("spring.rabbitmq.addresses", SpringTestServers::rabbitUrl);
    registry.add("spring.datasource.url", SpringTestServers::postgresUrl);
    registry.add("test.queue", () -> QUEUE);
    registry.add("test.dlx", () -> DLQ);
    registry.add("test.table", () -> TABLE);
    registry.add("idem.store", () -> "jdbc");
    registry.add("idem.jdbc.transactional", () -> "true");
    registry.add("idem.jdbc.table-name", () -> TABLE + "_records");
    registry.add("idem.jdbc.initialize-schema", () -> "always");
    registry.add(
        "idem.messaging.rabbit.permanent-failures",
        () -> RabbitListenerApplication.PoisonMessageException.class.getName());
  }

  @Autowired RabbitTemplate rabbit;
  @Autowired AmqpAdmin admin;
  @Autowired JdbcTemplate jdbc;
  @Autowired OrderListener listener;
  @Autowired RabbitListenerEndpointRegistry registry;

  @AfterAll
  static void delete() {
    if (cleanupRegistry != null) {
      // a running container would declare the deleted queue again
      cleanupRegistry.stop();
    }
    if (cleanupAdmin != null) {
      cleanupAdmin.deleteQueue(QUEUE);
      cleanupAdmin.deleteQueue(DLQ);
    }
    if (cleanupJdbc != null) {
      cleanupJdbc.execute("drop table if exists " + TABLE);
      cleanupJdbc.execute("drop table if exists " + TABLE + "_records");
    }
  }

  @Test
  void listenerRunsOncePerMessageIdAndDeadLettersWhatItCannotHandle() throws Exception {
    cleanupJdbc = jdbc;
    cleanupAdmin = admin;
    cleanupRegistry = registry;
    jdbc.execute("create table if not exists " + TABLE + " (message_id text, body text not null)");

    for (int i = 0; i < N; i++) {
      send("order-" + i, "order " + i);
      if (i % 3 == 0) {
        send("order-" + i, "order " + i);
      }
    }
    send("flaky-1", "flaky 1");
    send("poison-1", "poison 1");
    send("poison-1", "poison 1");
    send(null, "no id");

    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while ((count(null) < N + 1 || messageCount(DLQ) < 3) && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    Thread.sleep(500); // a duplicate running again would show up below

    assertThat(count(null)).isEqualTo(N + 1);
    assertThat(jdbc.queryForObject("select count(distinct body) from " + TABLE, Long.class))
        .isEqualTo(N + 1);
    assertThat(count("flaky 1")).as("the failed first run rolled back").isEqualTo(1);
    assertThat(count("poison 1")).as("a permanent failure's writes roll back").isZero();
    assertThat(messageCount(DLQ)).isEqualTo(3);
    assertThat(messageCount(QUEUE)).isZero();
    Map<String, AtomicInteger> runs = listener.runs;
    assertThat(runs.get("order 0")).as("a duplicate does not run").hasValue(1);
    assertThat(runs.get("flaky 1")).hasValue(2);
    assertThat(runs.get("poison 1")).as("the stored permanent failure is replayed").hasValue(1);
    assertThat(runs).doesNotContainKey("no id");
  }

  private void send(String id, String body) {
    rabbit.convertAndSend(
        "",
        QUEUE,
        body,
        m -> {
          MessageProperties p = m.getMessageProperties();
          if (id != null) {
            p.setMessageId(id);
          }
          return m;
        });
  }

  private long count(String body) {
    return body == null
        ? jdbc.queryForObject("select count(*) from " + TABLE, Long.class)
        : jdbc.queryForObject(
            "select count(*) from " + TABLE + " where body = ?", Long.class, body);
  }

  private long messageCount(String queue) {
    var info = admin.getQueueInfo(queue);
    return info == null ? -1 : info.getMessageCount();
  }
}
