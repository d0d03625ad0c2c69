package dev.idem.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idem.spi.IdempotencyStore;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.boot.autoconfigure.sql.init.SqlInitializationAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * The startup check of the SQL table runs after the application's database initialization, so a
 * table created by {@code spring.sql.init} (or Flyway, Liquibase) is found.
 */
class SchemaCheckOrderTest {

  @Test
  void tableCreatedBySqlInitIsFoundByTheStartupCheck() {
    new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(
                DataSourceAutoConfiguration.class,
                SqlInitializationAutoConfiguration.class,
                AopAutoConfiguration.class,
                IdempotencyAutoConfiguration.class))
        .withPropertyValues(
            "spring.datasource.url=jdbc:h2:mem:idem_rt_" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1",
            "spring.sql.init.schema-locations=classpath:dev/idem/store/sql/schema-h2.sql",
            "idem.store=jdbc",
            "idem.jdbc.initialize-schema=never")
        .withBean(StoreUser.class) // registered first, so the store is created before anything else
        .run(context -> assertThat(context).hasNotFailed());
  }

  /** An application bean that needs the store, and so creates it early. */
  static final class StoreUser {
    StoreUser(IdempotencyStore store) {}
  }

  @Test
  void withoutInitializationTheMissingTableStopsStartup() {
    new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(
                DataSourceAutoConfiguration.class,
                AopAutoConfiguration.class,
                IdempotencyAutoConfiguration.class))
        .withPropertyValues(
            "spring.datasource.url=jdbc:h2:mem:idem_rt_" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1",
            "idem.store=jdbc",
            "idem.jdbc.initialize-schema=never")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("\"idem_records\"")
                    .hasMessageContaining("idem.jdbc.initialize-schema is never"));
  }
}
