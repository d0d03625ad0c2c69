package dev.idem.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idem.IdempotencyConfigurationException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * {@code idem.store=jdbc} on a real PostgreSQL ({@code IDEM_TEST_POSTGRES_URL}, else the local
 * server) checks its table at startup: the default {@code idem.jdbc.initialize-schema=embedded}
 * does not create it there, and a missing table used to surface only as a 503 on every request.
 */
class PostgresSchemaCheckTest {

  @BeforeAll
  static void requireServer() {
    PostgresTransactionalModeTest.requireServer();
  }

  private static ApplicationContextRunner runner(String table) {
    return new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(
                DataSourceAutoConfiguration.class,
                AopAutoConfiguration.class,
                IdempotencyAutoConfiguration.class))
        .withPropertyValues(
            "spring.datasource.url=" + PostgresTransactionalModeTest.URL,
            "spring.datasource.username=" + PostgresTransactionalModeTest.user(),
            "spring.datasource.password=",
            "idem.store=jdbc",
            "idem.jdbc.table-name=" + table);
  }

  private static String uniqueTable() {
    return "idem_rt_schema_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  }

  @Test
  void missingTableStopsStartupNamingTheTableThePropertyAndTheDdl() {
    String table = uniqueTable();
    runner(table)
        .run(
            context -> {
              assertThat(context).hasFailed();
              Throwable failure = context.getStartupFailure();
              Throwable root = failure;
              while (root.getCause() != null
                  && !(root instanceof IdempotencyConfigurationException)) {
                root = root.getCause();
              }
              assertThat(root)
                  .isInstanceOf(IdempotencyConfigurationException.class)
                  .hasMessageContaining("\"" + table + "\"")
                  .hasMessageContaining("does not exist")
                  .hasMessageContaining("idem.jdbc.initialize-schema=always")
                  .hasMessageContaining("dev/idem/store/sql/schema-postgres.sql");
            });
  }

  @Test
  void initializeSchemaAlwaysCreatesTheTableAndStarts() throws Exception {
    String table = uniqueTable();
    try {
      runner(table)
          .withPropertyValues("idem.jdbc.initialize-schema=always")
          .run(context -> assertThat(context).hasNotFailed());
    } finally {
      try (Connection connection =
              DriverManager.getConnection(
                  PostgresTransactionalModeTest.URL, PostgresTransactionalModeTest.user(), "");
          Statement statement = connection.createStatement()) {
        statement.execute("drop table if exists \"" + table + "\"");
      }
    }
  }
}
