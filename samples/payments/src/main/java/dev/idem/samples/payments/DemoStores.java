package dev.idem.samples.payments;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.idem.spi.IdempotencyStore;
import dev.idem.store.memory.InMemoryIdempotencyStore;
import dev.idem.store.redis.RedissonIdempotencyStore;
import dev.idem.store.sql.JooqIdempotencyStore;
import java.util.UUID;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.jspecify.annotations.Nullable;

/** Picks the demo's store from its command line. */
final class DemoStores {

  static final String USAGE =
      String.join(
          "\n",
          "options:",
          "  --store=memory      in-process (default, no server)",
          "  --store=h2          [--url=jdbc:h2:mem:payments | jdbc:h2:file:./target/payments]",
          "  --store=postgres    [--url=jdbc:postgresql://127.0.0.1:5432/test?user=postgres]",
          "  --store=mariadb     [--url=jdbc:mariadb://127.0.0.1:3306/test?user=root]",
          "  --store=redis       [--url=redis://127.0.0.1:6379]",
          "  --user=NAME --password=SECRET   database credentials, when not in the URL",
          "  --table=NAME        the SQL table, created if missing and kept; by default a table",
          "                      of this run only (payments_demo_<random>), dropped at the end",
          "");

  /** The prefix of the SQL table of one run, so that runs sharing a database never meet. */
  static final String TABLE_PREFIX = "payments_demo_";

  private DemoStores() {}

  static IdempotencyStore fromArgs(String[] args) {
    String store = "memory";
    String url = null;
    String user = null;
    String password = null;
    String table = null;
    for (String arg : args) {
      if (arg.equals("--help")) {
        System.out.print(USAGE);
        System.exit(0);
      } else if (arg.startsWith("--store=")) {
        store = arg.substring("--store=".length());
      } else if (arg.startsWith("--url=")) {
        url = arg.substring("--url=".length());
      } else if (arg.startsWith("--user=")) {
        user = arg.substring("--user=".length());
      } else if (arg.startsWith("--password=")) {
        password = arg.substring("--password=".length());
      } else if (arg.startsWith("--table=")) {
        table = arg.substring("--table=".length());
      } else {
        throw new IllegalArgumentException("unknown option " + arg + "\n" + USAGE);
      }
    }
    return create(store, url, user, password, table);
  }

  static IdempotencyStore create(
      String store, @Nullable String url, @Nullable String user, @Nullable String password) {
    return create(store, url, user, password, null);
  }

  /**
   * Creates a store.
   *
   * @param table the SQL table, kept; null for a table of this run, dropped when the store closes
   */
  static IdempotencyStore create(
      String store,
      @Nullable String url,
      @Nullable String user,
      @Nullable String password,
      @Nullable String table) {
    switch (store) {
      case "memory":
        return InMemoryIdempotencyStore.create();
      case "redis":
        return RedissonIdempotencyStore.fromUrl(url != null ? url : "redis://127.0.0.1:6379");
      case "h2":
        return sql(
            url != null ? url : "jdbc:h2:mem:payments;DB_CLOSE_DELAY=-1",
            user,
            password,
            SQLDialect.H2,
            table);
      case "postgres":
        return sql(
            url != null ? url : "jdbc:postgresql://127.0.0.1:5432/test?user=postgres",
            user,
            password,
            SQLDialect.POSTGRES,
            table);
      case "mariadb":
        return sql(
            url != null ? url : "jdbc:mariadb://127.0.0.1:3306/test?user=root",
            user,
            password,
            SQLDialect.MARIADB,
            table);
      default:
        throw new IllegalArgumentException("unknown store '" + store + "'\n" + USAGE);
    }
  }

  /** Returns a table name of this run only. */
  static String runTable() {
    return TABLE_PREFIX + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  }

  private static IdempotencyStore sql(
      String url,
      @Nullable String user,
      @Nullable String password,
      SQLDialect dialect,
      @Nullable String table) {
    HikariConfig pool = new HikariConfig();
    pool.setJdbcUrl(url);
    if (user != null && !user.isEmpty()) {
      pool.setUsername(user);
    }
    if (password != null && !password.isEmpty()) {
      pool.setPassword(password);
    }
    pool.setMaximumPoolSize(10);
    pool.setPoolName("payments-demo");
    HikariDataSource dataSource = new HikariDataSource(pool);
    String tableName = table != null ? table : runTable();
    JooqIdempotencyStore store =
        JooqIdempotencyStore.builder(dataSource, dialect).tableName(tableName).build();
    store.createSchemaIfMissing();
    if (table != null) {
      return new ClosingStore(store, tableName, dataSource);
    }
    return new ClosingStore(
        store,
        tableName,
        () -> {
          try {
            DSL.using(dataSource, dialect).dropTableIfExists(DSL.quotedName(tableName)).execute();
          } finally {
            dataSource.close();
          }
        });
  }
}
