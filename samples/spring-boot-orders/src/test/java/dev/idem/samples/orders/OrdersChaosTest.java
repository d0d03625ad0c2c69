package dev.idem.samples.orders;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idem.spi.ForwardingIdempotencyStore;
import dev.idem.spi.IdempotencyStore;
import dev.idem.spring.IdempotencyConfigCustomizer;
import dev.idem.test.chaos.ChaosTest;
import dev.idem.test.chaos.ChaosTrial;
import dev.idem.test.chaos.FaultInjectingStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.SQLException;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * {@code POST /orders} under chaos, over real HTTP on the real PostgreSQL: lost responses, eight
 * concurrent duplicates, client retries on 409 and 503, store faults on a seeded schedule, and
 * zombies — a request frozen past its one-second lease and taken over, so its handler runs twice.
 * The saga's steps are {@code @Idempotent @Transactional} on the SQL store's transactional mode, so
 * even then the stock is reserved once and every client gets the same order.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"idem.policies.http.lease=1s", "idem.policies.http.wait-timeout=2s"})
class OrdersChaosTest {

  private static final SampleDatabase SCHEMA = new SampleDatabase("orders_chaos_");
  private static final Duration LEASE = Duration.ofSeconds(1);

  private final HttpClient http = HttpClient.newHttpClient();

  @LocalServerPort int port;
  @Autowired JdbcTemplate jdbc;
  @Autowired Stock stock;
  @Autowired ChaosSwitch chaos;

  @BeforeAll
  static void requireDatabase() {
    SCHEMA.create();
  }

  @AfterAll
  static void dropSchema() throws SQLException {
    SCHEMA.drop();
  }

  @DynamicPropertySource
  static void database(DynamicPropertyRegistry registry) {
    SCHEMA.register(registry);
  }

  @AfterEach
  void calm() {
    chaos.faults = null;
  }

  /** The trial's faults, while a trial runs; the application's store otherwise. */
  static final class ChaosSwitch {
    volatile FaultInjectingStore faults;
    volatile IdempotencyStore base;
  }

  /** Idem's store as the tests see it: the application's, through the switch. */
  private static final class Switched extends ForwardingIdempotencyStore {
    private final ChaosSwitch chaos;

    Switched(IdempotencyStore store, ChaosSwitch chaos) {
      super(store);
      this.chaos = chaos;
    }

    private IdempotencyStore target() {
      FaultInjectingStore current = chaos.faults;
      return current != null ? current : delegate();
    }

    @Override
    public dev.idem.spi.ClaimResult claim(
        String key,
        @org.jspecify.annotations.Nullable String fingerprint,
        String owner,
        Duration lease,
        Duration ttl) {
      return target().claim(key, fingerprint, owner, lease, ttl);
    }

    @Override
    public boolean complete(String key, long token, dev.idem.spi.Outcome outcome, Duration ttl) {
      return target().complete(key, token, outcome, ttl);
    }

    @Override
    public boolean release(String key, long token) {
      return target().release(key, token);
    }

    @Override
    public boolean renew(String key, long token, Duration lease) {
      return target().renew(key, token, lease);
    }

    @Override
    public java.util.Optional<dev.idem.spi.IdempotencyRecord> find(String key) {
      return target().find(key);
    }
  }

  @TestConfiguration
  static class Chaos {
    @Bean
    ChaosSwitch chaosSwitch() {
      return new ChaosSwitch();
    }

    @Bean
    IdempotencyConfigCustomizer chaosStore(ChaosSwitch chaos, IdempotencyStore store) {
      chaos.base = store;
      return builder -> builder.store(new Switched(store, chaos));
    }
  }

  /** What a client does with a 409 or 503: retry later. */
  static final class RetryLater extends RuntimeException {
    private static final long serialVersionUID = 1L;

    RetryLater(int status) {
      super("HTTP " + status);
    }
  }

  private String place(String key, String body) throws Exception {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/orders"))
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", "\"" + key + "\"")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() == 409 || response.statusCode() == 503) {
      throw new RetryLater(response.statusCode());
    }
    return response.statusCode() + " " + response.body();
  }

  private int available(String sku) {
    Integer n =
        jdbc.queryForObject(
            "select available from orders_sample_stock where sku = ?", Integer.class, sku);
    return n == null ? -1 : n;
  }

  @ChaosTest(trials = 2)
  void placingAnOrderIsRetrySafe(ChaosTrial trial) {
    String sku = "sku-" + UUID.randomUUID();
    stock.restock(sku, 100);
    String key = UUID.randomUUID().toString();
    String body = "{\"sku\":\"" + sku + "\",\"quantity\":1,\"amountCents\":1500}";
    chaos.faults =
        trial.remember(
            trial
                .faults(chaos.base)
                .fail(dev.idem.test.chaos.StoreOperation.CLAIM, 0.15)
                .loseReply(dev.idem.test.chaos.StoreOperation.CLAIM, 0.05)
                .failFirst(dev.idem.test.chaos.StoreOperation.COMPLETE, 0.2)
                .loseReply(dev.idem.test.chaos.StoreOperation.COMPLETE, 0.1)
                .delay(dev.idem.test.chaos.StoreOperation.CLAIM, 0.2, Duration.ofMillis(50))
                .zombie(0.3, LEASE.multipliedBy(2))
                .build());

    String response =
        trial
            .retrySafety(() -> place(key, body))
            .retryOn(e -> e instanceof RetryLater)
            .effects(() -> 100 - available(sku))
            .duplicates(8)
            .lostResponses(2)
            .assertRetrySafe();

    assertThat(response).startsWith("201 ").contains("CONFIRMED");
    System.out.printf(
        "orders chaos %s: %d faults injected, stock reserved once%n",
        trial, chaos.faults.trace().size());
  }
}
