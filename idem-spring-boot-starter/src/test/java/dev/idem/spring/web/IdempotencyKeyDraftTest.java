package dev.idem.spring.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * The {@code Idempotency-Key} header against the IETF draft, on a real Tomcat (header bytes, the
 * container's own limits): every row of the README's HTTP table.
 */
@SpringBootTest(
    classes = WebTestApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "idem.max-result-size=4KB",
      "idem.web.max-body-size=2KB",
      "idem.web.max-key-length=64",
      "idem.web.documentation-url=https://api.example.com/docs/idempotency",
      "idem.scope=principal"
    })
class IdempotencyKeyDraftTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String DOCS = "https://api.example.com/docs/idempotency";
  private final HttpClient http = HttpClient.newHttpClient();

  @LocalServerPort int port;
  @Autowired WebTestApplication.Probe probe;
  @Autowired WebTestApplication.SwitchableStore store;

  private HttpRequest.Builder request(String path, String key) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    if (key != null) {
      request.header("Idempotency-Key", key);
    }
    return request;
  }

  private HttpResponse<String> post(String path, String key) throws Exception {
    return send(request(path, key).POST(HttpRequest.BodyPublishers.noBody()));
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private CompletableFuture<HttpResponse<String>> postAsync(String path, String key) {
    return http.sendAsync(
        request(path, key).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String key() {
    return "\"" + UUID.randomUUID() + "\"";
  }

  private static JsonNode json(HttpResponse<String> response) throws IOException {
    return JSON.readTree(response.body());
  }

  private static void assertProblem(HttpResponse<String> response, int status, String type)
      throws IOException {
    assertThat(response.statusCode()).isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type")).contains("application/problem+json");
    assertThat(json(response).path("status").asInt()).isEqualTo(status);
    assertThat(json(response).path("type").asText()).isEqualTo(DOCS + "#" + type);
    assertThat(response.headers().firstValue("Link"))
        .contains("<" + DOCS + ">; rel=\"describedby\"");
  }

  /** Sends header bytes exactly as given, which no HTTP client library will do. */
  private String rawPost(String path, byte[] headerValue) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST "
                  + path
                  + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                  + "Content-Length: 0\r\nIdempotency-Key: ")
              .getBytes(StandardCharsets.US_ASCII));
      out.write(headerValue);
      out.write("\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream response = new ByteArrayOutputStream();
      in.transferTo(response);
      return response.toString(StandardCharsets.UTF_8);
    }
  }

  @Test
  void aRequestWhileTheFirstRunsIs409ByDefaultWithTheLeaseActuallyLeft() throws Exception {
    probe.heldEntered = new CountDownLatch(1);
    probe.heldRelease = new CountDownLatch(1);
    String key = key();
    CompletableFuture<HttpResponse<String>> first = postAsync("/held", key);
    assertThat(probe.heldEntered.await(20, TimeUnit.SECONDS)).isTrue();
    HttpResponse<String> early = post("/held", key);
    Thread.sleep(2_100);
    HttpResponse<String> later = post("/held", key);
    probe.heldRelease.countDown();

    assertProblem(early, 409, "conflict");
    assertProblem(later, 409, "conflict");
    long earlyRetry = Long.parseLong(early.headers().firstValue("Retry-After").orElseThrow());
    long laterRetry = Long.parseLong(later.headers().firstValue("Retry-After").orElseThrow());
    assertThat(earlyRetry).isBetween(18L, 20L);
    assertThat(laterRetry).isBetween(1L, earlyRetry - 2);
    assertThat(first.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    assertThat(post("/held", key).headers().firstValue("Idempotent-Replayed")).contains("true");
  }

  @Test
  void waitingIsAnOptInAndAWaitThatTimesOutIs409() throws Exception {
    probe.heldEntered = new CountDownLatch(1);
    probe.heldRelease = new CountDownLatch(1);
    String key = key();
    CompletableFuture<HttpResponse<String>> first = postAsync("/held-waiting", key);
    assertThat(probe.heldEntered.await(20, TimeUnit.SECONDS)).isTrue();
    long start = System.nanoTime();
    HttpResponse<String> timedOut = post("/held-waiting", key);
    long waitedMillis = (System.nanoTime() - start) / 1_000_000;
    CompletableFuture<HttpResponse<String>> waiting = postAsync("/held-waiting", key);
    Thread.sleep(100);
    probe.heldRelease.countDown();

    assertProblem(timedOut, 409, "conflict");
    assertThat(json(timedOut).path("detail").asText()).contains("after waiting 300 ms");
    assertThat(waitedMillis).isGreaterThanOrEqualTo(250);
    HttpResponse<String> done = first.get(20, TimeUnit.SECONDS);
    HttpResponse<String> replayed = waiting.get(20, TimeUnit.SECONDS);
    assertThat(replayed.body()).isEqualTo(done.body());
  }

  @Test
  void keysAreStructuredFieldStringsAndParametersAreIgnored() throws Exception {
    String id = UUID.randomUUID().toString();
    HttpResponse<String> first = post("/status/201", "\"" + id + "\";a=1");
    HttpResponse<String> again = post("/status/201", "\"" + id + "\"");
    HttpResponse<String> bare = post("/status/201", id);
    assertThat(first.statusCode()).isEqualTo(201);
    assertThat(again.body()).isEqualTo(first.body());
    assertThat(again.headers().firstValue("Idempotent-Replayed")).contains("true");
    assertThat(bare.body()).isEqualTo(first.body());
  }

  @Test
  void aMissingKeyAndMalformedKeysAre400Problems() throws Exception {
    assertProblem(post("/status/200", null), 400, "key-missing");
    assertProblem(post("/status/200", "\"unterminated"), 400, "key-invalid");
    assertProblem(post("/status/200", "\"x\" junk"), 400, "key-invalid");
    HttpResponse<String> tab = post("/status/200", "\"a\tb\"");
    assertProblem(tab, 400, "key-invalid");
    assertThat(json(tab).path("detail").asText()).contains("control character (0x09)");
  }

  @Test
  void aRepeatedKeyHeaderIs400() throws Exception {
    HttpResponse<String> repeated =
        send(
            request("/status/200", key())
                .header("Idempotency-Key", key())
                .POST(HttpRequest.BodyPublishers.noBody()));
    assertProblem(repeated, 400, "key-invalid");
    assertThat(json(repeated).path("detail").asText()).contains("repeated");
  }

  @Test
  void utf8KeysAre400WithAnAccurateMessageNeverStoredGarbled() throws Exception {
    int before = probe.statuses.get();
    String response =
        rawPost("/status/200", "\"nc-ключ-\uD83D\uDD11\"".getBytes(StandardCharsets.UTF_8));
    assertThat(response).startsWith("HTTP/1.1 400").contains("application/problem+json");
    assertThat(response).contains("printable ASCII").contains("0xD0").doesNotContain("U+008E");
    String accented = rawPost("/status/200", "\"nc-é\"".getBytes(StandardCharsets.UTF_8));
    assertThat(accented).startsWith("HTTP/1.1 400").contains("0xC3");
    assertThat(probe.statuses.get()).isEqualTo(before);
  }

  @Test
  void keysOverTheConfiguredLengthAre400Problems() throws Exception {
    assertThat(post("/status/200", "\"" + "k".repeat(64) + "\"").statusCode()).isEqualTo(200);
    HttpResponse<String> tooLong = post("/status/200", "\"" + "k".repeat(65) + "\"");
    assertProblem(tooLong, 400, "key-invalid");
    assertThat(json(tooLong).path("detail").asText()).contains("limit of 64");
  }

  @Test
  void keysOverTheContainersHeaderLimitAreRefusedByTomcatBeforeIdem() throws Exception {
    // documented: server.max-http-request-header-size (8 KB) answers before any filter runs
    HttpResponse<String> huge = post("/status/200", "\"" + "k".repeat(10_000) + "\"");
    assertThat(huge.statusCode()).isEqualTo(400);
    assertThat(huge.headers().firstValue("Content-Type").orElse("")).doesNotContain("problem+json");
  }

  @Test
  void aStoreThatCannotBeReachedIs503AndTheHandlerDoesNotRun() throws Exception {
    int before = probe.statuses.get();
    store.down = true;
    HttpResponse<String> response;
    try {
      response = post("/status/200", key());
    } finally {
      store.down = false;
    }
    assertProblem(response, 503, "store-unavailable");
    assertThat(probe.statuses.get()).isEqualTo(before);
  }

  @Test
  void aResponseTooLargeToStoreIsSentOnceThen500() throws Exception {
    String key = key();
    HttpResponse<String> first = post("/big", key);
    HttpResponse<String> retry = post("/big", key);
    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(first.body()).hasSizeGreaterThan(8 * 1024);
    assertProblem(retry, 500, "replay-unavailable");
  }

  @Test
  void aRequestBodyOverTheLimitIs413() throws Exception {
    HttpResponse<String> response =
        send(
            request("/status/200", key())
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[3 * 1024])));
    assertProblem(response, 413, "body-too-large");
  }

  @Test
  void retryableStatusesAndSendErrorAreNotStored() throws Exception {
    for (int status : new int[] {408, 425, 429, 500, 503}) {
      String key = key();
      HttpResponse<String> first = post("/status/" + status, key);
      HttpResponse<String> retry = post("/status/" + status, key);
      assertThat(first.statusCode()).isEqualTo(status);
      assertThat(retry.body()).as("status %d", status).isNotEqualTo(first.body());
      assertThat(retry.headers().firstValue("Idempotent-Replayed")).isEmpty();
    }
    String key = key();
    int before = probe.statuses.get();
    assertThat(post("/send-error", key).statusCode()).isEqualTo(400);
    assertThat(post("/send-error", key).statusCode()).isEqualTo(400);
    assertThat(probe.statuses.get() - before).isEqualTo(2);
    String stored = key();
    HttpResponse<String> notFound = post("/status/404", stored);
    assertThat(post("/status/404", stored).body()).isEqualTo(notFound.body());
  }

  @Test
  void formBodiesAreFingerprintedByTheirParameters() throws Exception {
    String key = key();
    HttpResponse<String> first = form(key, "b=2&a=1");
    HttpResponse<String> reordered = form(key, "a=1&b=2");
    HttpResponse<String> changed = form(key, "a=1&b=3");
    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(reordered.body()).isEqualTo(first.body());
    assertThat(reordered.headers().firstValue("Idempotent-Replayed")).contains("true");
    assertProblem(changed, 422, "key-reuse");
  }

  private HttpResponse<String> form(String key, String body) throws Exception {
    return send(
        request("/form", key)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  @Test
  void multipartBodiesAreFingerprintedByTheirParts() throws Exception {
    String key = key();
    HttpResponse<String> first = upload(key, "file contents");
    HttpResponse<String> same = upload(key, "file contents");
    HttpResponse<String> changed = upload(key, "other contents");
    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(same.body()).isEqualTo(first.body());
    assertThat(same.headers().firstValue("Idempotent-Replayed")).contains("true");
    assertProblem(changed, 422, "key-reuse");
  }

  private HttpResponse<String> upload(String key, String contents) throws Exception {
    String boundary = "idem-boundary";
    String body =
        "--"
            + boundary
            + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n"
            + "Content-Type: text/plain\r\n\r\n"
            + contents
            + "\r\n--"
            + boundary
            + "--\r\n";
    return send(
        request("/upload", key)
            .header("Content-Type", "multipart/form-data; boundary=" + boundary)
            .POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  @Test
  void cookiesVaryAndCorsHeadersAreNotReplayed() throws Exception {
    String key = key();
    HttpResponse<String> first = post("/headers", key);
    HttpResponse<String> replay = post("/headers", key);
    assertThat(first.headers().firstValue("Set-Cookie")).isPresent();
    assertThat(replay.headers().firstValue("Idempotent-Replayed")).contains("true");
    assertThat(replay.headers().firstValue("X-Kept")).contains("kept");
    assertThat(replay.headers().firstValue("Set-Cookie")).isEmpty();
    assertThat(replay.headers().allValues("Vary")).doesNotContain("Origin");
    assertThat(replay.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
  }

  @Test
  void principalScopeKeepsUsersApartEndToEnd() throws Exception {
    String reference = "ref-" + UUID.randomUUID();
    int before = probe.charges.get();
    HttpResponse<String> alice = send(charge(reference, "alice"));
    HttpResponse<String> aliceAgain = send(charge(reference, "alice"));
    HttpResponse<String> bob = send(charge(reference, "bob"));
    HttpResponse<String> anonymousPosing = send(charge("alice:" + reference, null));

    assertThat(aliceAgain.body()).isEqualTo(alice.body());
    assertThat(bob.body()).isNotEqualTo(alice.body());
    assertThat(anonymousPosing.body()).isNotEqualTo(alice.body());
    assertThat(probe.charges.get() - before).isEqualTo(3);
  }

  private HttpRequest.Builder charge(String reference, String user) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(
                URI.create(
                    "http://127.0.0.1:"
                        + port
                        + "/charges/"
                        + java.net.URLEncoder.encode(reference, StandardCharsets.UTF_8)))
            .POST(HttpRequest.BodyPublishers.noBody());
    if (user != null) {
      request.header("X-User", user);
    }
    return request;
  }
}
