package dev.idem.messaging.amqp.spring;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.core.QueueBuilder;
import org.springframework.amqp.rabbit.annotation.RabbitListener;
import org.springframework.amqp.support.AmqpHeaders;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.messaging.handler.annotation.Header;
import org.springframework.stereotype.Component;

/** The application of the Spring AMQP test: one {@code @RabbitListener} writing to PostgreSQL. */
@SpringBootApplication
public class RabbitListenerApplication {

  /** A permanent failure: the message is dead-lettered and its failure stored. */
  public static class PoisonMessageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message the message
     */
    public PoisonMessageException(String message) {
      super(message);
    }
  }

  @Bean
  Queue ordersQueue(@Value("${test.queue}") String queue, @Value("${test.dlx}") String dlx) {
    return QueueBuilder.nonDurable(queue).deadLetterExchange("").deadLetterRoutingKey(dlx).build();
  }

  @Bean
  Queue deadLetterQueue(@Value("${test.dlx}") String dlx) {
    return QueueBuilder.nonDurable(dlx).build();
  }

  /** The listener: inserts an effect row, fails for some bodies. */
  @Component
  public static class OrderListener {
    final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
    private final JdbcTemplate jdbc;
    private final String table;

    OrderListener(JdbcTemplate jdbc, @Value("${test.table}") String table) {
      this.jdbc = jdbc;
      this.table = table;
    }

    @RabbitListener(queues = "${test.queue}")
    void on(String body, @Header(name = AmqpHeaders.MESSAGE_ID, required = false) String id) {
      int run = runs.computeIfAbsent(body, b -> new AtomicInteger()).incrementAndGet();
      jdbc.update("insert into " + table + " (message_id, body) values (?, ?)", id, body);
      if (body.startsWith("poison")) {
        throw new PoisonMessageException("cannot apply " + body);
      }
      if (body.startsWith("flaky") && run == 1) {
        throw new IllegalStateException("lock wait timeout");
      }
    }
  }
}
