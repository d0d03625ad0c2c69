package dev.idem.messaging.amqp.spring;

import com.rabbitmq.client.ConnectionFactory;
import java.sql.DriverManager;

/** The servers of the Spring test, from the same variables as the plain-client tests. */
final class SpringTestServers {

  private SpringTestServers() {}

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

  /** Fails loudly, naming the variables, when a server is down (Spring would retry silently). */
  static void check() {
    try {
      ConnectionFactory factory = new ConnectionFactory();
      factory.setUri(rabbitUrl());
      factory.newConnection("idem-check").close();
    } catch (Exception e) {
      throw new IllegalStateException(
          "RabbitMQ is not reachable at "
              + rabbitUrl()
              + ": start it (rabbitmq-server -detached) or set IDEM_TEST_RABBITMQ_URL",
          e);
    }
    try {
      DriverManager.getConnection(postgresUrl()).close();
    } catch (Exception e) {
      throw new IllegalStateException(
          "PostgreSQL is not reachable at " + postgresUrl() + ": set IDEM_TEST_POSTGRES_URL", e);
    }
  }
}
