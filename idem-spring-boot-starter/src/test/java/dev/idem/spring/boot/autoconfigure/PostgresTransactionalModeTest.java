package dev.idem.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.fail;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The transactional mode on PostgreSQL: {@code IDEM_TEST_POSTGRES_URL} if set, else {@code
 * jdbc:postgresql://127.0.0.1:5432/test} as {@code postgres}. Fails, never skips, when the server
 * cannot be reached.
 */
class PostgresTransactionalModeTest extends TransactionalModeContract {

  static final String URL = postgresUrl();

  static String postgresUrl() {
    String url = System.getenv("IDEM_TEST_POSTGRES_URL");
    return url != null && !url.isBlank() ? url : "jdbc:postgresql://127.0.0.1:5432/test";
  }

  static String user() {
    return URL.contains("user=") ? "" : "postgres";
  }

  @BeforeAll
  static void requireServer() {
    try (Connection connection = DriverManager.getConnection(URL, user(), "")) {
      connection.isValid(2);
    } catch (SQLException e) {
      fail(
          "PostgreSQL is not reachable at "
              + URL
              + " (set IDEM_TEST_POSTGRES_URL, or start the local server): "
              + e.getMessage());
    }
  }

  @AfterAll
  static void dropTables() throws SQLException {
    try (Connection connection = DriverManager.getConnection(URL, user(), "");
        Statement statement = connection.createStatement()) {
      statement.execute("set lock_timeout = '10s'");
      statement.execute("drop table if exists " + TransactionalBeans.ROWS);
      statement.execute("drop table if exists \"" + TransactionalBeans.RECORDS + "\"");
    }
  }

  @Override
  String[] dataSourceProperties() {
    return new String[] {
      "spring.datasource.url=" + URL,
      "spring.datasource.username=" + user(),
      "spring.datasource.password=",
      "spring.datasource.hikari.maximum-pool-size=12"
    };
  }
}
