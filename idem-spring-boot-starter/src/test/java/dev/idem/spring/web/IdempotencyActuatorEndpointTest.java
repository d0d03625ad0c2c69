package dev.idem.spring.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.idem.IdempotencyInProgressException;
import java.security.Principal;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.hamcrest.Matchers;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.web.servlet.AutoConfigureMockMvc;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.request.MockHttpServletRequestBuilder;

/**
 * {@code /actuator/idempotency} over MockMvc, on the web test application with {@code
 * idem.scope=principal}: records of {@code @IdempotentEndpoint} handlers (anonymous and per
 * principal) and of an {@code @Idempotent} method, in progress and completed; deletion; bad
 * requests.
 */
@SpringBootTest(
    classes = WebTestApplication.class,
    properties = {
      "management.endpoints.web.exposure.include=idempotency",
      "idem.scope=principal",
      "idem.key-prefix=ops"
    })
@AutoConfigureMockMvc
class IdempotencyActuatorEndpointTest {

  @Autowired MockMvc mvc;
  @Autowired WebTestApplication.Probe probe;

  private static String key() {
    return "k-" + UUID.randomUUID();
  }

  private static Principal user(String name) {
    return () -> name;
  }

  private MockHttpServletRequestBuilder createThing(String key) {
    return post("/things")
        .header("Idempotency-Key", "\"" + key + "\"")
        .contentType(MediaType.APPLICATION_JSON)
        .content("{\"name\":\"a\"}");
  }

  @Test
  void showsACompletedEndpointRecordWithoutItsBody() throws Exception {
    String key = key();
    mvc.perform(createThing(key)).andExpect(status().isCreated());

    mvc.perform(get("/actuator/idempotency").param("operation", "things.create").param("key", key))
        .andExpect(status().isOk())
        .andExpect(jsonPath("$.operation").value("things.create"))
        .andExpect(jsonPath("$.state").value("COMPLETED"))
        .andExpect(jsonPath("$.outcome").value("VALUE"))
        .andExpect(jsonPath("$.token").isNumber())
        .andExpect(jsonPath("$.owner").isNotEmpty())
        .andExpect(jsonPath("$.fingerprint").isNotEmpty())
        .andExpect(jsonPath("$.outcomeBytes").value(Matchers.greaterThan(0)))
        .andExpect(jsonPath("$.createdAt").value(Matchers.matchesPattern("\\d{4}-.*Z")))
        .andExpect(jsonPath("$.expiresAt").isNotEmpty())
        .andExpect(jsonPath("$.leaseUntil").doesNotExist())
        .andExpect(jsonPath("$.keySha256").value(Matchers.matchesPattern("[0-9a-f]{64}")))
        .andExpect(jsonPath("$.body").doesNotExist())
        .andExpect(
            content -> assertThat(content.getResponse().getContentAsString()).doesNotContain(key));
  }

  @Test
  void addressesARecordByThePrincipalThatSentTheRequest() throws Exception {
    String key = key();
    mvc.perform(createThing(key).principal(user("alice"))).andExpect(status().isCreated());

    mvc.perform(get("/actuator/idempotency").param("operation", "things.create").param("key", key))
        .andExpect(status().isNotFound());
    mvc.perform(
            get("/actuator/idempotency")
                .param("operation", "things.create")
                .param("key", key)
                .param("principal", "bob"))
        .andExpect(status().isNotFound());
    mvc.perform(
            get("/actuator/idempotency")
                .param("operation", "things.create")
                .param("key", key)
                .param("principal", "alice"))
        .andExpect(status().isOk())
        .andExpect(jsonPath("$.state").value("COMPLETED"));
  }

  @Test
  void showsTheRecordOfAnIdempotentMethodScopedByThePrincipal() throws Exception {
    String reference = "ref-" + UUID.randomUUID();
    mvc.perform(post("/charges/" + reference).principal(user("carol"))).andExpect(status().isOk());

    mvc.perform(
            get("/actuator/idempotency")
                .param("operation", "charges.charge")
                .param("key", reference)
                .param("principal", "carol"))
        .andExpect(status().isOk())
        .andExpect(jsonPath("$.state").value("COMPLETED"))
        .andExpect(jsonPath("$.fingerprint").isNotEmpty());
    mvc.perform(
            get("/actuator/idempotency")
                .param("operation", "charges.charge")
                .param("key", reference)
                .param("scope", "carol"))
        .andExpect(status().isOk());
    mvc.perform(
            get("/actuator/idempotency")
                .param("operation", "charges.charge")
                .param("key", reference))
        .andExpect(status().isNotFound());
  }

  @Test
  void deletingARecordIsAnsweredAndTheNextRequestRunsTheHandlerAgain() throws Exception {
    String key = key();
    mvc.perform(createThing(key)).andExpect(status().isCreated());
    int before = probe.created.get();

    mvc.perform(
            delete("/actuator/idempotency").param("operation", "things.create").param("key", key))
        .andExpect(status().isOk())
        .andExpect(jsonPath("$.deleted").value(true))
        .andExpect(jsonPath("$.keySha256").value(Matchers.matchesPattern("[0-9a-f]{64}")));
    mvc.perform(get("/actuator/idempotency").param("operation", "things.create").param("key", key))
        .andExpect(status().isNotFound());
    mvc.perform(
            delete("/actuator/idempotency").param("operation", "things.create").param("key", key))
        .andExpect(status().isOk())
        .andExpect(jsonPath("$.deleted").value(false));

    mvc.perform(createThing(key))
        .andExpect(status().isCreated())
        .andExpect(header().doesNotExist("Idempotent-Replayed"));
    assertThat(probe.created.get()).isEqualTo(before + 1);
  }

  @Test
  void showsAndDeletesARecordStuckInProgress() throws Exception {
    String key = key();
    CompletableFuture<Throwable> running =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                mvc.perform(post("/things/1/slow").header("Idempotency-Key", "\"" + key + "\""));
                return new AssertionError("the stuck call's result was stored");
              } catch (Exception e) {
                return e;
              }
            });
    assertThat(probe.slowEntered.await(30, TimeUnit.SECONDS)).isTrue();
    try {
      mvc.perform(get("/actuator/idempotency").param("operation", "things.slow").param("key", key))
          .andExpect(status().isOk())
          .andExpect(jsonPath("$.state").value("IN_PROGRESS"))
          .andExpect(jsonPath("$.leaseUntil").isNotEmpty())
          .andExpect(jsonPath("$.outcome").doesNotExist())
          .andExpect(jsonPath("$.outcomeBytes").value(0));
      mvc.perform(
              delete("/actuator/idempotency").param("operation", "things.slow").param("key", key))
          .andExpect(jsonPath("$.deleted").value(true));
    } finally {
      probe.slowRelease.countDown();
    }
    // the stuck caller's completion is fenced: it is refused, and nothing is stored
    assertThat(running.get(30, TimeUnit.SECONDS))
        .isInstanceOf(IdempotencyInProgressException.class);
    mvc.perform(get("/actuator/idempotency").param("operation", "things.slow").param("key", key))
        .andExpect(status().isNotFound());
  }

  @Test
  void refusesInvalidRequestsWith400() throws Exception {
    mvc.perform(get("/actuator/idempotency").param("operation", "bad:name").param("key", "k"))
        .andExpect(status().isBadRequest());
    mvc.perform(get("/actuator/idempotency").param("operation", "things.create").param("key", " "))
        .andExpect(status().isBadRequest());
    mvc.perform(get("/actuator/idempotency").param("operation", "things.create"))
        .andExpect(status().isBadRequest());
  }
}
