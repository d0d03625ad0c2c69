package dev.idem.samples.orders;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

/** Requests to the sample app on its port. */
final class SampleHttp {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http = HttpClient.newHttpClient();
  private final int port;

  SampleHttp(int port) {
    this.port = port;
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  HttpResponse<String> placeOrder(String key, String sku, int quantity, long cents)
      throws IOException, InterruptedException {
    String body =
        "{\"sku\":\"" + sku + "\",\"quantity\":" + quantity + ",\"amountCents\":" + cents + "}";
    return http.send(
        HttpRequest.newBuilder(uri("/orders"))
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", "\"" + key + "\"")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> record(String method, String operation, String key)
      throws IOException, InterruptedException {
    String query =
        "?operation="
            + URLEncoder.encode(operation, StandardCharsets.UTF_8)
            + "&key="
            + URLEncoder.encode(key, StandardCharsets.UTF_8);
    return http.send(
        HttpRequest.newBuilder(uri("/actuator/idempotency" + query))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode json(HttpResponse<String> response) throws IOException {
    return JSON.readTree(response.body());
  }
}
