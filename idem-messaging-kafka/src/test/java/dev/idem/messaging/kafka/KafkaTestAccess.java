package dev.idem.messaging.kafka;

import javax.sql.DataSource;

/** Opens this package's test servers to the tests of its subpackages. */
public final class KafkaTestAccess {

  private KafkaTestAccess() {}

  /** The in-process KRaft broker's bootstrap servers. */
  public static String kafka() {
    return KafkaTestServers.kafka();
  }

  /** The PostgreSQL pool. */
  public static DataSource postgres() {
    return KafkaTestServers.postgres();
  }

  /** A suffix no other run uses. */
  public static String uniqueSuffix() {
    return KafkaTestServers.uniqueSuffix();
  }
}
