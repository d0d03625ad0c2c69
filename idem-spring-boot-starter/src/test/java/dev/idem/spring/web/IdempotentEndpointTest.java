package dev.idem.spring.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

@SpringBootTest(
    classes = WebTestApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"management.endpoints.web.exposure.include=metrics"})
class IdempotentEndpointTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();

  @LocalServerPort int port;
  @Autowired WebTestApplication.Probe probe;

  private HttpResponse<String> post(String path, String key, String user, String body)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (key != null) {
      request.header("Idempotency-Key", key);
    }
    if (user != null) {
      request.header("X-User", user);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String key() {
    return "\"" + UUID.randomUUID() + "\"";
  }

  private static JsonNode json(HttpResponse<String> response) throws IOException {
    return JSON.readTree(response.body());
  }

  @Test
  void replaysStatusHeadersAndBodyMarkedAsReplay() throws Exception {
    String key = key();
    HttpResponse<String> first = post("/things", key, null, "{\"name\":\"a\",\"size\":1}");
    HttpResponse<String> again = post("/things", key, null, "{\"size\": 1, \"name\": \"a\"}");

    assertThat(first.statusCode()).isEqualTo(201);
    assertThat(first.headers().firstValue("Idempotent-Replayed")).isEmpty();
    assertThat(again.statusCode()).isEqualTo(201);
    assertThat(again.headers().firstValue("Idempotent-Replayed")).contains("true");
    assertThat(again.body()).isEqualTo(first.body());
    assertThat(again.headers().firstValue("Location"))
        .isEqualTo(first.headers().firstValue("Location"));
    assertThat(again.headers().firstValue("X-Thing"))
        .isEqualTo(first.headers().firstValue("X-Thing"));
    assertThat(again.headers().firstValue("Content-Type"))
        .isEqualTo(first.headers().firstValue("Content-Type"));
  }

  @Test
  void concurrentDuplicatesRunTheHandlerOnceAndAllGetTheSameResponse() throws Exception {
    String key = key();
    int before = probe.created.get();
    List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      responses.add(
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return post("/things", key, null, "{\"name\":\"same\"}");
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              }));
    }
    List<HttpResponse<String>> done = responses.stream().map(CompletableFuture::join).toList();
    assertThat(probe.created.get() - before).isEqualTo(1);
    assertThat(done).extracting(HttpResponse::statusCode).containsOnly(201);
    assertThat(done).extracting(HttpResponse::body).containsOnly(done.get(0).body());
    assertThat(done)
        .filteredOn(r -> r.headers().firstValue("Idempotent-Replayed").isPresent())
        .hasSize(7);
  }

  @Test
  void aDifferentBodyUnderTheSameKeyIs422Problem() throws Exception {
    String key = key();
    post("/things", key, null, "{\"name\":\"a\"}");
    HttpResponse<String> reused = post("/things", key, null, "{\"name\":\"b\"}");

    assertThat(reused.statusCode()).isEqualTo(422);
    assertThat(reused.headers().firstValue("Content-Type")).contains("application/problem+json");
    assertThat(json(reused).path("status").asInt()).isEqualTo(422);
    assertThat(json(reused).path("operation").asText()).isEqualTo("things.create");
  }

  @Test
  void aMissingKeyIs400ProblemAndTheHandlerDoesNotRun() throws Exception {
    int before = probe.created.get();
    HttpResponse<String> response = post("/things", null, null, "{\"name\":\"a\"}");

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(response.headers().firstValue("Content-Type")).contains("application/problem+json");
    assertThat(json(response).path("detail").asText()).contains("Idempotency-Key");
    assertThat(json(response).path("title").asText()).isEqualTo("Bad Request");
    assertThat(probe.created.get()).isEqualTo(before);
  }

  @Test
  void aMalformedOrBlankKeyIs400Problem() throws Exception {
    assertThat(post("/things", "\"unterminated", null, "{}").statusCode()).isEqualTo(400);
    assertThat(post("/things", "\"\"", null, "{}").statusCode()).isEqualTo(400);
  }

  @Test
  void aBareTokenKeyIsAcceptedToo() throws Exception {
    String key = UUID.randomUUID().toString();
    HttpResponse<String> first = post("/things", key, null, "{\"name\":\"t\"}");
    HttpResponse<String> again = post("/things", "\"" + key + "\"", null, "{\"name\":\"t\"}");
    assertThat(again.body()).isEqualTo(first.body());
    assertThat(again.headers().firstValue("Idempotent-Replayed")).contains("true");
  }

  @Test
  void aRequestStillRunningIs409WithRetryAfterWhenThePolicyRejects() throws Exception {
    probe.slowEntered = new CountDownLatch(1);
    probe.slowRelease = new CountDownLatch(1);
    String key = key();
    CompletableFuture<HttpResponse<String>> first =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return post("/things/7/slow", key, null, "");
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    assertThat(probe.slowEntered.await(20, TimeUnit.SECONDS)).isTrue();
    HttpResponse<String> duplicate = post("/things/7/slow", key, null, "");
    probe.slowRelease.countDown();

    assertThat(duplicate.statusCode()).isEqualTo(409);
    assertThat(duplicate.headers().firstValue("Retry-After")).isPresent();
    assertThat(Long.parseLong(duplicate.headers().firstValue("Retry-After").orElseThrow()))
        .isPositive();
    assertThat(json(duplicate).path("status").asInt()).isEqualTo(409);
    assertThat(first.join().statusCode()).isEqualTo(200);
    HttpResponse<String> replay = post("/things/7/slow", key, null, "");
    assertThat(replay.body()).isEqualTo(first.join().body());
  }

  @Test
  void theSameKeyOnAnotherPathIs422() throws Exception {
    probe.slowRelease.countDown();
    String key = key();
    post("/things/1/slow", key, null, "");
    assertThat(post("/things/2/slow", key, null, "").statusCode()).isEqualTo(422);
  }

  @Test
  void serverErrorsAreNotStoredSoARetryRunsTheHandlerAgain() throws Exception {
    String key = key();
    HttpResponse<String> first = post("/flaky", key, null, "");
    HttpResponse<String> retry = post("/flaky", key, null, "");
    HttpResponse<String> replay = post("/flaky", key, null, "");

    assertThat(first.statusCode()).isEqualTo(503);
    assertThat(retry.statusCode()).isEqualTo(200);
    assertThat(retry.headers().firstValue("Idempotent-Replayed")).isEmpty();
    assertThat(replay.body()).isEqualTo(retry.body());
    assertThat(replay.headers().firstValue("Idempotent-Replayed")).contains("true");
  }

  @Test
  void keysAreScopedByThePrincipal() throws Exception {
    String key = key();
    int before = probe.created.get();
    HttpResponse<String> alice = post("/things", key, "alice", "{\"name\":\"x\"}");
    HttpResponse<String> bob = post("/things", key, "bob", "{\"name\":\"x\"}");
    HttpResponse<String> aliceAgain = post("/things", key, "alice", "{\"name\":\"x\"}");

    assertThat(probe.created.get() - before).isEqualTo(2);
    assertThat(bob.headers().firstValue("Idempotent-Replayed")).isEmpty();
    assertThat(bob.body()).isNotEqualTo(alice.body());
    assertThat(aliceAgain.body()).isEqualTo(alice.body());
  }

  @Test
  void anOptionalKeyRunsRequestsWithoutOneEveryTime() throws Exception {
    int before = probe.optional.get();
    post("/optional", null, null, "");
    post("/optional", null, null, "");
    String key = key();
    post("/optional", key, null, "");
    post("/optional", key, null, "");
    assertThat(probe.optional.get() - before).isEqualTo(3);
  }

  @Test
  void otherEndpointsAreUntouched() throws Exception {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/plain")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("plain");
    assertThat(post("/things/1/nothing", key(), null, "").statusCode()).isEqualTo(404);
  }

  @Test
  void metricsAreVisibleUnderActuatorMetrics() throws Exception {
    String key = key();
    post("/things", key, null, "{\"name\":\"m\"}");
    post("/things", key, null, "{\"name\":\"m\"}");
    HttpResponse<String> metrics =
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/actuator/metrics/idem.calls"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(json(metrics).path("name").asText()).isEqualTo("idem.calls");
    assertThat(metrics.body()).contains("replayed");
  }

  @Test
  void idemErrorOfAnInnerCallIsAProblemAndIsNotStored() throws Exception {
    String key = key();
    HttpResponse<String> first = post("/nested", key, null, "{}");
    HttpResponse<String> retry = post("/nested", key, null, "{}");

    assertThat(first.statusCode()).isEqualTo(409);
    assertThat(first.headers().firstValue("Content-Type")).contains("application/problem+json");
    assertThat(first.headers().firstValue("Retry-After")).contains("2");
    assertThat(json(first).get("operation").asText()).isEqualTo("inner.op");
    assertThat(retry.statusCode()).isEqualTo(200);
    assertThat(retry.body()).isEqualTo("nested run 2");
    assertThat(retry.headers().firstValue("Idempotent-Replayed")).isEmpty();
  }
}
