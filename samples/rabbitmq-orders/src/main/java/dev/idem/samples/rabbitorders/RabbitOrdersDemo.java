package dev.idem.samples.rabbitorders;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The RabbitMQ orders demo: publishes order events with duplicates and one invalid order, runs the
 * consumer in a JVM of its own that crashes inside a handler (before its transaction commits), then
 * recovers with a new consumer, and prints deliveries, redeliveries, duplicates skipped and
 * effects. Needs RabbitMQ and PostgreSQL ({@code IDEM_TEST_RABBITMQ_URL}, {@code
 * IDEM_TEST_POSTGRES_URL}, or the local defaults).
 *
 * <pre>
 * mvn -q -pl samples/rabbitmq-orders -am install -DskipTests
 * mvn -q -pl samples/rabbitmq-orders exec:java
 * </pre>
 */
public final class RabbitOrdersDemo {

  static final int ORDERS = 40;
  static final int CRASH_AT_RUN = 15;

  private RabbitOrdersDemo() {}

  /**
   * Runs the demo.
   *
   * @param args none
   * @throws Exception if the demo fails
   */
  public static void main(String[] args) throws Exception {
    run(rabbitUrl(), postgresUrl()).print(System.out);
    System.exit(0);
  }

  /** One JVM's counts. */
  record Counts(int deliveries, int redeliveries, int runs, int invalid, boolean crashed) {
    int duplicatesSkipped() {
      return deliveries - runs;
    }

    int effects() {
      return runs - invalid - (crashed ? 1 : 0);
    }
  }

  /** What the demo saw. */
  record Report(
      int orders,
      int republished,
      Counts crashed,
      Counts recovered,
      long rows,
      long distinctOrders,
      long deadLettered) {

    void print(PrintStream out) {
      out.printf(
          "%nRabbitMQ orders: %d orders published, %d of them twice, 1 invalid; the consumer JVM"
              + " crashed inside its handler run %d (before its commit).%n%n",
          orders, republished, CRASH_AT_RUN);
      out.printf("%-28s %12s %14s %8s%n", "", "crashed JVM", "recovered JVM", "total");
      row(out, "deliveries", crashed.deliveries(), recovered.deliveries());
      row(out, "redeliveries", crashed.redeliveries(), recovered.redeliveries());
      row(out, "duplicates skipped", crashed.duplicatesSkipped(), recovered.duplicatesSkipped());
      row(out, "handler runs", crashed.runs(), recovered.runs());
      row(out, "effects committed", crashed.effects(), recovered.effects());
      row(out, "dead-lettered (invalid)", crashed.invalid(), recovered.invalid());
      out.printf(
          "%norders in PostgreSQL: %d rows for %d distinct orders (%d published)%s%n"
              + "dead-letter queue: %d message(s)%n",
          rows,
          distinctOrders,
          orders,
          rows == orders && distinctOrders == orders ? " — every order applied exactly once" : "",
          deadLettered);
    }

    private static void row(PrintStream out, String what, int a, int b) {
      out.printf("%-28s %12d %14d %8d%n", what, a, b, a + b);
    }
  }

  static Report run(String rabbitUrl, String postgresUrl) throws Exception {
    String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    String queue = "rabbit-orders-" + suffix;
    String dlq = queue + "-dlq";
    String table = "rabbit_orders_" + suffix;
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(rabbitUrl);
    try (Connection rabbit = factory.newConnection("rabbit-orders-demo");
        java.sql.Connection db = DriverManager.getConnection(postgresUrl)) {
      Channel admin = rabbit.createChannel();
      admin.queueDeclare(dlq, false, false, false, null);
      admin.queueDeclare(
          queue,
          false,
          false,
          false,
          Map.of("x-dead-letter-exchange", "", "x-dead-letter-routing-key", dlq));
      execute(db, "create table " + table + " (order_id text, sku text, quantity int)");
      try {
        int republished = publish(admin, queue);
        List<String> args =
            List.of(
                "--spring.rabbitmq.addresses=" + rabbitUrl,
                "--spring.datasource.url=" + postgresUrl,
                "--orders.queue=" + queue,
                "--orders.table=" + table);
        Counts crashed = runCrashingJvm(args);
        Counts recovered;
        try (ConfigurableApplicationContext app =
            SpringApplication.run(RabbitOrdersApplication.class, args.toArray(String[]::new))) {
          RabbitOrdersApplication.OrderEvents events =
              app.getBean(RabbitOrdersApplication.OrderEvents.class);
          long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
          while ((count(db, "select count(*) from " + table) < ORDERS
                  || admin.messageCount(dlq) < 1
                  || admin.messageCount(queue) > 0)
              && System.nanoTime() < deadline) {
            Thread.sleep(100);
          }
          Thread.sleep(300);
          recovered =
              new Counts(
                  events.deliveries.get(),
                  events.redeliveries.get(),
                  events.runs.get(),
                  events.invalid.get(),
                  false);
        }
        return new Report(
            ORDERS,
            republished,
            crashed,
            recovered,
            count(db, "select count(*) from " + table),
            count(db, "select count(distinct order_id) from " + table),
            admin.messageCount(dlq));
      } finally {
        admin.queueDelete(queue);
        admin.queueDelete(dlq);
        execute(db, "drop table if exists " + table, "drop table if exists " + table + "_idem");
      }
    }
  }

  private static int publish(Channel channel, String queue) throws Exception {
    channel.confirmSelect();
    int republished = 0;
    for (int i = 0; i < ORDERS; i++) {
      send(channel, queue, "order-" + i, "sku-" + (i % 7) + ";" + (1 + i % 5));
      if (i % 4 == 3) {
        send(channel, queue, "order-" + i, "sku-" + (i % 7) + ";" + (1 + i % 5));
        republished++;
      }
    }
    send(channel, queue, "order-invalid", "sku-0;0");
    channel.waitForConfirmsOrDie(10_000);
    return republished;
  }

  private static void send(Channel channel, String queue, String id, String body) throws Exception {
    channel.basicPublish(
        "",
        queue,
        new AMQP.BasicProperties.Builder().messageId(id).contentType("text/plain").build(),
        body.getBytes(StandardCharsets.UTF_8));
  }

  private static Counts runCrashingJvm(List<String> args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-cp");
    command.add(classPath());
    command.add(RabbitOrdersApplication.class.getName());
    command.addAll(args);
    command.add("--orders.crash-at-run=" + CRASH_AT_RUN);
    command.add("--orders.print-events=true");
    Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
    int deliveries = 0;
    int redeliveries = 0;
    int runs = 0;
    int invalid = 0;
    boolean crashed = false;
    List<String> transcript = new ArrayList<>();
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        transcript.add(line);
        if (line.startsWith("DELIVERY ")) {
          deliveries++;
          if (line.endsWith("true")) {
            redeliveries++;
          }
        } else if (line.startsWith("RUN ")) {
          runs++;
        } else if (line.startsWith("INVALID ")) {
          invalid++;
        } else if (line.startsWith("CRASH ")) {
          crashed = true;
        }
      }
    }
    if (!child.waitFor(30, TimeUnit.SECONDS) || !crashed) {
      child.destroyForcibly();
      throw new IllegalStateException(
          "the consumer JVM did not crash as planned:\n" + String.join("\n", transcript));
    }
    return new Counts(deliveries, redeliveries, runs, invalid, true);
  }

  /** The class path of this JVM, also under {@code mvn exec:java} (a class loader of its own). */
  private static String classPath() {
    String surefire = System.getProperty("surefire.test.class.path");
    if (surefire != null) {
      return surefire;
    }
    if (Thread.currentThread().getContextClassLoader() instanceof URLClassLoader loader) {
      List<String> entries = new ArrayList<>();
      for (URL url : loader.getURLs()) {
        entries.add(new File(url.getPath()).getPath());
      }
      return String.join(File.pathSeparator, entries);
    }
    return System.getProperty("java.class.path");
  }

  static String rabbitUrl() {
    String url = System.getenv("IDEM_TEST_RABBITMQ_URL");
    return url != null && !url.isBlank() ? url : "amqp://guest:guest@127.0.0.1:5672";
  }

  static String postgresUrl() {
    String url = System.getenv("IDEM_TEST_POSTGRES_URL");
    return url != null && !url.isBlank()
        ? url
        : "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
  }

  private static void execute(java.sql.Connection db, String... statements) throws Exception {
    try (Statement s = db.createStatement()) {
      for (String statement : statements) {
        s.execute(statement);
      }
    }
  }

  private static long count(java.sql.Connection db, String query) throws Exception {
    try (Statement s = db.createStatement();
        ResultSet rs = s.executeQuery(query)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
