package dev.idem.samples.orders;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Drives the order API over real HTTP against the real PostgreSQL: {@code IDEM_TEST_POSTGRES_URL}
 * if set, else {@code jdbc:postgresql://127.0.0.1:5432/test} as {@code postgres}. Fails, never
 * skips, when the database cannot be reached.
 *
 * <p>The app's table names are fixed, and other test JVMs share the database, so the app runs in a
 * schema of this JVM's own ({@link SampleDatabase}), dropped with its tables after the tests.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class OrdersApiTest {

  private static final SampleDatabase SCHEMA = new SampleDatabase("orders_test_");

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http = HttpClient.newHttpClient();

  @LocalServerPort int port;
  @Autowired JdbcTemplate jdbc;
  @Autowired Stock stock;
  @Autowired Orders orders;
  @Autowired SagaFaults faults;

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

  private HttpResponse<String> post(String key, String body)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/orders"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (key != null) {
      request.header("Idempotency-Key", "\"" + key + "\"");
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private String newSku(int available) {
    String sku = "sku-" + UUID.randomUUID();
    stock.restock(sku, available);
    return sku;
  }

  private static String order(String sku, int quantity, long cents) {
    return "{\"sku\":\"" + sku + "\",\"quantity\":" + quantity + ",\"amountCents\":" + cents + "}";
  }

  private int count(String table, String column, UUID id) {
    Integer n =
        jdbc.queryForObject(
            "select count(*) from " + table + " where " + column + " = ?", Integer.class, id);
    return n == null ? 0 : n;
  }

  private int available(String sku) {
    Integer n =
        jdbc.queryForObject(
            "select available from orders_sample_stock where sku = ?", Integer.class, sku);
    return n == null ? -1 : n;
  }

  private static JsonNode json(HttpResponse<String> response) throws IOException {
    return JSON.readTree(response.body());
  }

  @Test
  void concurrentDuplicatePostsCreateOneOrderAndAllGetTheSameResponse() throws Exception {
    String sku = newSku(10);
    String key = UUID.randomUUID().toString();
    String body = order(sku, 3, 4_500);
    List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      inFlight.add(
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return post(key, body);
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              }));
    }
    List<HttpResponse<String>> responses = inFlight.stream().map(CompletableFuture::join).toList();

    assertThat(responses).extracting(HttpResponse::statusCode).containsOnly(201);
    assertThat(responses).extracting(HttpResponse::body).containsOnly(responses.get(0).body());
    assertThat(responses)
        .extracting(r -> r.headers().firstValue("Location").orElse(""))
        .containsOnly(responses.get(0).headers().firstValue("Location").orElseThrow());
    assertThat(responses)
        .filteredOn(r -> r.headers().firstValue("Idempotent-Replayed").isPresent())
        .hasSize(7);
    JsonNode result = json(responses.get(0));
    UUID orderId = UUID.fromString(result.path("order").path("id").asText());
    assertThat(result.path("order").path("status").asText()).isEqualTo("CONFIRMED");
    assertThat(count("orders_sample_orders", "id", orderId)).isEqualTo(1);
    assertThat(count("orders_sample_payments", "order_id", orderId)).isEqualTo(1);
    assertThat(count("orders_sample_reservations", "order_id", orderId)).isEqualTo(1);
    assertThat(available(sku)).isEqualTo(7);
  }

  @Test
  void aDifferentBodyUnderTheSameKeyGets422() throws Exception {
    String sku = newSku(10);
    String key = UUID.randomUUID().toString();
    assertThat(post(key, order(sku, 1, 100)).statusCode()).isEqualTo(201);

    HttpResponse<String> reused = post(key, order(sku, 2, 100));

    assertThat(reused.statusCode()).isEqualTo(422);
    assertThat(reused.headers().firstValue("Content-Type")).contains("application/problem+json");
    assertThat(json(reused).path("status").asInt()).isEqualTo(422);
    assertThat(available(sku)).isEqualTo(9);
  }

  @Test
  void aMissingKeyGets400() throws Exception {
    String sku = newSku(10);

    HttpResponse<String> response = post(null, order(sku, 1, 100));

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(response.headers().firstValue("Content-Type")).contains("application/problem+json");
    assertThat(json(response).path("detail").asText()).contains("Idempotency-Key");
    assertThat(available(sku)).isEqualTo(10);
  }

  @Test
  void outOfStockIsCompensatedAndTheOutcomeIsReplayed() throws Exception {
    String sku = newSku(1);
    String key = UUID.randomUUID().toString();

    HttpResponse<String> first = post(key, order(sku, 5, 2_000));
    HttpResponse<String> again = post(key, order(sku, 5, 2_000));

    assertThat(first.statusCode()).isEqualTo(201);
    JsonNode result = json(first);
    assertThat(result.path("order").path("status").asText()).isEqualTo("CANCELLED");
    assertThat(result.path("order").path("reason").asText()).isEqualTo("OUT_OF_STOCK");
    assertThat(result.path("payment").path("status").asText()).isEqualTo("REFUNDED");
    assertThat(again.body()).isEqualTo(first.body());
    assertThat(again.headers().firstValue("Idempotent-Replayed")).contains("true");
    assertThat(available(sku)).isEqualTo(1);
  }

  @Test
  void aRetryAfterACrashResumesTheSagaWithoutChargingTwice() throws Exception {
    String sku = newSku(4);
    String key = UUID.randomUUID().toString();
    faults.crashOnceAfterCharge();

    HttpResponse<String> crashed = post(key, order(sku, 2, 900));
    HttpResponse<String> retried = post(key, order(sku, 2, 900));

    assertThat(crashed.statusCode()).isEqualTo(500);
    assertThat(retried.statusCode()).isEqualTo(201);
    assertThat(retried.headers().firstValue("Idempotent-Replayed")).isEmpty();
    UUID orderId = UUID.fromString(json(retried).path("order").path("id").asText());
    assertThat(json(retried).path("order").path("status").asText()).isEqualTo("CONFIRMED");
    assertThat(count("orders_sample_orders", "id", orderId)).isEqualTo(1);
    assertThat(count("orders_sample_payments", "order_id", orderId)).isEqualTo(1);
    assertThat(available(sku)).isEqualTo(2);
  }

  @Test
  void orderCreationIsExactlyOnceUnderConcurrentCalls() throws Exception {
    UUID orderId = UUID.randomUUID();
    OrderRequest request = new OrderRequest("sku-direct", 1, 100);
    int callers = 6;
    CyclicBarrier start = new CyclicBarrier(callers);
    ExecutorService pool = Executors.newFixedThreadPool(callers);
    try {
      List<Future<Order>> created = new ArrayList<>();
      for (int i = 0; i < callers; i++) {
        created.add(
            pool.submit(
                () -> {
                  start.await();
                  return orders.create(orderId, request);
                }));
      }
      for (Future<Order> order : created) {
        assertThat(order.get()).isEqualTo(created.get(0).get());
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(count("orders_sample_orders", "id", orderId)).isEqualTo(1);
  }
}
