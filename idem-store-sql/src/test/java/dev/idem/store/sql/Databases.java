package dev.idem.store.sql;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.idem.spi.ClaimResult;
import dev.idem.spi.Outcome;
import dev.idem.test.servers.TestDatabase;
import dev.idem.test.servers.TestDatabases;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;

/** The databases of this module's tests: one shared connection pool per database and JVM. */
final class Databases {

  /** A database the store supports and the tests run on. */
  enum Kind {
    POSTGRES(SQLDialect.POSTGRES),
    MARIADB(SQLDialect.MARIADB),
    H2(SQLDialect.H2);

    final SQLDialect dialect;

    Kind(SQLDialect dialect) {
      this.dialect = dialect;
    }

    /** The server behind the pool; H2 has none. */
    TestDatabase server() {
      switch (this) {
        case POSTGRES:
          return TestDatabases.postgres();
        case MARIADB:
          return TestDatabases.mariadb();
        default:
          throw new IllegalStateException("H2 runs in memory, in this JVM");
      }
    }
  }

  /**
   * The kit's lease and margin for the SQL stores: a little longer than the kit's defaults, so that
   * a loaded machine (the tests share two cores with other builds) cannot push a statement past the
   * margin the kit allows around lease and record ends.
   */
  static final Duration KIT_LEASE = Duration.ofMillis(700);

  static final Duration KIT_MARGIN = Duration.ofMillis(250);

  private static final String H2_URL = "jdbc:h2:mem:idem;DB_CLOSE_DELAY=-1";
  private static final Map<Kind, DataSource> POOLS = new ConcurrentHashMap<>();

  private Databases() {}

  /** The shared pool of {@code kind}, created on first use and closed with the JVM. */
  static DataSource pool(Kind kind) {
    return POOLS.computeIfAbsent(
        kind,
        k -> {
          HikariConfig config = new HikariConfig();
          config.setPoolName("idem-" + k.name().toLowerCase());
          config.setMaximumPoolSize(20);
          config.setMinimumIdle(0);
          if (k == Kind.H2) {
            config.setJdbcUrl(H2_URL);
          } else {
            TestDatabase server = k.server();
            config.setJdbcUrl(server.jdbcUrl());
            config.setUsername(server.username());
            config.setPassword(server.password());
          }
          HikariDataSource pool = new HikariDataSource(config);
          Runtime.getRuntime().addShutdownHook(new Thread(pool::close));
          return pool;
        });
  }

  /** A context on the shared pool of {@code kind}. */
  static DSLContext dsl(Kind kind) {
    return DSL.using(pool(kind), kind.dialect);
  }

  /** A non-transactional store on a freshly created table of the shared pool of {@code kind}. */
  static JooqIdempotencyStore freshStore(Kind kind, String table) {
    dropTable(kind, table);
    return JooqIdempotencyStore.builder(pool(kind), kind.dialect)
        .tableName(table)
        .build()
        .createSchemaIfMissing();
  }

  /**
   * Runs every operation of the store once, so that class loading and jOOQ's first renderings do
   * not land inside the sub-second timing windows of the conformance kit.
   */
  static JooqIdempotencyStore warmedUp(JooqIdempotencyStore store) {
    for (int i = 0; i < 3; i++) {
      String key = "warm-up:" + UUID.randomUUID();
      Duration lease = Duration.ofSeconds(30);
      ClaimResult.Acquired acquired =
          (ClaimResult.Acquired) store.claim(key, "fingerprint", "warm-up", lease, lease);
      store.claim(key, "fingerprint", "warm-up", lease, lease);
      store.renew(key, acquired.token(), lease);
      store.find(key);
      store.complete(key, acquired.token(), Outcome.ofVoid(), Duration.ofMillis(1));
      store.claim(key, "fingerprint", "warm-up", lease, lease);
      store.release(key, acquired.token());
      store.purgeExpired(10);
    }
    return store;
  }

  /** Drops a table of the shared database of {@code kind} if it exists. */
  static void dropTable(Kind kind, String table) {
    dsl(kind).dropTableIfExists(DSL.quotedName(table.split("\\."))).execute();
  }
}
