package dev.idem.store.sql;

import dev.idem.spi.RecordState;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Query;
import org.jooq.QueryPart;
import org.jooq.Record;
import org.jooq.SelectConditionStep;
import org.jooq.conf.Settings;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;
import org.jspecify.annotations.Nullable;

/**
 * The store's statements, rendered by jOOQ once per store for its dialect, settings and table, and
 * run as plain JDBC prepared statements. Rendering a statement costs more client CPU than a replay
 * of the engine, so it is done at build time, not per call.
 *
 * <p>Each statement is built with a distinct sentinel value for each of its parameters; after
 * rendering, the order of the bind values tells which parameter each {@code ?} stands for. A
 * setting or dialect that inlined a parameter would be caught here, at build time.
 *
 * <p>Every statement that reads a record returns the {@linkplain #ROW_COLUMNS row columns} in the
 * same order: {@code state, token, owner, fingerprint, lease_until, outcome_kind, outcome,
 * created_at, expires_at}, then the database's time and that time in microseconds.
 */
final class Statements {

  private static final Field<String> IN_PROGRESS =
      DSL.inline(RecordState.IN_PROGRESS.name(), SQLDataType.VARCHAR);
  private static final Field<String> COMPLETED =
      DSL.inline(RecordState.COMPLETED.name(), SQLDataType.VARCHAR);

  /** How many columns a record read returns: the nine record columns and the two clocks. */
  static final int ROW_COLUMNS = 11;

  /** A statement's parameters; the values are passed as an array indexed by ordinal. */
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
    NONCE(Types.VARBINARY);

    private final int sqlType;

    Param(int sqlType) {
      this.sqlType = sqlType;
    }

    /** The sentinel this parameter is rendered with; never a value a call binds. */
    Object sentinel() {
      switch (sqlType) {
        case Types.BIGINT:
          return Long.MIN_VALUE + ordinal();
        case Types.VARBINARY:
          return new byte[] {0, 'i', 'd', 'e', 'm', (byte) ordinal()};
        default:
          return "\u0000idem-param-" + name();
      }
    }

    /** The sentinel as a jOOQ bind value of this parameter's type. */
    @SuppressWarnings("unchecked")
    <T> Field<T> field() {
      switch (sqlType) {
        case Types.BIGINT:
          return (Field<T>) DSL.val((Long) sentinel(), SQLDataType.BIGINT);
        case Types.VARBINARY:
          return (Field<T>) DSL.val((byte[]) sentinel(), SQLDataType.VARBINARY);
        default:
          return (Field<T>) DSL.val((String) sentinel(), SQLDataType.VARCHAR);
      }
    }
  }

  /** One rendered statement and the parameter behind each of its placeholders, in order. */
  static final class Sql {
    final String text;
    private final Param[] binds;

    private Sql(String text, Param[] binds) {
      this.text = text;
      this.binds = binds;
    }

    /** Whether the statement has a placeholder for {@code param}. */
    boolean uses(Param param) {
      for (Param bind : binds) {
        if (bind == param) {
          return true;
        }
      }
      return false;
    }

    /**
     * Binds {@code values} (indexed by {@link Param#ordinal()}) to the statement's placeholders.
     */
    void bind(PreparedStatement statement, @Nullable Object[] values) throws SQLException {
      for (int i = 0; i < binds.length; i++) {
        Param param = binds[i];
        Object value = values[param.ordinal()];
        if (value == null) {
          statement.setNull(i + 1, param.sqlType);
        } else if (value instanceof Long number) {
          statement.setLong(i + 1, number);
        } else if (value instanceof byte[] bytes) {
          statement.setBytes(i + 1, bytes);
        } else {
          statement.setString(i + 1, (String) value);
        }
      }
    }

    @Override
    public String toString() {
      return text;
    }
  }

  /** Insert-if-absent returning the new token (MySQL: returning nothing; token bound). */
  final Sql insertIfAbsent;

  /**
   * The claim in one round trip, or null where the database has no way to express it: one row whose
   * first column is the new token when this statement inserted the record, followed by the {@link
   * #ROW_COLUMNS} of the record it found otherwise (all null when it found none).
   */
  final @Nullable Sql claimOneTrip;

  /** The clock in microseconds (MySQL's token before its insert). */
  final Sql nowMicros;

  final Sql read;
  final Sql readCurrent;
  final Sql takeOver;
  final Sql takeOverExpired;
  final Sql complete;
  final Sql release;
  final Sql delete;
  final Sql renew;

  Statements(Dialect dialect, RecordsTable t, Settings settings) {
    DSLContext r = DSL.using(dialect.sqlDialect(), settings);
    Field<Long> token =
        dialect.insertReturning() ? dialect.nowMicros() : Param.NEW_TOKEN.<Long>field();
    Field<?>[] insertColumns = {
      t.key, t.state, t.token, t.owner, t.fingerprint, t.leaseUntil, t.createdAt, t.expiresAt
    };
    Field<?>[] insertValues = {
      Param.KEY.field(),
      IN_PROGRESS,
      token,
      Param.OWNER.field(),
      Param.FINGERPRINT.field(),
      dialect.nowPlus(Param.LEASE_MICROS.<Long>field()),
      dialect.now(),
      dialect.nowPlus(Param.LIFE_MICROS.<Long>field())
    };
    var insert =
        r.insertInto(t.table).columns(insertColumns).values(insertValues).onConflict(t.key);
    this.insertIfAbsent =
        render(
            r,
            dialect.insertReturning()
                ? insert.doNothing().returningResult(t.token)
                : insert.doNothing());
    Query oneTrip = dialect.oneTripClaim(r, t, insertColumns, insertValues);
    this.claimOneTrip = oneTrip == null ? null : render(r, oneTrip);
    this.nowMicros = render(r, r.select(dialect.nowMicros()));

    this.read = render(r, selectRow(r, dialect, t));
    this.readCurrent = render(r, dialect.currentRead(selectRow(r, dialect, t)));

    this.takeOver = render(r, takeOver(r, dialect, t, false));
    this.takeOverExpired = render(r, takeOver(r, dialect, t, true));

    this.complete =
        render(
            r,
            r.update(t.table)
                .set(t.state, COMPLETED)
                .set(t.outcomeKind, Param.OUTCOME_KIND.<String>field())
                .set(t.outcome, Param.OUTCOME.<byte[]>field())
                .set(t.leaseUntil, DSL.inline(null, t.leaseUntil.getDataType()))
                .set(t.expiresAt, dialect.nowPlus(Param.TTL_MICROS.<Long>field()))
                .where(held(dialect, t)));
    this.release = render(r, r.deleteFrom(t.table).where(held(dialect, t)));
    this.delete = render(r, r.deleteFrom(t.table).where(t.key.eq(Param.KEY.<String>field())));
    Field<Instant> leaseUntil = dialect.nowPlus(Param.LEASE_MICROS.<Long>field());
    this.renew =
        render(
            r,
            r.update(t.table)
                .set(t.leaseUntil, leaseUntil)
                .set(t.expiresAt, DSL.greatest(t.expiresAt, leaseUntil))
                .where(held(dialect, t)));
  }

  private static SelectConditionStep<Record> selectRow(
      DSLContext r, Dialect dialect, RecordsTable t) {
    return r.select(rowColumns(dialect, t))
        .from(t.table)
        .where(t.key.eq(Param.KEY.<String>field()));
  }

  /**
   * Takes over the record read with {@link Param#TOKEN} if it has expired or its lease has ended;
   * {@code expired} also starts a new life (a new record in place of an expired one).
   */
  private static Query takeOver(DSLContext r, Dialect dialect, RecordsTable t, boolean expired) {
    Field<Instant> now = dialect.now();
    var update =
        r.update(t.table)
            .set(t.state, IN_PROGRESS)
            .set(t.token, Param.NEW_TOKEN.<Long>field())
            .set(t.owner, Param.OWNER.<String>field())
            .set(t.fingerprint, Param.FINGERPRINT.<String>field())
            .set(t.leaseUntil, dialect.nowPlus(Param.LEASE_MICROS.<Long>field()))
            .set(t.outcomeKind, DSL.inline((String) null, SQLDataType.VARCHAR))
            .set(t.outcome, DSL.inline((byte[]) null, SQLDataType.VARBINARY))
            .set(t.expiresAt, dialect.nowPlus(Param.LIFE_MICROS.<Long>field()));
    if (expired) {
      update = update.set(t.createdAt, now);
    }
    Condition ended = t.expiresAt.le(now).or(t.state.eq(IN_PROGRESS).and(t.leaseUntil.le(now)));
    return update.where(byToken(t)).and(ended);
  }

  /** The record with {@link Param#KEY} and {@link Param#TOKEN}, still in progress, not expired. */
  private static Condition held(Dialect dialect, RecordsTable t) {
    return byToken(t).and(t.state.eq(IN_PROGRESS)).and(t.expiresAt.gt(dialect.now()));
  }

  private static Condition byToken(RecordsTable t) {
    return t.key.eq(Param.KEY.<String>field()).and(t.token.eq(Param.TOKEN.<Long>field()));
  }

  /** The record columns and the two clocks, in the order every read returns them. */
  static Field<?>[] rowColumns(Dialect dialect, RecordsTable t) {
    return new Field<?>[] {
      t.state,
      t.token,
      t.owner,
      t.fingerprint,
      t.leaseUntil,
      t.outcomeKind,
      t.outcome,
      t.createdAt,
      t.expiresAt,
      dialect.now(),
      dialect.nowMicros()
    };
  }

  private static Sql render(DSLContext r, QueryPart query) {
    String text = r.render(query);
    List<Object> values = r.extractBindValues(query);
    List<Param> binds = new ArrayList<>(values.size());
    for (Object value : values) {
      binds.add(paramOf(value, text));
    }
    return new Sql(text, binds.toArray(new Param[0]));
  }

  private static Param paramOf(@Nullable Object value, String text) {
    for (Param param : Param.values()) {
      if (Arrays.deepEquals(new Object[] {param.sentinel()}, new Object[] {value})) {
        return param;
      }
    }
    throw new IllegalStateException(
        "a rendered statement binds a value that is not one of its parameters: " + text);
  }
}
