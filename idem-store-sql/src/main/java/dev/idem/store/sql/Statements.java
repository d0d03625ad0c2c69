package dev.idem.store.sql;

import dev.idem.store.sql.SqlStatement.Arguments;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.jspecify.annotations.Nullable;

/**
 * The store's statements, prepared once per store from its {@link Dialect}'s SQL text for its
 * table, and run as plain JDBC prepared statements (rendering a statement with jOOQ per call would
 * cost more client CPU than the rest of a replay).
 */
final class Statements {

  /** How many columns a record read returns: the nine record columns and the clock. */
  static final int ROW_COLUMNS = 10;

  final SqlStatement insertIfAbsent;

  /** See {@link Dialect#claimOneTrip()}. */
  final @Nullable SqlStatement claimOneTrip;

  /** See {@link Dialect#nowMicros()}. */
  final @Nullable SqlStatement nowMicros;

  final SqlStatement read;
  final SqlStatement readCurrent;
  final SqlStatement takeOver;
  final SqlStatement takeOverExpired;
  final SqlStatement complete;
  final SqlStatement release;
  final SqlStatement delete;
  final SqlStatement renew;
  final SqlStatement purge;
  final SqlStatement requireColumns;

  /**
   * Prepares the dialect's statements for {@code table}, the records table's name as jOOQ renders
   * it for the database (quoted).
   */
  Statements(Dialect dialect, String table) {
    this.insertIfAbsent = SqlStatement.of(dialect.insertIfAbsent(), table);
    String oneTrip = dialect.claimOneTrip();
    this.claimOneTrip = oneTrip == null ? null : SqlStatement.of(oneTrip, table);
    String now = dialect.nowMicros();
    this.nowMicros = now == null ? null : SqlStatement.of(now, table);
    this.read = SqlStatement.of(dialect.read(), table);
    this.readCurrent = SqlStatement.of(dialect.readCurrent(), table);
    this.takeOver = SqlStatement.of(dialect.takeOver(false), table);
    this.takeOverExpired = SqlStatement.of(dialect.takeOver(true), table);
    this.complete = SqlStatement.of(dialect.complete(), table);
    this.release = SqlStatement.of(dialect.release(), table);
    this.delete = SqlStatement.of(dialect.delete(), table);
    this.renew = SqlStatement.of(dialect.renew(), table);
    this.purge = SqlStatement.of(dialect.purge(), table);
    this.requireColumns = SqlStatement.of(dialect.requireColumns(), table);
  }

  /** Reads the record with the arguments' key, or returns null if there is none. */
  @Nullable RecordRow read(Connection c, Arguments arguments, boolean currentRead)
      throws SQLException {
    SqlStatement statement = currentRead ? readCurrent : read;
    try (PreparedStatement prepared = statement.prepare(c, arguments);
        ResultSet rs = prepared.executeQuery()) {
      return rs.next() ? RecordRow.read(rs, 1) : null;
    }
  }
}
