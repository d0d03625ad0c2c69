package dev.idem.samples.orders;

import static org.assertj.core.api.Assertions.fail;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ThreadLocalRandom;
import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * The real PostgreSQL of the sample's tests ({@code IDEM_TEST_POSTGRES_URL}, else {@code
 * jdbc:postgresql://127.0.0.1:5432/test} as {@code postgres}), in a schema of one test class's own:
 * the app's table names are fixed and other test JVMs share the database.
 */
final class SampleDatabase {

  static final String URL = postgresUrl();

  private final String schema;

  /**
   * Creates the schema name: the given prefix, this JVM's process id and a random part.
   *
   * @param prefix the prefix, e.g. {@code orders_ops_}
   */
  SampleDatabase(String prefix) {
    this.schema =
        prefix
            + ProcessHandle.current().pid()
            + "_"
            + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36 * 36), 36);
  }

  private static String postgresUrl() {
    String url = System.getenv("IDEM_TEST_POSTGRES_URL");
    return url != null && !url.isBlank() ? url : "jdbc:postgresql://127.0.0.1:5432/test";
  }

  private static String user() {
    return URL.contains("user=") ? "" : "postgres";
  }

  /** Creates the schema, failing (never skipping) when PostgreSQL cannot be reached. */
  void create() {
    try (Connection connection = DriverManager.getConnection(URL, user(), "");
        Statement statement = connection.createStatement()) {
      statement.execute("create schema " + schema);
    } catch (SQLException e) {
      fail(
          "PostgreSQL is not reachable at "
              + URL
              + " (set IDEM_TEST_POSTGRES_URL, or start the local server): "
              + e.getMessage());
    }
  }

  /** Drops the schema and its tables. */
  void drop() throws SQLException {
    try (Connection connection = DriverManager.getConnection(URL, user(), "");
        Statement statement = connection.createStatement()) {
      statement.execute("set lock_timeout = '10s'");
      statement.execute("drop schema if exists " + schema + " cascade");
    }
  }

  /** Points the app's data source at the schema. */
  void register(DynamicPropertyRegistry registry) {
    registry.add(
        "spring.datasource.url",
        () -> URL + (URL.contains("?") ? "&" : "?") + "currentSchema=" + schema);
    registry.add("spring.datasource.username", SampleDatabase::user);
  }
}
