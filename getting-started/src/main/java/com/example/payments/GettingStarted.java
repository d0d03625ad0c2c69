package com.example.payments;

// readme:begin imports
import dev.idem.Idempotency;
import dev.idem.IdempotencyConfig;
import dev.idem.IdempotencyPolicy;
import dev.idem.spi.IdempotencyStore;
import dev.idem.store.memory.InMemoryIdempotencyStore;
import java.time.Duration;
// readme:end imports
// readme:begin sql-imports
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.idem.store.sql.JooqIdempotencyStore;
import org.jooq.SQLDialect;
// readme:end sql-imports
// readme:begin redis-imports
import dev.idem.store.redis.RedissonIdempotencyStore;
// readme:end redis-imports

/**
 * Charges one order twice (a client retry) on the store named on the command line and prints how
 * often the body ran:
 *
 * <pre>
 * mvn -q process-classes exec:java       # in-memory; process-classes is where ajc weaves
 * mvn -q process-classes exec:java -Dexec.args="postgres jdbc:postgresql://127.0.0.1:5432/test?user=postgres"
 * mvn -q process-classes exec:java -Dexec.args="h2 jdbc:h2:mem:payments"
 * mvn -q process-classes exec:java -Dexec.args="redis redis://127.0.0.1:6379"
 * </pre>
 */
public final class GettingStarted {

  private GettingStarted() {}

  /**
   * Runs the example.
   *
   * @param args the store ({@code memory}, {@code h2}, {@code postgres}, {@code redis}) and its URL
   */
  public static void main(String[] args) {
    String store = args.length > 0 ? args[0] : "memory";
    String url = args.length > 1 ? args[1] : null;
    String table = args.length > 2 ? args[2] : "idem_records";
    int charges =
        switch (store) {
          case "memory" -> onInMemoryStore();
          case "h2" -> onSqlStore(url != null ? url : "jdbc:h2:mem:payments", SQLDialect.H2, table);
          case "postgres" -> onSqlStore(url, SQLDialect.POSTGRES, table);
          case "redis" -> onRedisStore(url != null ? url : "redis://127.0.0.1:6379");
          default -> throw new IllegalArgumentException("unknown store " + store);
        };
    System.out.println("store " + store + ": 2 calls, " + charges + " charge");
  }

  static int onInMemoryStore() {
    // readme:begin memory
    IdempotencyStore store = InMemoryIdempotencyStore.create(); // one JVM, records die with it
    // readme:end memory
    return chargeTwice(store);
  }

  static int onSqlStore(String jdbcUrl, SQLDialect dialect, String tableName) {
    // readme:begin sql
    HikariConfig pool = new HikariConfig();
    pool.setJdbcUrl(jdbcUrl); // jdbc:postgresql://127.0.0.1:5432/test?user=postgres
    try (HikariDataSource dataSource = new HikariDataSource(pool)) { // closed as the app stops
      JooqIdempotencyStore store =
          JooqIdempotencyStore.builder(dataSource, dialect) // SQLDialect.POSTGRES, MARIADB, H2
              .tableName(tableName) // default "idem_records"
              .build();
      store.createSchemaIfMissing(); // or run the shipped DDL with your migrations
      return chargeTwice(store);
    }
    // readme:end sql
  }

  static int onRedisStore(String redisUrl) {
    // readme:begin redis
    // fromUrl starts a Redisson client of its own, whose threads keep the JVM alive until
    // store.close() shuts it down
    try (RedissonIdempotencyStore store = RedissonIdempotencyStore.fromUrl(redisUrl)) {
      return chargeTwice(store);
    }
    // readme:end redis
  }

  static int chargeTwice(IdempotencyStore store) {
    // readme:begin bootstrap
    Idempotency.configure(
        IdempotencyConfig.builder()
            .store(store)
            .defaults(IdempotencyPolicy.builder().ttl(Duration.ofHours(24)).build())
            .build());
    // readme:end bootstrap
    try {
      PaymentService payments = new PaymentService();
      ChargeCommand cmd = new ChargeCommand("order-" + System.nanoTime(), 4_200);
      Receipt first = payments.charge(cmd);
      Receipt retry = payments.charge(cmd);
      if (!retry.equals(first)) {
        throw new IllegalStateException("the retry got another receipt: " + retry);
      }
      return payments.charges();
    } finally {
      Idempotency.unconfigure();
    }
  }
}
