package dev.idem.store.sql;

import dev.idem.IdempotencyConfigurationException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jspecify.annotations.Nullable;

/**
 * The records table's DDL and the startup check that the table is there: the shipped schema
 * resource of the database with the table and index names replaced by the configured ones, as jOOQ
 * renders and quotes them.
 */
final class Schema {

  private final Dialect dialect;
  private final DSLContext renderer;
  private final RecordsTable t;
  private final Statements sql;

  /** {@code renderer} renders names with the store's settings; it runs no statement. */
  Schema(Dialect dialect, DSLContext renderer, RecordsTable t, Statements sql) {
    this.dialect = dialect;
    this.renderer = renderer;
    this.t = t;
    this.sql = sql;
  }

  /** The DDL for the configured table, statements separated by semicolons. */
  String ddl() {
    String resource = dialect.schemaResource();
    String ddl;
    try (InputStream in = Schema.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing schema resource " + resource);
      }
      ddl = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read schema resource " + resource, e);
    }
    SQLDialect family = dialect.sqlDialect().family();
    String quote = family == SQLDialect.POSTGRES || family == SQLDialect.H2 ? "\"" : "`";
    return ddl.replace(
            quote + RecordsTable.DEFAULT_INDEX_NAME + quote, dialect.indexName(renderer, t))
        .replace(quote + RecordsTable.DEFAULT_NAME + quote, renderer.render(t.name));
  }

  /** Runs the {@link #ddl()}, statement by statement, on {@code c}. */
  void create(Connection c) throws SQLException {
    try (Statement statement = c.createStatement()) {
      for (String ddl : statements(ddl())) {
        statement.execute(ddl);
      }
    }
  }

  /**
   * Selects every column from no row on {@code c}.
   *
   * @throws IdempotencyConfigurationException if the database reports the table or a column
   *     missing, naming the table and the DDL that creates it
   * @throws SQLException if it fails otherwise
   */
  void require(Connection c, String tableName) throws SQLException {
    try (PreparedStatement statement = c.prepareStatement(sql.requireColumns.text)) {
      statement.executeQuery().close();
    } catch (SQLException e) {
      @Nullable String state = e.getSQLState();
      if (state == null || !state.startsWith("42")) {
        throw e;
      }
      throw IdempotencyConfigurationException.of(
          "Idem's table "
              + tableName
              + " does not exist or lacks a column in the "
              + dialect.storeName()
              + " database ("
              + String.valueOf(e.getMessage()).lines().findFirst().orElse("")
              + "). Create it with the DDL shipped in the idem-store-sql jar as"
              + " dev/idem/store/sql/"
              + dialect.schemaResource()
              + " (JooqIdempotencyStore.schemaDdl() gives it for this table name), from your"
              + " migrations, or call createSchemaIfMissing() at startup");
    }
  }

  /** Splits DDL at semicolons, without its comment lines. */
  private static List<String> statements(String ddl) {
    StringBuilder withoutComments = new StringBuilder();
    for (String line : ddl.split("\n", -1)) {
      if (!line.strip().startsWith("--")) {
        withoutComments.append(line).append('\n');
      }
    }
    List<String> statements = new ArrayList<>();
    for (String statement : withoutComments.toString().split(";")) {
      if (!statement.isBlank()) {
        statements.add(statement.strip());
      }
    }
    return statements;
  }
}
