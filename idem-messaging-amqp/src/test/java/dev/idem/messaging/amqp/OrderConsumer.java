package dev.idem.messaging.amqp;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Delivery;
import dev.idem.Idempotency;
import dev.idem.IdempotencyConfig;
import dev.idem.messaging.ConsumeResult;
import dev.idem.messaging.IdempotentConsumer;
import dev.idem.store.sql.JooqIdempotencyStore;
import dev.idem.store.sql.JooqTransactionBinding;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;

/**
 * The consumer of the crash tests: applies each order message to PostgreSQL (an effect row and an
 * execution row, in the transaction that holds the dedup record) and logs every attempt outside it.
 * Runs in a forked JVM ({@link #main}) that can be told to freeze inside its Nth handler, and in
 * the test JVM for recovery.
 */
final class OrderConsumer implements AutoCloseable {

  static final String CRASH_POINT = "CRASH-POINT";

  private final Connection connection;
  private final Channel channel;
  private final Idempotency idempotency;
  private final AtomicInteger attempts = new AtomicInteger();

  OrderConsumer(
      DataSource dataSource,
      String queue,
      String tables,
      int freezeAtAttempt,
      BiConsumer<Delivery, ConsumeResult> results)
      throws Exception {
    JooqTransactionBinding transactions = JooqTransactionBinding.create();
    DSLContext plain = DSL.using(dataSource, SQLDialect.POSTGRES);
    DSLContext dsl = transactions.bind(plain);
    JooqIdempotencyStore store =
        JooqIdempotencyStore.builder(dataSource, SQLDialect.POSTGRES)
            .tableName(tables + "_records")
            .transactional(transactions)
            .build()
            .createSchemaIfMissing();
    idempotency = Idempotency.of(IdempotencyConfig.builder().store(store).build());
    IdempotentConsumer<Delivery> consumer =
        IdempotentConsumer.builder(idempotency, "orders.placed", AmqpMessageIds.messageId())
            .transactions(work -> dsl.transaction(trx -> work.run()))
            .build();
    String pid = String.valueOf(ProcessHandle.current().pid());
    connection = TestServers.rabbit("idem-order-consumer-" + pid);
    channel = connection.createChannel();
    channel.basicQos(10);
    IdempotentDeliverCallback callback =
        IdempotentDeliverCallback.of(
                channel,
                consumer,
                delivery -> {
                  String id = delivery.getProperties().getMessageId();
                  int attempt = attempts.incrementAndGet();
                  plain.execute(
                      "insert into " + tables + "_attempts (message_id, pid) values (?, ?)",
                      id,
                      pid);
                  DSLContext trx = Objects.requireNonNull(transactions.currentTransaction());
                  trx.execute(
                      "insert into " + tables + "_effects (message_id, body) values (?, ?)",
                      id,
                      new String(delivery.getBody(), StandardCharsets.UTF_8));
                  trx.execute(
                      "insert into " + tables + "_executions (message_id, pid) values (?, ?)",
                      id,
                      pid);
                  if (attempt == freezeAtAttempt) {
                    System.out.println(CRASH_POINT + " " + id);
                    System.out.flush();
                    Thread.sleep(Long.MAX_VALUE);
                  }
                  Thread.sleep(5);
                })
            .onResult(results);
    channel.basicConsume(queue, false, callback, tag -> {});
  }

  @Override
  public void close() throws Exception {
    try {
      connection.close();
    } finally {
      idempotency.close();
    }
  }

  /**
   * Runs the consumer until killed. Arguments: queue, table prefix, attempt to freeze at. Prints
   * one line per result: {@code RESULT <disposition> <redelivered> <id>}.
   */
  public static void main(String[] args) throws Exception {
    PrintStream out = System.out;
    OrderConsumer consumer =
        new OrderConsumer(
            TestServers.postgres(),
            args[0],
            args[1],
            Integer.parseInt(args[2]),
            (delivery, result) -> {
              out.println(
                  "RESULT "
                      + result.disposition()
                      + " "
                      + delivery.getEnvelope().isRedeliver()
                      + " "
                      + delivery.getProperties().getMessageId());
              out.flush();
            });
    out.println("READY");
    out.flush();
    Thread.sleep(Long.MAX_VALUE);
    consumer.close();
  }
}
