package dev.idem.store.sql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * One statement of the store, written as SQL text with named parameters ({@code :key}) and the
 * records table as {@code {table}}, and prepared for JDBC once: the table becomes its name as jOOQ
 * renders it for the dialect (quoted), each parameter a {@code ?} whose value {@link #bind} takes
 * from {@link Arguments} by name. Quoted text ({@code '...'}, {@code "..."}, {@code `...`}) is
 * copied as it is, so a literal such as {@code '1970-01-01 00:00:00'} holds no parameter.
 */
final class SqlStatement {

  private static final String TABLE = "{table}";

  /** The parameters a statement can name, with their SQL types. */
  enum Param {
    KEY(Types.VARCHAR),
    OWNER(Types.VARCHAR),
    FINGERPRINT(Types.VARCHAR),
    LEASE_MICROS(Types.BIGINT),
    LIFE_MICROS(Types.BIGINT),
    TTL_MICROS(Types.BIGINT),
    TOKEN(Types.BIGINT),
    NEW_TOKEN(Types.BIGINT),
    OUTCOME_KIND(Types.VARCHAR),
    OUTCOME(Types.VARBINARY),
    NONCE(Types.VARBINARY),
    MAX_ROWS(Types.INTEGER);

    private final int sqlType;

    Param(int sqlType) {
      this.sqlType = sqlType;
    }

    /** The name a statement writes it with: {@code :lease_micros} for {@code LEASE_MICROS}. */
    String sqlName() {
      return name().toLowerCase(Locale.ROOT);
    }

    static Param named(String sqlName, String statement) {
      for (Param param : values()) {
        if (param.sqlName().equals(sqlName)) {
          return param;
        }
      }
      throw new IllegalArgumentException("unknown parameter :" + sqlName + " in " + statement);
    }
  }

  /** The values of one call's statements, by parameter name; unset values bind as null. */
  static final class Arguments {
    String key;
    @Nullable String owner;
    @Nullable String fingerprint;
    long leaseMicros;
    long lifeMicros;
    long ttlMicros;
    long token;
    long newToken;
    @Nullable String outcomeKind;
    byte @Nullable [] outcome;
    byte @Nullable [] nonce;
    int maxRows;

    Arguments(String key) {
      this.key = key;
    }

    private void bind(PreparedStatement statement, int index, Param param) throws SQLException {
      switch (param) {
        case KEY -> statement.setString(index, key);
        case OWNER -> setString(statement, index, owner);
        case FINGERPRINT -> setString(statement, index, fingerprint);
        case LEASE_MICROS -> statement.setLong(index, leaseMicros);
        case LIFE_MICROS -> statement.setLong(index, lifeMicros);
        case TTL_MICROS -> statement.setLong(index, ttlMicros);
        case TOKEN -> statement.setLong(index, token);
        case NEW_TOKEN -> statement.setLong(index, newToken);
        case OUTCOME_KIND -> setString(statement, index, outcomeKind);
        case OUTCOME -> setBytes(statement, index, outcome);
        case NONCE -> setBytes(statement, index, nonce);
        case MAX_ROWS -> statement.setInt(index, maxRows);
      }
    }

    private static void setString(PreparedStatement statement, int index, @Nullable String value)
        throws SQLException {
      if (value == null) {
        statement.setNull(index, Types.VARCHAR);
      } else {
        statement.setString(index, value);
      }
    }

    private static void setBytes(PreparedStatement statement, int index, byte @Nullable [] value)
        throws SQLException {
      if (value == null) {
        statement.setNull(index, Types.VARBINARY);
      } else {
        statement.setBytes(index, value);
      }
    }
  }

  /** The statement as written, with its named parameters and {@code {table}}. */
  final String written;

  /** The statement as JDBC runs it: the table's quoted name in, a {@code ?} per parameter. */
  final String text;

  private final Param[] params;

  private SqlStatement(String written, String text, Param[] params) {
    this.written = written;
    this.text = text;
    this.params = params;
  }

  /**
   * Prepares {@code written} for the table {@code table}, a name already rendered and quoted for
   * the database.
   *
   * @throws IllegalArgumentException if the statement names a parameter that does not exist
   */
  static SqlStatement of(String written, String table) {
    StringBuilder text = new StringBuilder(written.length() + 4 * table.length());
    List<Param> params = new ArrayList<>();
    char quote = 0;
    int i = 0;
    while (i < written.length()) {
      char ch = written.charAt(i);
      if (quote != 0) {
        quote = ch == quote ? 0 : quote;
        text.append(ch);
        i++;
      } else if (ch == '\'' || ch == '"' || ch == '`') {
        quote = ch;
        text.append(ch);
        i++;
      } else if (written.startsWith(TABLE, i)) {
        text.append(table);
        i += TABLE.length();
      } else if (ch == ':' && i + 1 < written.length() && isNameStart(written.charAt(i + 1))) {
        int end = i + 1;
        while (end < written.length() && isNamePart(written.charAt(end))) {
          end++;
        }
        params.add(Param.named(written.substring(i + 1, end), written));
        text.append('?');
        i = end;
      } else {
        text.append(ch);
        i++;
      }
    }
    if (quote != 0) {
      throw new IllegalArgumentException("unterminated quote in " + written);
    }
    return new SqlStatement(written, text.toString(), params.toArray(new Param[0]));
  }

  private static boolean isNameStart(char ch) {
    return ch >= 'a' && ch <= 'z';
  }

  private static boolean isNamePart(char ch) {
    return isNameStart(ch) || ch == '_';
  }

  /** Whether the statement has a placeholder for {@code param}. */
  boolean uses(Param param) {
    for (Param used : params) {
      if (used == param) {
        return true;
      }
    }
    return false;
  }

  /** Prepares the statement on {@code c} with the arguments bound; the caller closes it. */
  PreparedStatement prepare(Connection c, Arguments arguments) throws SQLException {
    PreparedStatement statement = c.prepareStatement(text);
    try {
      for (int i = 0; i < params.length; i++) {
        arguments.bind(statement, i + 1, params[i]);
      }
      return statement;
    } catch (SQLException | RuntimeException e) {
      statement.close();
      throw e;
    }
  }

  /** Runs the statement as an update and returns the number of rows it changed. */
  int update(Connection c, Arguments arguments) throws SQLException {
    try (PreparedStatement statement = prepare(c, arguments)) {
      return statement.executeUpdate();
    }
  }

  @Override
  public String toString() {
    return written;
  }
}
