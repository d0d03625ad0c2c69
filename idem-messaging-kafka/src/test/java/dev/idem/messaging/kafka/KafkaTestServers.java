package dev.idem.messaging.kafka;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.util.UUID;
import javax.sql.DataSource;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * The servers of this module's tests: PostgreSQL (from {@code IDEM_TEST_POSTGRES_URL} or the local
 * default, failing loudly), and a Kafka broker started in this JVM in KRaft mode, once, with a
 * fresh log directory.
 */
final class KafkaTestServers {

  private static EmbeddedKafkaKraftBroker broker;

  private KafkaTestServers() {}

  static synchronized String kafka() {
    if (broker == null) {
      EmbeddedKafkaKraftBroker started = new EmbeddedKafkaKraftBroker(1, 1);
      started.brokerProperty("group.initial.rebalance.delay.ms", "0");
      started.brokerProperty("offsets.topic.num.partitions", "2");
      started.afterPropertiesSet();
      Runtime.getRuntime().addShutdownHook(new Thread(started::destroy));
      broker = started;
    }
    return broker.getBrokersAsString();
  }

  static String postgresUrl() {
    String url = System.getenv("IDEM_TEST_POSTGRES_URL");
    return url != null && !url.isBlank()
        ? url
        : "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
  }

  /** A small pool: a consumer opens several transactions per record. */
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
              + ": start it or set IDEM_TEST_POSTGRES_URL to a JDBC URL",
          e);
    }
  }

  static String uniqueSuffix() {
    return UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  }
}
