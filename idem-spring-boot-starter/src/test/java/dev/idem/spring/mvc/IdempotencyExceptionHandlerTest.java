package dev.idem.spring.mvc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.web.servlet.AutoConfigureMockMvc;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.MockMvc;

/** Idem exceptions thrown by {@code @Idempotent} service methods become HTTP problems. */
@SpringBootTest(classes = ProblemsTestApplication.class)
@AutoConfigureMockMvc
class IdempotencyExceptionHandlerTest {

  @Autowired MockMvc mvc;
  @Autowired ProblemsTestApplication.Charges charges;
  @Autowired ProblemsTestApplication.SwitchableStore store;

  private static String order() {
    return "o-" + UUID.randomUUID();
  }

  @Test
  void keyReuseIs422Problem() throws Exception {
    String order = order();
    mvc.perform(post("/charges/" + order).param("amount", "10")).andExpect(status().isOk());

    mvc.perform(post("/charges/" + order).param("amount", "99"))
        .andExpect(status().isUnprocessableEntity())
        .andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
        .andExpect(jsonPath("$.status").value(422))
        .andExpect(jsonPath("$.title").value("Unprocessable Entity"))
        .andExpect(jsonPath("$.operation").value("charges.charge"))
        .andExpect(jsonPath("$.instance").value("/charges/" + order))
        .andExpect(jsonPath("$.detail").isString());
  }

  @Test
  void inProgressIs409ProblemWithRetryAfter() throws Exception {
    String order = order();
    ProblemsTestApplication.Charges.slowEntered = new CountDownLatch(1);
    ProblemsTestApplication.Charges.slowRelease = new CountDownLatch(1);
    CompletableFuture<String> first =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return charges.slow(order);
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
            });
    try {
      assertThat(ProblemsTestApplication.Charges.slowEntered.await(10, TimeUnit.SECONDS)).isTrue();
      mvc.perform(post("/slow/" + order))
          .andExpect(status().isConflict())
          .andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
          .andExpect(
              header().string("Retry-After", org.hamcrest.Matchers.matchesRegex("[1-9]\\d*")))
          .andExpect(jsonPath("$.status").value(409))
          .andExpect(jsonPath("$.operation").value("charges.slow"));
    } finally {
      ProblemsTestApplication.Charges.slowRelease.countDown();
    }
    assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo(order);
  }

  @Test
  void storeOutageIs503Problem() throws Exception {
    store.down = true;
    try {
      mvc.perform(post("/charges/" + order()).param("amount", "10"))
          .andExpect(status().isServiceUnavailable())
          .andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
          .andExpect(jsonPath("$.status").value(503))
          .andExpect(jsonPath("$.title").value("Service Unavailable"))
          .andExpect(
              jsonPath("$.detail")
                  .value("The idempotency store is unavailable; the request was not processed"));
    } finally {
      store.down = false;
    }
  }

  @Test
  void invalidKeyIs400Problem() throws Exception {
    mvc.perform(post("/charges").param("orderId", "  "))
        .andExpect(status().isBadRequest())
        .andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
        .andExpect(jsonPath("$.status").value(400))
        .andExpect(jsonPath("$.operation").value("charges.charge"));
  }
}
