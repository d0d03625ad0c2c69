package dev.idem.chaos;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.idem.store.redis.RedissonIdempotencyStore;
import dev.idem.store.sql.JooqIdempotencyStore;
import dev.idem.test.servers.RedisServerProcess;
import java.time.Duration;
import java.util.UUID;
import org.jooq.SQLDialect;

/**
 * The private servers the scenarios share in one test JVM, started on first use and stopped by
 * shutdown hooks: a PostgreSQL cluster, a Redis server for the stores and a Redis server for the
 * {@link Ledger}. Scenarios that kill a server start one of their own instead.
 */
public final class ChaosServers {

  private static PrivatePostgres postgres;
  private static RedisServerProcess storeRedis;
  private static RedisServerProcess ledgerRedis;

  private ChaosServers() {}

  /**
   * Returns the shared private PostgreSQL cluster.
   *
   * @return the running cluster
   */
  public static synchronized PrivatePostgres postgres() {
    if (postgres == null) {
      postgres = PrivatePostgres.start();
    }
    return postgres;
  }

  /**
   * Returns the shared private Redis server for stores.
   *
   * @return the running server
   */
  public static synchronized RedisServerProcess storeRedis() {
    if (storeRedis == null) {
      storeRedis = PrivateRedis.start("store");
    }
    return storeRedis;
  }

  /**
   * Returns the ledger, on a private Redis server no scenario kills.
   *
   * @return the ledger
   */
  public static synchronized Ledger ledger() {
    if (ledgerRedis == null) {
      ledgerRedis = PrivateRedis.start("ledger");
    }
    return new Ledger(ledgerRedis.address());
  }

  /**
   * Returns a new run id, unique to one scenario run.
   *
   * @param scenario a short name
   * @return the id
   */
  public static String run(String scenario) {
    return scenario + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /**
   * Returns a pool on a PostgreSQL URL for the test JVM's own calls.
   *
   * @param jdbcUrl the URL
   * @param size the pool size
   * @return the pool; the caller closes it
   */
  public static HikariDataSource pool(String jdbcUrl, int size) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(jdbcUrl);
    config.setMaximumPoolSize(size);
    config.setMinimumIdle(1);
    config.setConnectionTimeout(2_000);
    config.setInitializationFailTimeout(-1);
    return new HikariDataSource(config);
  }

  /**
   * Creates a records table on the pool's database and returns a store on it.
   *
   * @param pool the pool
   * @param table the table
   * @return the store
   */
  public static JooqIdempotencyStore sqlStore(HikariDataSource pool, String table) {
    return JooqIdempotencyStore.builder(pool, SQLDialect.POSTGRES)
        .tableName(table)
        .build()
        .createSchemaIfMissing();
  }

  /**
   * Returns a store with a client of its own on a Redis URL.
   *
   * @param url the URL
   * @return the store; the caller closes it
   */
  public static RedissonIdempotencyStore redisStore(String url) {
    return RedissonIdempotencyStore.builder().url(url).timeout(Duration.ofSeconds(2)).build();
  }
}
