package dev.idem.spring.boot.autoconfigure;

import java.util.UUID;

/** The transactional mode on H2, in memory. */
class H2TransactionalModeTest extends TransactionalModeContract {

  private final String database = "idem_starter_" + UUID.randomUUID().toString().replace("-", "");

  @Override
  String[] dataSourceProperties() {
    return new String[] {
      "spring.datasource.url=jdbc:h2:mem:" + database + ";DB_CLOSE_DELAY=-1",
      "spring.datasource.username=sa",
      "spring.datasource.password="
    };
  }
}
