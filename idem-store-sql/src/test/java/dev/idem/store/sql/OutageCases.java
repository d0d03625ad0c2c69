package dev.idem.store.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.idem.Idempotency;
import dev.idem.IdempotencyConfig;
import dev.idem.IdempotencyStoreException;
import dev.idem.IdempotentOperation;
import dev.idem.spi.ClaimResult;
import dev.idem.spi.Outcome;
import dev.idem.spi.RecordState;
import dev.idem.store.sql.Databases.Kind;
import dev.idem.test.servers.TestDatabase;
import java.io.IOException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A database that goes away fails every operation closed with {@link IdempotencyStoreException},
 * and the same store works again once the database is back. The shared servers are never stopped: a
 * {@link TcpProxy} between the pool and the server is cut, blackholed and restored.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class OutageCases {

  private static final Duration LEASE = Duration.ofSeconds(30);
  private static final Duration TTL = Duration.ofHours(1);

  /** How long the store may take to answer again once the server is back. */
  private static final Duration RECOVERY_TIMEOUT = Duration.ofSeconds(20);

  /** Longer than HikariCP's window (500 ms) within which it hands out connections unchecked. */
  private static final Duration POOL_VALIDATION_WINDOW = Duration.ofMillis(600);

  private TcpProxy proxy;
  private HikariDataSource pool;
  private JooqIdempotencyStore store;

  /** The database under test. */
  abstract Kind kind();

  /** JDBC URL parameters that bound connecting and reading to a second or two. */
  abstract String timeouts();

  @BeforeAll
  void startProxy() throws IOException {
    TestDatabase server = kind().server();
    proxy = new TcpProxy(server.host(), server.port());
    String url = server.jdbcUrlVia("127.0.0.1", proxy.port());
    HikariConfig config = new HikariConfig();
    config.setPoolName("idem-outage-" + kind().name().toLowerCase());
    config.setJdbcUrl(url + (url.contains("?") ? "&" : "?") + timeouts());
    config.setUsername(server.username());
    config.setPassword(server.password());
    config.setMaximumPoolSize(4);
    config.setMinimumIdle(0);
    config.setConnectionTimeout(250);
    config.setValidationTimeout(250);
    pool = new HikariDataSource(config);
    String table = Databases.table("idem_outage_" + kind().name().toLowerCase());
    Databases.freshTable(kind(), table);
    store =
        JooqIdempotencyStore.builder(pool, kind().dialect)
            .tableName(table)
            .build()
            .createSchemaIfMissing();
  }

  @AfterAll
  void stopProxy() throws IOException {
    pool.close();
    proxy.close();
  }

  @Test
  void operationsFailClosedWhileTheServerIsDownAndWorkAgainWhenItIsBack() {
    String held = newKey();
    long token = acquired(store.claim(held, "fp", "o", LEASE, TTL)).token();

    proxy.cut();
    try {
      String fresh = newKey();
      assertFailsWithStoreException(() -> store.claim(fresh, "fp", "o", LEASE, TTL), "claim");
      assertFailsWithStoreException(
          () -> store.complete(held, token, Outcome.ofVoid(), TTL), "complete");
      assertFailsWithStoreException(() -> store.renew(held, token, LEASE), "renew");
      assertFailsWithStoreException(() -> store.find(held), "find");
      assertFailsWithStoreException(() -> store.release(held, token), "release");
      assertFailsWithStoreException(() -> store.purgeExpired(10), "purge");
      pause(POOL_VALIDATION_WINDOW);
    } finally {
      proxy.restore();
    }
    awaitBack();

    assertThat(store.complete(held, token, Outcome.ofVoid(), TTL)).isTrue();
    assertThat(store.find(held).orElseThrow().state()).isEqualTo(RecordState.COMPLETED);
    assertThat(acquired(store.claim(newKey(), "fp", "o", LEASE, TTL)).token()).isPositive();
  }

  @Test
  void claimFailsClosedWhenTheServerStopsAnswering() {
    store.find(newKey()); // a pooled connection that will hang
    proxy.blackhole();
    try {
      assertFailsWithStoreException(() -> store.claim(newKey(), "fp", "o", LEASE, TTL), "claim");
      pause(POOL_VALIDATION_WINDOW);
    } finally {
      proxy.restore();
    }
    awaitBack();

    assertThat(acquired(store.claim(newKey(), "fp", "o", LEASE, TTL)).token()).isPositive();
  }

  @Test
  void engineNeverRunsTheBodyWhileTheServerIsDown() {
    AtomicInteger bodies = new AtomicInteger();
    try (Idempotency idempotency =
        Idempotency.of(IdempotencyConfig.builder().store(store).build())) {
      IdempotentOperation<String> charge =
          idempotency.operation("outage.charge", String.class).build();
      String key = newKey();

      proxy.cut();
      try {
        assertThatThrownBy(
                () -> charge.execute(key, key, () -> "charged " + bodies.incrementAndGet()))
            .isInstanceOf(IdempotencyStoreException.class)
            .hasCauseInstanceOf(SQLException.class);
        pause(POOL_VALIDATION_WINDOW);
      } finally {
        proxy.restore();
      }
      awaitBack();
      assertThat(bodies).as("bodies run while the store was down").hasValue(0);

      assertThat(charge.execute(key, key, () -> "charged " + bodies.incrementAndGet()))
          .isEqualTo("charged 1");
      assertThat(charge.execute(key, key, () -> "charged " + bodies.incrementAndGet()))
          .isEqualTo("charged 1");
      assertThat(bodies).hasValue(1);
    }
  }

  /**
   * Waits, at most {@link #RECOVERY_TIMEOUT}, until the same store answers again after {@link
   * TcpProxy#restore()}. The pool's connection adder backs off while the server is away (up to
   * seconds), so the first request after the restore may still find the pool empty; what matters is
   * that the store recovers by itself, without being rebuilt.
   */
  private void awaitBack() {
    long deadline = System.nanoTime() + RECOVERY_TIMEOUT.toNanos();
    while (true) {
      try {
        store.find(newKey());
        return;
      } catch (IdempotencyStoreException e) {
        assertThat(System.nanoTime())
            .as("store answering again within %s of the restore: %s", RECOVERY_TIMEOUT, e)
            .isLessThan(deadline);
        pause(Duration.ofMillis(50));
      }
    }
  }

  private void assertFailsWithStoreException(ThrowingCallable call, String operation) {
    assertThatThrownBy(call)
        .isInstanceOf(IdempotencyStoreException.class)
        .hasCauseInstanceOf(SQLException.class)
        .satisfies(
            e -> {
              IdempotencyStoreException failure = (IdempotencyStoreException) e;
              assertThat(failure.storeOperation()).isEqualTo(operation);
              assertThat(failure.store()).isEqualTo(store.name());
              assertThat(failure.httpStatus()).isEqualTo(503);
            });
  }

  private static String newKey() {
    return "outage:" + UUID.randomUUID();
  }

  private static ClaimResult.Acquired acquired(ClaimResult result) {
    assertThat(result).isInstanceOf(ClaimResult.Acquired.class);
    return (ClaimResult.Acquired) result;
  }

  /** Lets pooled connections age; not a timing assertion. */
  private static void pause(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
