package dev.idem.store.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idem.IdempotencyConfigurationException;
import dev.idem.IdempotencyStoreException;
import dev.idem.spi.ClaimResult;
import dev.idem.spi.IdempotencyRecord;
import dev.idem.spi.Outcome;
import dev.idem.store.sql.Databases.Kind;
import java.lang.reflect.Proxy;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** What the conformance kit does not cover: configuration, schema, clock, errors. */
class JooqIdempotencyStoreTest {

  private static final Duration LEASE = Duration.ofSeconds(30);
  private static final Duration TTL = Duration.ofHours(1);

  private final AtomicInteger connections = new AtomicInteger();
  private final DataSource untouchable =
      (DataSource)
          Proxy.newProxyInstance(
              getClass().getClassLoader(),
              new Class<?>[] {DataSource.class},
              (proxy, method, args) -> {
                connections.incrementAndGet();
                throw new SQLException("this data source must not be used");
              });

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "1idem",
        "idem records",
        "idem;drop table users",
        "idem_records; delete from idem_records --",
        "idem\"records",
        "idem`records",
        "idem'records",
        "idem-records",
        "a.b.c",
        "a.",
        ".a",
        "a..b",
        "ïdem",
        "idem\u0000",
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
      })
  void hostileOrMalformedTableNameFailsAtConstructionAndTouchesNothing(String name) {
    assertThatThrownBy(
            () -> JooqIdempotencyStore.builder(untouchable, SQLDialect.POSTGRES).tableName(name))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("invalid table name")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(";").doesNotContain("users"));
    assertThat(connections).hasValue(0);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "idem_records",
        "Idem_Records",
        "_idem",
        "app.idem_records",
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
      })
  void plainIdentifiersAreAcceptedAndRenderedQuoted(String name) {
    JooqIdempotencyStore store =
        JooqIdempotencyStore.builder(untouchable, SQLDialect.POSTGRES).tableName(name).build();

    assertThat(store.tableName()).isEqualTo("\"" + name.replace(".", "\".\"") + "\"");
    assertThat(connections).hasValue(0);
  }

  @Test
  void unsupportedDialectIsRejected() {
    assertThatThrownBy(() -> JooqIdempotencyStore.builder(untouchable, SQLDialect.SQLITE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("SQLITE");
  }

  @Test
  void lockTimeoutWithoutTransactionalModeIsAConflict() {
    assertThatThrownBy(
            () ->
                JooqIdempotencyStore.builder(untouchable, SQLDialect.POSTGRES)
                    .lockTimeout(Duration.ofSeconds(1))
                    .build())
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void storeNamesItsDatabaseAndDeclaresAPurgerButNoNotifier() {
    assertThat(JooqIdempotencyStore.of(untouchable, SQLDialect.POSTGRES).name())
        .isEqualTo("postgres");
    assertThat(JooqIdempotencyStore.of(untouchable, SQLDialect.MARIADB).name())
        .isEqualTo("mariadb");
    assertThat(JooqIdempotencyStore.of(untouchable, SQLDialect.MYSQL).name()).isEqualTo("mysql");
    JooqIdempotencyStore h2 = JooqIdempotencyStore.of(untouchable, SQLDialect.H2);
    assertThat(h2.name()).isEqualTo("h2");
    assertThat(h2.completionNotifier()).isEmpty();
    assertThat(h2.purger()).containsSame(h2);
    assertThat(connections).hasValue(0);
  }

  @Test
  void schemaDdlUsesTheConfiguredNames() {
    assertThat(ddl(SQLDialect.POSTGRES, "app.idem_x"))
        .contains("create table if not exists \"app\".\"idem_x\" (")
        .contains("create index if not exists \"idem_x_expires_at_idx\" on \"app\".\"idem_x\"")
        .doesNotContain("idem_records");
    assertThat(ddl(SQLDialect.MARIADB, "app.idem_x"))
        .contains("create table if not exists `app`.`idem_x` (")
        .contains("key `idem_x_expires_at_idx` (`expires_at`)")
        .contains("`idem_key`     varbinary(1020) not null")
        .doesNotContain("idem_records");
    assertThat(ddl(SQLDialect.H2, "APP.idem_x"))
        .contains("create table if not exists \"APP\".\"idem_x\" (")
        .contains(
            "create index if not exists \"APP\".\"idem_x_expires_at_idx\" on \"APP\".\"idem_x\"");
    String longName = "t".repeat(63);
    String ddl = ddl(SQLDialect.POSTGRES, longName);
    String index = ddl.substring(ddl.indexOf("create index if not exists \"") + 28);
    index = index.substring(0, index.indexOf('"'));
    assertThat(index).hasSizeLessThanOrEqualTo(63).endsWith("_expires_at_idx").startsWith("ttt");
  }

  @Test
  void shippedDdlIsTheDefaultTablesDdl() throws Exception {
    for (SQLDialect dialect : List.of(SQLDialect.POSTGRES, SQLDialect.MARIADB, SQLDialect.H2)) {
      String resource =
          dialect == SQLDialect.POSTGRES
              ? "schema-postgres.sql"
              : dialect == SQLDialect.MARIADB ? "schema-mariadb.sql" : "schema-h2.sql";
      try (var in = JooqIdempotencyStore.class.getResourceAsStream(resource)) {
        assertThat(in).as(resource).isNotNull();
        assertThat(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8))
            .isEqualTo(JooqIdempotencyStore.of(untouchable, dialect).schemaDdl());
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void createSchemaIfMissingIsIdempotentAndWorksForSchemaQualifiedNames(Kind kind) {
    String schema = kind == Kind.POSTGRES ? "public" : kind == Kind.MARIADB ? "test" : "PUBLIC";
    String table = Databases.table(schema + ".idem_qualified_" + kind.name().toLowerCase());
    Databases.freshTable(kind, table);
    JooqIdempotencyStore store =
        JooqIdempotencyStore.builder(Databases.pool(kind), kind.dialect).tableName(table).build();

    store.createSchemaIfMissing().createSchemaIfMissing();

    String key = newKey();
    ClaimResult.Acquired acquired = acquired(store.claim(key, "fp", "o", LEASE, TTL));
    assertThat(store.complete(key, acquired.token(), Outcome.ofVoid(), TTL)).isTrue();
    assertThat(store.claim(key, "fp", "o", LEASE, TTL)).isInstanceOf(ClaimResult.Completed.class);
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void missingTableFailsWithStoreExceptionCarryingTheDriversException(Kind kind) {
    JooqIdempotencyStore store =
        JooqIdempotencyStore.builder(Databases.pool(kind), kind.dialect)
            .tableName("idem_no_such_table")
            .build();
    String key = "secret-customer-key-" + UUID.randomUUID();

    assertThatThrownBy(() -> store.claim(key, "fp", "o", LEASE, TTL))
        .isInstanceOf(IdempotencyStoreException.class)
        .hasCauseInstanceOf(SQLException.class)
        .satisfies(
            e -> {
              assertThat(((IdempotencyStoreException) e).storeOperation()).isEqualTo("claim");
              assertThat(e.getMessage()).doesNotContain(key);
            });
    assertThatThrownBy(() -> store.find(key)).isInstanceOf(IdempotencyStoreException.class);
    assertThatThrownBy(() -> store.purgeExpired(1)).isInstanceOf(IdempotencyStoreException.class);
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void requireSchemaNamesTheMissingTableAndItsDdl(Kind kind) {
    String table = Databases.table("idem_rt_missing");
    JooqIdempotencyStore store =
        JooqIdempotencyStore.builder(Databases.pool(kind), kind.dialect).tableName(table).build();

    assertThatThrownBy(store::requireSchema)
        .isInstanceOf(IdempotencyConfigurationException.class)
        .hasMessageContaining(table)
        .hasMessageContaining("does not exist")
        .hasMessageContaining(
            "dev/idem/store/sql/schema-"
                + (kind == Kind.POSTGRES ? "postgres" : kind == Kind.MARIADB ? "mariadb" : "h2")
                + ".sql")
        .hasMessageContaining("createSchemaIfMissing()");
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void requireSchemaRefusesATableWithoutTheStoresColumns(Kind kind) {
    String table = Databases.table("idem_rt_partial_" + kind.name().toLowerCase());
    Databases.freshTable(kind, table);
    Databases.dsl(kind)
        .createTable(DSL.quotedName(table))
        .column(DSL.quotedName("idem_key"), SQLDataType.VARCHAR(255))
        .execute();
    try {
      JooqIdempotencyStore store =
          JooqIdempotencyStore.builder(Databases.pool(kind), kind.dialect).tableName(table).build();
      assertThatThrownBy(store::requireSchema)
          .isInstanceOf(IdempotencyConfigurationException.class)
          .hasMessageContaining(table);
    } finally {
      Databases.dropTable(kind, table);
    }
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void requireSchemaAcceptsTheShippedSchema(Kind kind) {
    String table = Databases.table("idem_rt_present_" + kind.name().toLowerCase());
    try {
      Databases.freshStore(kind, table).requireSchema();
    } finally {
      Databases.dropTable(kind, table);
    }
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void timesComeFromTheDatabaseClockWithMicroseconds(Kind kind) {
    JooqIdempotencyStore store =
        Databases.freshStore(kind, Databases.table("idem_clock_" + kind.name().toLowerCase()));
    boolean subMillisecond = false;
    for (int i = 0; i < 20; i++) {
      String key = newKey();
      ClaimResult.Acquired acquired = acquired(store.claim(key, "fp", "o", LEASE, TTL));
      IdempotencyRecord record = store.find(key).orElseThrow();
      Instant created = record.createdAt();
      assertThat(created.getNano() % 1_000).as("nanoseconds below the microsecond").isZero();
      subMillisecond |= created.getNano() % 1_000_000 != 0;
      // a fresh key's token is the database clock, in microseconds, of the claiming statement
      assertThat(acquired.token()).isEqualTo(ChronoUnit.MICROS.between(Instant.EPOCH, created));
      assertThat(Duration.between(created, record.leaseUntil())).isEqualTo(LEASE);
      assertThat(Duration.between(created, record.expiresAt())).isEqualTo(TTL);
    }
    assertThat(subMillisecond).as("some creation time has microseconds").isTrue();
  }

  @Test
  void mariaDbKeysAreBinarySoCaseAndTrailingSpacesCount() {
    String table = Databases.table("idem_binary_keys");
    JooqIdempotencyStore store = Databases.freshStore(Kind.MARIADB, table);
    String base = newKey();
    for (String key : List.of(base + "k", base + "K", base + "k ", base + "k\t")) {
      assertThat(store.claim(key, null, key, LEASE, TTL))
          .as("claim of %s", key.substring(base.length()))
          .isInstanceOf(ClaimResult.Acquired.class);
    }
    String type =
        Databases.dsl(Kind.MARIADB)
            .fetchValue(
                "select data_type from information_schema.columns where table_schema = database()"
                    + " and table_name = ? and column_name = 'idem_key'",
                table)
            .toString();
    assertThat(type).isEqualTo("varbinary");
  }

  @Test
  void keysLongerThan255CharactersAreRejectedBeforeAnySql() {
    JooqIdempotencyStore store = JooqIdempotencyStore.of(untouchable, SQLDialect.MARIADB);

    assertThatThrownBy(() -> store.claim("k".repeat(256), null, "o", LEASE, TTL))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(connections).hasValue(0);
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void ownersLongerThanTheColumnAreCut(Kind kind) {
    JooqIdempotencyStore store =
        Databases.freshStore(kind, Databases.table("idem_owner_" + kind.name().toLowerCase()));
    String key = newKey();

    acquired(store.claim(key, null, "o".repeat(5_000), LEASE, TTL));

    assertThat(store.find(key).orElseThrow().owner()).isEqualTo("o".repeat(1_000));
  }

  /**
   * H2 counts microseconds from a time's local fields, whatever its offset: record times and tokens
   * must not depend on the session's time zone.
   */
  @Test
  void h2TimesAndTokensDoNotDependOnTheSessionTimeZone() {
    String url = "jdbc:h2:mem:idem_zones_" + UUID.randomUUID().toString().replace("-", "");
    JdbcDataSource kolkata = new JdbcDataSource();
    kolkata.setURL(url + ";DB_CLOSE_DELAY=-1;TIME ZONE=Asia/Kolkata");
    JdbcDataSource utc = new JdbcDataSource();
    utc.setURL(url + ";TIME ZONE=UTC");
    JooqIdempotencyStore inKolkata =
        JooqIdempotencyStore.of(kolkata, SQLDialect.H2).createSchemaIfMissing();
    JooqIdempotencyStore inUtc = JooqIdempotencyStore.of(utc, SQLDialect.H2);
    String key = newKey();
    Instant before = Instant.now().minusSeconds(5);

    ClaimResult.Acquired acquired = acquired(inKolkata.claim(key, "fp", "owner", LEASE, TTL));
    IdempotencyRecord seenFromUtc = inUtc.find(key).orElseThrow();
    IdempotencyRecord seenFromKolkata = inKolkata.find(key).orElseThrow();

    assertThat(seenFromUtc.createdAt())
        .isEqualTo(seenFromKolkata.createdAt())
        .isBetween(before, Instant.now().plusSeconds(5));
    assertThat(acquired.token())
        .isEqualTo(ChronoUnit.MICROS.between(Instant.EPOCH, seenFromUtc.createdAt()));
    assertThat(inUtc.claim(key, "fp", "other", LEASE, TTL))
        .isInstanceOf(ClaimResult.InProgress.class);
  }

  private String ddl(SQLDialect dialect, String table) {
    return JooqIdempotencyStore.builder(untouchable, dialect).tableName(table).build().schemaDdl();
  }

  private static String newKey() {
    return "store-test:" + UUID.randomUUID();
  }

  private static ClaimResult.Acquired acquired(ClaimResult result) {
    assertThat(result).isInstanceOf(ClaimResult.Acquired.class);
    return (ClaimResult.Acquired) result;
  }
}
