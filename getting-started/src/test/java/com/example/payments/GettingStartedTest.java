package com.example.payments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idem.store.memory.InMemoryIdempotencyStore;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jooq.SQLDialect;
import org.junit.jupiter.api.Test;

/**
 * Runs the example on every store, with all three on the class path and Idem's versions from the
 * BOM only. Servers come from {@code IDEM_TEST_POSTGRES_URL} and {@code IDEM_TEST_REDIS_URL},
 * else the local default ports.
 */
class GettingStartedTest {

  private static final String POSTGRES_URL =
      env("IDEM_TEST_POSTGRES_URL", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
  private static final String REDIS_URL = env("IDEM_TEST_REDIS_URL", "redis://127.0.0.1:6379");

  private static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isBlank() ? fallback : value;
  }

  private static String uniqueTable() {
    return "getting_started_" + UUID.randomUUID().toString().replace("-", "");
  }

  @Test
  void theServiceIsWovenAndItsAnnotationsAreValid() {
    // fails when a build or an IDE run skipped ajc, instead of running unprotected
    dev.idem.test.IdempotencyAssertions.assertWoven(PaymentService.class);
    dev.idem.Idempotency.of(dev.idem.IdempotencyConfig.ofDefaults()).validate(PaymentService.class);
  }

  @Test
  void chargesOnceOnTheInMemoryStore() {
    assertThat(GettingStarted.onInMemoryStore()).isEqualTo(1);
  }

  @Test
  void chargesOnceWithoutWeaving() {
    AtomicInteger gatewayCalls = new AtomicInteger();
    CardGateway gateway =
        cmd -> {
          gatewayCalls.incrementAndGet();
          return new Receipt(cmd.orderId(), cmd.amountCents(), "ch-" + gatewayCalls.get());
        };
    try (ProgrammaticPayments payments =
        new ProgrammaticPayments(InMemoryIdempotencyStore.create(), gateway)) {
      ChargeCommand cmd = new ChargeCommand("order-1", 4_200);
      Receipt first = payments.charge(cmd);
      assertThat(payments.charge(cmd)).isEqualTo(first);
    }
    assertThat(gatewayCalls).hasValue(1);
  }

  @Test
  void chargesOnceOnH2() {
    String url = "jdbc:h2:mem:" + uniqueTable() + ";DB_CLOSE_DELAY=-1";
    assertThat(GettingStarted.onSqlStore(url, SQLDialect.H2, "idem_records")).isEqualTo(1);
  }

  @Test
  void chargesOnceOnPostgres() throws Exception {
    String table = uniqueTable();
    try {
      assertThat(GettingStarted.onSqlStore(POSTGRES_URL, SQLDialect.POSTGRES, table)).isEqualTo(1);
    } finally {
      try (Connection connection = DriverManager.getConnection(POSTGRES_URL);
          Statement statement = connection.createStatement()) {
        statement.execute("drop table if exists \"" + table + "\"");
      }
    }
  }

  @Test
  void chargesOnceOnRedis() {
    assertThat(GettingStarted.onRedisStore(REDIS_URL)).isEqualTo(1);
  }

  @Test
  void mainOnRedisReturnsAndTheJvmExits() throws Exception {
    // Redisson's threads are not daemons: a client left open would keep this JVM running
    String classPath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    Process process =
        new ProcessBuilder(
                List.of(
                    java,
                    "-cp",
                    classPath,
                    GettingStarted.class.getName(),
                    "redis",
                    REDIS_URL))
            .redirectErrorStream(true)
            .start();
    boolean exited = process.waitFor(60, TimeUnit.SECONDS);
    if (!exited) {
      process.destroyForcibly();
    }
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(exited).as("the JVM exited by itself; output:%n%s", output).isTrue();
    assertThat(process.exitValue()).as(output).isZero();
    assertThat(output).contains("store redis: 2 calls, 1 charge");
  }

  @Test
  void runsWithoutMicrometerOnTheClassPath() {
    // idem-core declares Micrometer optional: nothing here brings it, and every store test above
    // ran without it
    assertThatThrownBy(() -> Class.forName("io.micrometer.core.instrument.MeterRegistry"))
        .isInstanceOf(ClassNotFoundException.class);
  }
}
