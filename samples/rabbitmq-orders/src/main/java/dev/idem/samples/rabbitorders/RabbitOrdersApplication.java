package dev.idem.samples.rabbitorders;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.rabbit.annotation.RabbitListener;
import org.springframework.amqp.rabbit.config.SimpleRabbitListenerContainerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * The order consumer: one {@code @RabbitListener} that inserts each order into PostgreSQL. It has
 * no dedup code of its own: {@code idem-messaging-amqp} wraps it, takes the AMQP {@code message-id}
 * as the key and runs it in the transaction that holds the dedup record.
 */
@SpringBootApplication
public class RabbitOrdersApplication {

  /**
   * Runs the consumer.
   *
   * @param args Spring Boot arguments, e.g. {@code --orders.queue=...}
   */
  public static void main(String[] args) {
    SpringApplication.run(RabbitOrdersApplication.class, args);
  }

  /**
   * Counts every delivery, before Idem decides whether the listener runs.
   *
   * @param events the counters
   * @return the post-processor
   */
  @Bean
  static BeanPostProcessor countDeliveries(
      org.springframework.beans.factory.ObjectProvider<OrderEvents> events) {
    return new BeanPostProcessor() {
      @Override
      public Object postProcessAfterInitialization(Object bean, String name) {
        if (bean instanceof SimpleRabbitListenerContainerFactory factory) {
          factory.setAfterReceivePostProcessors(
              message -> {
                events.getObject().delivered(message);
                return message;
              });
        }
        return bean;
      }
    };
  }

  /** The listener and its counters. */
  @Component
  public static class OrderEvents {
    final AtomicInteger deliveries = new AtomicInteger();
    final AtomicInteger redeliveries = new AtomicInteger();
    final AtomicInteger runs = new AtomicInteger();
    final AtomicInteger invalid = new AtomicInteger();
    private final JdbcTemplate jdbc;
    private final String table;
    private final int crashAtRun;
    private final boolean print;

    OrderEvents(
        JdbcTemplate jdbc,
        @Value("${orders.table}") String table,
        @Value("${orders.crash-at-run:0}") int crashAtRun,
        @Value("${orders.print-events:false}") boolean print) {
      this.jdbc = jdbc;
      this.table = table;
      this.crashAtRun = crashAtRun;
      this.print = print;
    }

    void delivered(Message message) {
      deliveries.incrementAndGet();
      boolean redelivered = Boolean.TRUE.equals(message.getMessageProperties().getRedelivered());
      if (redelivered) {
        redeliveries.incrementAndGet();
      }
      print("DELIVERY " + redelivered);
    }

    /**
     * Applies an order event {@code sku;quantity}.
     *
     * @param message the delivery
     */
    @RabbitListener(queues = "${orders.queue}")
    public void on(Message message) {
      String orderId = message.getMessageProperties().getMessageId();
      String[] order = new String(message.getBody(), StandardCharsets.UTF_8).split(";");
      int run = runs.incrementAndGet();
      print("RUN " + orderId);
      int quantity = Integer.parseInt(order[1]);
      if (quantity <= 0) {
        invalid.incrementAndGet();
        print("INVALID " + orderId);
        throw new InvalidOrderException("quantity must be positive");
      }
      jdbc.update(
          "insert into " + table + " (order_id, sku, quantity) values (?, ?, ?)",
          orderId,
          order[0],
          quantity);
      if (run == crashAtRun) {
        print("CRASH " + orderId);
        Runtime.getRuntime().halt(137); // the process dies before the transaction commits
      }
    }

    private void print(String line) {
      if (print) {
        System.out.println(line);
        System.out.flush();
      }
    }
  }
}
