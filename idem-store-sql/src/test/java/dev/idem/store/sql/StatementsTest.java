package dev.idem.store.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idem.spi.ClaimResult;
import dev.idem.spi.Outcome;
import dev.idem.store.sql.Databases.Kind;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.jooq.SQLDialect;
import org.jooq.conf.ParamType;
import org.jooq.conf.RenderQuotedNames;
import org.jooq.conf.Settings;
import org.jooq.conf.StatementType;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The statements as rendered once per store, and the round trips a claim takes. */
class StatementsTest {

  private static final Duration LEASE = Duration.ofSeconds(30);
  private static final Duration TTL = Duration.ofHours(1);

  @ParameterizedTest
  @EnumSource(
      value = SQLDialect.class,
      names = {"POSTGRES", "MARIADB", "MYSQL", "H2"})
  void everyStatementRendersWithEachParameterAsAPlaceholder(SQLDialect sqlDialect) {
    Dialect dialect = Dialect.of(sqlDialect);
    String table =
        DSL.using(sqlDialect, new Settings().withRenderQuotedNames(RenderQuotedNames.ALWAYS))
            .render(RecordsTable.parseName("app.idem_records"));
    Statements statements = new Statements(dialect, table);

    List<SqlStatement> all =
        new ArrayList<>(
            List.of(
                statements.insertIfAbsent,
                statements.read,
                statements.readCurrent,
                statements.takeOver,
                statements.takeOverExpired,
                statements.complete,
                statements.release,
                statements.delete,
                statements.renew,
                statements.purge,
                statements.requireColumns));
    if (statements.claimOneTrip != null) {
      all.add(statements.claimOneTrip);
    }
    for (SqlStatement sql : all) {
      assertThat(sql.text)
          .contains(table)
          .doesNotContain("{table}")
          .doesNotContainPattern(":[a-z]");
      assertThat(sql.text.chars().filter(ch -> ch == '?').count())
          .as("placeholders of %s", sql.written)
          .isEqualTo(Pattern.compile(":[a-z]").matcher(sql.written).results().count());
    }
    switch (sqlDialect) {
      case POSTGRES:
        assertThat(statements.claimOneTrip.text)
            .startsWith("with ")
            .contains("on conflict", "not exists");
        assertThat(statements.claimOneTrip.uses(SqlStatement.Param.NONCE)).isFalse();
        break;
      case MARIADB:
        assertThat(statements.claimOneTrip.text).contains("on duplicate key update", "returning");
        assertThat(statements.claimOneTrip.uses(SqlStatement.Param.NONCE)).isTrue();
        break;
      default:
        assertThat(statements.claimOneTrip).as("no one-trip claim on %s", sqlDialect).isNull();
    }
    assertThat(statements.nowMicros == null).isEqualTo(sqlDialect != SQLDialect.MYSQL);
  }

  /** Literals keep their colons; a parameter the statements do not know is refused. */
  @Test
  void namedParametersAreReadOutsideQuotesOnly() {
    SqlStatement statement =
        SqlStatement.of(
            "select ':key', \"a:b\", `c:d` from {table} where k = :key and t = :new_token",
            "\"t\"");

    assertThat(statement.text)
        .isEqualTo("select ':key', \"a:b\", `c:d` from \"t\" where k = ? and t = ?");
    assertThat(statement.uses(SqlStatement.Param.KEY)).isTrue();
    assertThat(statement.uses(SqlStatement.Param.NEW_TOKEN)).isTrue();
    assertThat(statement.uses(SqlStatement.Param.TOKEN)).isFalse();
    assertThatThrownBy(() -> SqlStatement.of("select :nope", "t"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(":nope");
  }

  /**
   * The table name reaches the SQL text only as jOOQ renders a quoted name: a name that is not a
   * plain identifier is refused, and a quote inside a name (possible only by bypassing that check)
   * is escaped, so it cannot end the identifier.
   */
  @ParameterizedTest
  @EnumSource(
      value = SQLDialect.class,
      names = {"POSTGRES", "MARIADB", "H2"})
  void aHostileTableNameCannotInjectSql(SQLDialect sqlDialect) {
    for (String hostile :
        List.of(
            "idem\"; drop table users; --",
            "idem`; drop table users; --",
            "idem records",
            "a.b.c",
            "idem_records where 1=1")) {
      assertThatThrownBy(
              () -> JooqIdempotencyStore.builder(untouchable(), sqlDialect).tableName(hostile))
          .isInstanceOf(IllegalArgumentException.class);
    }

    char quote = sqlDialect == SQLDialect.MARIADB ? '`' : '"';
    String name = "x" + quote + "; drop table users; --";
    String rendered =
        DSL.using(sqlDialect, new Settings().withRenderQuotedNames(RenderQuotedNames.ALWAYS))
            .render(DSL.quotedName(name));
    String text = new Statements(Dialect.of(sqlDialect), rendered).delete.text;

    assertThat(rendered).isEqualTo(quote + name.replace("" + quote, "" + quote + quote) + quote);
    assertThat(text)
        .isEqualTo(
            Dialect.of(sqlDialect).delete().replace("{table}", rendered).replaceAll(":key", "?"));
    // between the identifier's quotes, every quote is doubled: the text stays one identifier
    String identifier = rendered.substring(1, rendered.length() - 1);
    assertThat(identifier.replace("" + quote + quote, "")).doesNotContain("" + quote);
  }

  /** Outside a transaction, PostgreSQL and MariaDB claim in one statement, new key or not. */
  @ParameterizedTest
  @EnumSource(
      value = Kind.class,
      names = {"POSTGRES", "MARIADB"})
  void aClaimIsOneStatementWhetherTheKeyIsNewOrCompleted(Kind kind) {
    String table = Databases.table("idem_trips_" + kind.name().toLowerCase());
    Databases.freshStore(kind, table);
    List<String> statements = Collections.synchronizedList(new ArrayList<>());
    JooqIdempotencyStore store =
        JooqIdempotencyStore.builder(recording(Databases.pool(kind), statements), kind.dialect)
            .tableName(table)
            .build();
    String key = "trips:" + UUID.randomUUID();

    ClaimResult first = store.claim(key, "fp", "owner", LEASE, TTL);
    assertThat(first).isInstanceOf(ClaimResult.Acquired.class);
    assertThat(statements).as("statements of a new key's claim").hasSize(1);

    store.complete(key, ((ClaimResult.Acquired) first).token(), Outcome.ofVoid(), TTL);
    statements.clear();
    ClaimResult replay = store.claim(key, "fp", "other owner", LEASE, TTL);

    assertThat(replay).isInstanceOf(ClaimResult.Completed.class);
    assertThat(statements).as("statements of a completed key's claim").hasSize(1);
  }

  /** A context whose settings would inline bind values cannot break the rendered statements. */
  @Test
  void settingsThatInlineValuesAreOverriddenForTheStoresStatements() {
    String table = Databases.table("idem_inline_settings");
    Databases.freshStore(Kind.H2, table);
    Settings inlining =
        new Settings()
            .withStatementType(StatementType.STATIC_STATEMENT)
            .withParamType(ParamType.INLINED);
    JooqIdempotencyStore store =
        JooqIdempotencyStore.builder(DSL.using(Databases.pool(Kind.H2), SQLDialect.H2, inlining))
            .tableName(table)
            .build();
    String key = "inline:" + UUID.randomUUID();

    ClaimResult.Acquired acquired =
        (ClaimResult.Acquired) store.claim(key, "fp", "owner", LEASE, TTL);
    assertThat(store.complete(key, acquired.token(), Outcome.ofVoid(), TTL)).isTrue();

    assertThat(store.claim(key, "fp", "owner", LEASE, TTL))
        .isInstanceOf(ClaimResult.Completed.class);
  }

  /** A data source the store must never use. */
  private static DataSource untouchable() {
    return proxy(
        DataSource.class,
        (proxy, method, args) -> {
          throw new AssertionError("the data source was used: " + method.getName());
        });
  }

  /** A data source whose connections record the SQL of every statement they prepare. */
  private static DataSource recording(DataSource target, List<String> statements) {
    return proxy(
        DataSource.class,
        (proxy, method, args) -> {
          Object result = invoke(target, method, args);
          return result instanceof Connection connection
              ? proxy(
                  Connection.class,
                  (p, m, a) -> {
                    if (m.getName().startsWith("prepare")) {
                      statements.add((String) a[0]);
                    }
                    return invoke(connection, m, a);
                  })
              : result;
        });
  }

  private static Object invoke(Object target, java.lang.reflect.Method method, Object[] args)
      throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  private static <T> T proxy(Class<T> type, InvocationHandler handler) {
    return type.cast(
        Proxy.newProxyInstance(
            StatementsTest.class.getClassLoader(), new Class<?>[] {type}, handler));
  }
}
