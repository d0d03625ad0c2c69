package dev.idem.messaging.amqp;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * The real servers of this module's tests: RabbitMQ and PostgreSQL, from their {@code IDEM_TEST_*}
 * variables or the local default ports; never skipped, failing with a message naming the variable.
 */
final class TestServers {

  static final String RABBITMQ_VARIABLE = "IDEM_TEST_RABBITMQ_URL";
  static final String POSTGRES_VARIABLE = "IDEM_TEST_POSTGRES_URL";

  private TestServers() {}

  static String rabbitUrl() {
    String url = System.getenv(RABBITMQ_VARIABLE);
    return url != null && !url.isBlank() ? url : "amqp://guest:guest@127.0.0.1:5672";
  }

  static String postgresUrl() {
    String url = System.getenv(POSTGRES_VARIABLE);
    return url != null && !url.isBlank()
        ? url
        : "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
  }

  static Connection rabbit(String name) {
    try {
      ConnectionFactory factory = new ConnectionFactory();
      factory.setUri(rabbitUrl());
      factory.setAutomaticRecoveryEnabled(false);
      return factory.newConnection(name);
    } catch (Exception e) {
      throw new IllegalStateException(
          "RabbitMQ is not reachable at "
              + rabbitUrl()
              + ": start it (rabbitmq-server -detached) or set "
              + RABBITMQ_VARIABLE
              + " to an amqp:// URL",
          e);
    }
  }

  /** A small pool: a consumer opens several transactions per message. */
  static DataSource postgres() {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(postgresUrl());
    config.setMaximumPoolSize(4);
    config.setMinimumIdle(0);
    try {
      HikariDataSource ds = new HikariDataSource(config);
      Runtime.getRuntime().addShutdownHook(new Thread(ds::close));
      return ds;
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          "PostgreSQL is not reachable at "
              + postgresUrl()
              + ": start it or set "
              + POSTGRES_VARIABLE
              + " to a JDBC URL",
          e);
    }
  }

  /** A suffix for queue, exchange and table names that no other run uses. */
  static String uniqueSuffix() {
    return UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  }
}
