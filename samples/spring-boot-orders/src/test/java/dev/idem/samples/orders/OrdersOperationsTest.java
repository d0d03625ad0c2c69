package dev.idem.samples.orders;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Operating the sample on the real PostgreSQL ({@code idem.store=jdbc}, transactional): {@code
 * /actuator/idempotency} shows and deletes the records of an order, and {@code
 * /actuator/prometheus} exports every meter the Grafana dashboard ({@code
 * docs/grafana/idem-dashboard.json}) queries.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "management.endpoints.web.exposure.include=health,metrics,prometheus,idempotency")
@AutoConfigureObservability(tracing = false) // tests turn metrics export off unless asked
class OrdersOperationsTest {

  private static final SampleDatabase DATABASE = new SampleDatabase("orders_ops_");
  private static final Path DASHBOARD = Path.of("../../docs/grafana/idem-dashboard.json");
  private static final Pattern METRIC = Pattern.compile("\\bidem_[a-z0-9_]+");

  @LocalServerPort int port;
  @Autowired Stock stock;
  @Autowired JdbcTemplate jdbc;

  @BeforeAll
  static void createSchema() {
    DATABASE.create();
  }

  @AfterAll
  static void dropSchema() throws SQLException {
    DATABASE.drop();
  }

  @DynamicPropertySource
  static void database(DynamicPropertyRegistry registry) {
    DATABASE.register(registry);
  }

  private String newSku(int available) {
    String sku = "sku-" + UUID.randomUUID();
    stock.restock(sku, available);
    return sku;
  }

  private int available(String sku) {
    Integer n =
        jdbc.queryForObject(
            "select available from orders_sample_stock where sku = ?", Integer.class, sku);
    return n == null ? -1 : n;
  }

  @Test
  void theActuatorShowsAnOrdersRecordsAndAForgottenOneRunsAgainWithoutRedoingTheSaga()
      throws Exception {
    SampleHttp http = new SampleHttp(port);
    String sku = newSku(10);
    String key = UUID.randomUUID().toString();
    HttpResponse<String> placed = http.placeOrder(key, sku, 3, 4_500);
    assertThat(placed.statusCode()).isEqualTo(201);
    String orderId = SampleHttp.json(placed).path("order").path("id").asText();

    HttpResponse<String> record = http.record("GET", "orders.place", key);
    assertThat(record.statusCode()).isEqualTo(200);
    JsonNode view = SampleHttp.json(record);
    assertThat(view.path("state").asText()).isEqualTo("COMPLETED");
    assertThat(view.path("outcome").asText()).isEqualTo("VALUE");
    assertThat(view.path("outcomeBytes").asInt()).isPositive();
    assertThat(view.path("fingerprint").asText()).isNotBlank();
    assertThat(view.path("body").isNull()).isTrue();
    assertThat(record.body()).doesNotContain(key);
    HttpResponse<String> step = http.record("GET", "orders.create", orderId);
    assertThat(step.statusCode()).isEqualTo(200);
    assertThat(SampleHttp.json(step).path("state").asText()).isEqualTo("COMPLETED");

    HttpResponse<String> deleted = http.record("DELETE", "orders.place", key);
    assertThat(deleted.statusCode()).isEqualTo(200);
    assertThat(SampleHttp.json(deleted).path("deleted").asBoolean()).isTrue();
    assertThat(http.record("GET", "orders.place", key).statusCode()).isEqualTo(404);

    HttpResponse<String> again = http.placeOrder(key, sku, 3, 4_500);
    assertThat(again.statusCode()).isEqualTo(201);
    assertThat(again.headers().firstValue("Idempotent-Replayed")).isEmpty();
    assertThat(SampleHttp.json(again).path("order").path("id").asText()).isEqualTo(orderId);
    assertThat(available(sku)).as("the saga's steps replayed, stock reserved once").isEqualTo(7);
    assertThat(http.record("GET", "orders.place", key).statusCode()).isEqualTo(200);
  }

  @Test
  void prometheusExportsEveryMetricTheDashboardQueries() throws Exception {
    SampleHttp http = new SampleHttp(port);
    String sku = newSku(10);
    String key = UUID.randomUUID().toString();
    assertThat(http.placeOrder(key, sku, 1, 100).statusCode()).isEqualTo(201);
    assertThat(http.placeOrder(key, sku, 1, 100).statusCode()).isEqualTo(201);
    assertThat(http.placeOrder(key, sku, 2, 100).statusCode()).isEqualTo(422);

    HttpResponse<String> scrape = http.get("/actuator/prometheus");
    assertThat(scrape.statusCode()).isEqualTo(200);
    Set<String> exported = new TreeSet<>();
    for (String line : scrape.body().split("\n")) {
      Matcher name = Pattern.compile("^(idem_[a-z0-9_]+)[{ ]").matcher(line);
      if (name.find()) {
        exported.add(name.group(1));
      }
    }

    Set<String> queried = dashboardMetrics();
    assertThat(queried)
        .contains(
            "idem_calls_total",
            "idem_call_duration_seconds_bucket",
            "idem_store_requests_seconds_bucket",
            "idem_wait_seconds_count",
            "idem_takeovers_total",
            "idem_fencing_rejections_total");
    assertThat(exported).as("metrics in the scrape").containsAll(queried);
    assertThat(scrape.body())
        .containsPattern(
            "idem_calls_total\\{[^}]*name=\"orders.place\"[^}]*outcome=\"replayed\"[^}]*\\} [1-9]")
        .containsPattern(
            "idem_calls_total\\{[^}]*name=\"orders.place\"[^}]*outcome=\"key_reuse\"[^}]*\\} [1-9]");
  }

  /** The metric names in the dashboard's queries: panels' expressions and variables. */
  private static Set<String> dashboardMetrics() throws Exception {
    JsonNode dashboard = new ObjectMapper().readTree(Files.readString(DASHBOARD));
    List<String> queries = new ArrayList<>();
    for (JsonNode panel : dashboard.path("panels")) {
      for (JsonNode target : panel.path("targets")) {
        queries.add(target.path("expr").asText());
      }
    }
    for (JsonNode variable : dashboard.path("templating").path("list")) {
      queries.add(variable.path("definition").asText());
    }
    Set<String> names = new TreeSet<>();
    for (String query : queries) {
      Matcher metric = METRIC.matcher(query);
      while (metric.find()) {
        names.add(metric.group());
      }
    }
    return names;
  }
}
