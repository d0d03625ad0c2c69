package dev.idem.store.sql;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.idem.spi.ClaimResult;
import dev.idem.spi.Outcome;
import dev.idem.test.servers.TestDatabase;
import dev.idem.test.servers.TestDatabases;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;

/**
 * The databases of this module's tests: one shared connection pool per database and JVM, and the
 * tables this JVM's tests create on them.
 *
 * <p>PostgreSQL and MariaDB are shared by every test JVM on the machine (two clones running CI at
 * once, two engineers' builds), so no fixture uses a fixed table name: {@link #table} ends every
 * name with a suffix of this JVM's own, {@link #freshTable} refuses names without it, and the
 * tables are dropped again when the JVM ends. A JVM that is killed leaves its tables behind,
 * unused.
 */
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
  private static final Map<Kind, HikariDataSource> POOLS = new ConcurrentHashMap<>();

  /**
   * The suffix of this JVM's table names: the process id and a random part (process ids repeat
   * across machines and containers). Short enough for PostgreSQL's 63-character identifiers with
   * the longest base name and the store's {@code _expires_at_idx} index suffix.
   */
  private static final String RUN_SUFFIX =
      "_"
          + ProcessHandle.current().pid()
          + "_"
          + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36 * 36), 36);

  /** The tables this JVM created, dropped when it ends. */
  private static final Set<List<Object>> CREATED = ConcurrentHashMap.newKeySet();

  /** How long dropping the created tables may hold up the end of the JVM. */
  private static final Duration CLEAN_UP_TIMEOUT = Duration.ofSeconds(15);

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(Databases::cleanUp, "idem-test-databases"));
  }

  private Databases() {}

  /**
   * Returns a table name of this JVM's own: {@code base} with a suffix no other test JVM uses.
   *
   * @param base the name's readable part, optionally schema-qualified ({@code schema.table})
   */
  static String table(String base) {
    return base + RUN_SUFFIX;
  }

  /**
   * Drops {@code table} of the shared database of {@code kind} if it exists, for a fixture about to
   * create it, and again when the JVM ends.
   *
   * @param table a name made by {@link #table}
   * @throws IllegalArgumentException if the name is not this JVM's own
   */
  static void freshTable(Kind kind, String table) {
    requireOwn(table);
    CREATED.add(List.of(kind, table));
    dropTable(kind, table);
  }

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
          return new HikariDataSource(config);
        });
  }

  /** A context on the shared pool of {@code kind}. */
  static DSLContext dsl(Kind kind) {
    return DSL.using(pool(kind), kind.dialect);
  }

  /**
   * A non-transactional store on a freshly created table of the shared pool of {@code kind}.
   *
   * @param table a name made by {@link #table}
   */
  static JooqIdempotencyStore freshStore(Kind kind, String table) {
    freshTable(kind, table);
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

  /**
   * Drops a table of the shared database of {@code kind} if it exists.
   *
   * @param table a name made by {@link #table}
   * @throws IllegalArgumentException if the name is not this JVM's own
   */
  static void dropTable(Kind kind, String table) {
    requireOwn(table);
    dsl(kind)
        .dropTableIfExists(DSL.quotedName(table.split("\\.")))
        .queryTimeout((int) CLEAN_UP_TIMEOUT.toSeconds())
        .execute();
  }

  /** Refuses a table name that another test JVM may use too: it could drop that JVM's table. */
  private static void requireOwn(String table) {
    if (!table.endsWith(RUN_SUFFIX)) {
      throw new IllegalArgumentException(
          "test tables are named by Databases.table(...), never shared with other JVMs: " + table);
    }
  }

  /**
   * Drops the tables this JVM created, then closes the pools; bounded, so that a table locked by a
   * connection a failed test left open cannot keep the JVM from ending.
   */
  private static void cleanUp() {
    Thread dropping =
        new Thread(
            () -> {
              for (List<Object> created : CREATED) {
                try {
                  dropTable((Kind) created.get(0), (String) created.get(1));
                } catch (RuntimeException e) {
                  // the JVM is ending; a table left behind is unused, never shared
                }
              }
            },
            "idem-test-tables-drop");
    dropping.setDaemon(true);
    dropping.start();
    try {
      dropping.join(CLEAN_UP_TIMEOUT.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    POOLS.values().forEach(HikariDataSource::close);
  }
}
