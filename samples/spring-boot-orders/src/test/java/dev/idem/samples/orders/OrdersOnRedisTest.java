package dev.idem.samples.orders;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.idem.Idempotency;
import java.net.http.HttpResponse;
import java.sql.SQLException;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The sample with its records in the real Redis ({@code idem.store=redis}; {@code
 * IDEM_TEST_REDIS_URL}, else {@code redis://127.0.0.1:6379}) and its orders in PostgreSQL: the saga
 * runs, and {@code /actuator/idempotency} shows and deletes the records in Redis.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "idem.store=redis",
      "idem.jdbc.transactional=false",
      "management.endpoints.web.exposure.include=health,idempotency"
    })
class OrdersOnRedisTest {

  private static final SampleDatabase DATABASE = new SampleDatabase("orders_redis_");

  @LocalServerPort int port;
  @Autowired Stock stock;
  @Autowired Idempotency idempotency;

  @BeforeAll
  static void createSchema() {
    DATABASE.create();
  }

  @AfterAll
  static void dropSchema() throws SQLException {
    DATABASE.drop();
  }

  @DynamicPropertySource
  static void stores(DynamicPropertyRegistry registry) {
    DATABASE.register(registry);
    String url = System.getenv("IDEM_TEST_REDIS_URL");
    registry.add(
        "idem.redis.url", () -> url != null && !url.isBlank() ? url : "redis://127.0.0.1:6379");
  }

  @Test
  void theActuatorShowsAndDeletesRecordsKeptInRedis() throws Exception {
    assertThat(idempotency.config().store().name()).isEqualTo("redis");
    SampleHttp http = new SampleHttp(port);
    String sku = "sku-" + UUID.randomUUID();
    stock.restock(sku, 5);
    String key = UUID.randomUUID().toString();
    HttpResponse<String> placed = http.placeOrder(key, sku, 2, 1_000);
    assertThat(placed.statusCode()).isEqualTo(201);
    assertThat(http.placeOrder(key, sku, 2, 1_000).headers().firstValue("Idempotent-Replayed"))
        .contains("true");
    String orderId = SampleHttp.json(placed).path("order").path("id").asText();

    HttpResponse<String> record = http.record("GET", "orders.place", key);
    assertThat(record.statusCode()).isEqualTo(200);
    JsonNode view = SampleHttp.json(record);
    assertThat(view.path("state").asText()).isEqualTo("COMPLETED");
    assertThat(view.path("outcome").asText()).isEqualTo("VALUE");
    assertThat(view.path("token").asLong()).isPositive();
    assertThat(view.path("body").isNull()).isTrue();
    assertThat(http.record("GET", "orders.charge", orderId).statusCode()).isEqualTo(200);

    HttpResponse<String> deleted = http.record("DELETE", "orders.place", key);
    assertThat(SampleHttp.json(deleted).path("deleted").asBoolean()).isTrue();
    assertThat(http.record("GET", "orders.place", key).statusCode()).isEqualTo(404);
    HttpResponse<String> again = http.placeOrder(key, sku, 2, 1_000);
    assertThat(again.statusCode()).isEqualTo(201);
    assertThat(again.headers().firstValue("Idempotent-Replayed")).isEmpty();
    assertThat(SampleHttp.json(again).path("order").path("id").asText()).isEqualTo(orderId);
  }
}
