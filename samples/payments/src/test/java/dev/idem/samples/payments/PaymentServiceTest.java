package dev.idem.samples.payments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idem.Idempotency;
import dev.idem.IdempotencyConfig;
import dev.idem.IdempotencyKeyReuseException;
import dev.idem.spi.IdempotencyStore;
import dev.idem.store.memory.InMemoryIdempotencyStore;
import dev.idem.test.IdempotencyAssertions;
import dev.idem.test.servers.TestDatabase;
import dev.idem.test.servers.TestDatabases;
import dev.idem.test.servers.TestRedis;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Runs against the classes ajc wove at compile time (this test class itself is not woven): if the
 * Maven plugin did not weave {@link PaymentService#charge}, the gateway would be called twice.
 */
class PaymentServiceTest {

  @AfterEach
  void tearDown() {
    Idempotency.unconfigure();
  }

  @Test
  void paymentServiceIsWovenAndValid() {
    IdempotencyAssertions.assertWoven(PaymentService.class);
    Idempotency.configure(IdempotencyConfig.ofDefaults()).validate(PaymentService.class);
  }

  @Test
  void compileTimeWovenChargeRunsOnceForTwoCalls() {
    Idempotency.configure(IdempotencyConfig.ofDefaults());
    PaymentGateway gateway = new PaymentGateway();
    PaymentService service = new PaymentService(gateway);
    ChargeCommand cmd = new ChargeCommand("o-1", "c-1", new BigDecimal("10.00"), "EUR");

    Receipt first = service.charge(cmd);
    Receipt second = service.charge(cmd);

    assertThat(second).isEqualTo(first);
    assertThat(gateway.totalCharges()).isEqualTo(1);
  }

  @Test
  void reusedOrderIdWithAnotherAmountIsRefused() {
    Idempotency.configure(IdempotencyConfig.ofDefaults());
    PaymentGateway gateway = new PaymentGateway();
    PaymentService service = new PaymentService(gateway);
    service.charge(new ChargeCommand("o-2", "c-1", new BigDecimal("10.00"), "EUR"));
    assertThatThrownBy(
            () -> service.charge(new ChargeCommand("o-2", "c-1", new BigDecimal("99.00"), "EUR")))
        .isInstanceOf(IdempotencyKeyReuseException.class);
    assertThat(gateway.totalCharges()).isEqualTo(1);
  }

  @Test
  void demoChargesEveryOrderExactlyOnce() throws Exception {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    PaymentsDemo.Result result =
        new PaymentsDemo(
                InMemoryIdempotencyStore.create(),
                new PrintStream(buffer, true, StandardCharsets.UTF_8))
            .run();
    String table = buffer.toString(StandardCharsets.UTF_8);

    assertThat(result.exactlyOnce()).as(table).isTrue();
    assertThat(result.charges()).isEqualTo(result.orders());
    assertThat(result.requests()).isGreaterThan(result.orders() * 4);
    assertThat(table).contains("every order charged exactly once");
  }

  @Test
  void demoChargesEveryOrderExactlyOnceOnRedis() throws Exception {
    assertDemoOn(DemoStores.create("redis", TestRedis.standaloneUrl(), null, null), "redis");
  }

  @Test
  void demoChargesEveryOrderExactlyOnceOnH2() throws Exception {
    assertDemoOn(DemoStores.create("h2", null, null, null), "h2");
  }

  @Test
  void demoChargesEveryOrderExactlyOnceOnPostgres() throws Exception {
    assertDemoOn(sql("postgres", TestDatabases.postgres()), "postgres");
  }

  @Test
  void demoChargesEveryOrderExactlyOnceOnMariaDb() throws Exception {
    assertDemoOn(sql("mariadb", TestDatabases.mariadb()), "mariadb");
  }

  @Test
  void eachRunOnASharedDatabaseHasATableOfItsOwnDroppedAtTheEnd() throws Exception {
    TestDatabase database = TestDatabases.postgres();
    ClosingStore first = (ClosingStore) sql("postgres", database);
    ClosingStore second = (ClosingStore) sql("postgres", database);
    String firstTable = first.tableName();
    try (first;
        second) {
      assertThat(firstTable).startsWith(DemoStores.TABLE_PREFIX).isNotEqualTo(second.tableName());
      assertThat(tableExists(database, firstTable)).isTrue();
    }
    assertThat(tableExists(database, firstTable)).isFalse();
  }

  @Test
  void aNamedTableIsKept() throws Exception {
    TestDatabase database = TestDatabases.postgres();
    String table = DemoStores.runTable();
    try {
      try (IdempotencyStore store =
          DemoStores.create(
              "postgres", database.jdbcUrl(), database.username(), database.password(), table)) {
        assertThat(((ClosingStore) store).tableName()).isEqualTo(table);
      }
      assertThat(tableExists(database, table)).isTrue();
    } finally {
      try (Connection connection = database.dataSource().getConnection();
          Statement statement = connection.createStatement()) {
        statement.execute("drop table if exists \"" + table + "\"");
      }
    }
  }

  private static boolean tableExists(TestDatabase database, String table) throws SQLException {
    try (Connection connection = database.dataSource().getConnection();
        PreparedStatement query =
            connection.prepareStatement(
                "select count(*) from information_schema.tables where table_name = ?")) {
      query.setString(1, table);
      try (ResultSet rows = query.executeQuery()) {
        rows.next();
        return rows.getInt(1) > 0;
      }
    }
  }

  private static IdempotencyStore sql(String store, TestDatabase database) {
    return DemoStores.create(store, database.jdbcUrl(), database.username(), database.password());
  }

  private static void assertDemoOn(IdempotencyStore store, String name) throws Exception {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    try (store) {
      PaymentsDemo.Result result =
          new PaymentsDemo(store, new PrintStream(buffer, true, StandardCharsets.UTF_8)).run();
      String table = buffer.toString(StandardCharsets.UTF_8);
      assertThat(table).contains("store: " + name);
      assertThat(result.exactlyOnce()).as(table).isTrue();
    }
  }
}
