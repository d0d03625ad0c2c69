package dev.idem.spring.mvc;

import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.idem.IdempotencyKeyReuseException;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.web.servlet.AutoConfigureMockMvc;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/** An application's own {@code @ExceptionHandler} for an Idem exception overrides the starter's. */
@SpringBootTest(
    classes = {ProblemsTestApplication.class, ApplicationExceptionHandlerWinsTest.OwnAdvice.class})
@AutoConfigureMockMvc
class ApplicationExceptionHandlerWinsTest {

  @Autowired MockMvc mvc;

  /** The application's advice, with Spring's default order, like most applications write it. */
  @RestControllerAdvice
  static class OwnAdvice {
    @ExceptionHandler(IdempotencyKeyReuseException.class)
    ResponseEntity<String> reuse(IdempotencyKeyReuseException e) {
      return ResponseEntity.status(HttpStatus.CONFLICT).body("own handler: " + e.operation());
    }
  }

  @Test
  void applicationsOwnHandlerWins() throws Exception {
    String order = "o-" + UUID.randomUUID();
    mvc.perform(post("/charges/" + order).param("amount", "10")).andExpect(status().isOk());

    mvc.perform(post("/charges/" + order).param("amount", "99"))
        .andExpect(status().isConflict())
        .andExpect(content().string("own handler: charges.charge"));
  }

  @Test
  void otherIdemExceptionsStillGetTheStartersProblem() throws Exception {
    mvc.perform(post("/charges").param("orderId", " "))
        .andExpect(status().isBadRequest())
        .andExpect(content().contentType("application/problem+json"));
  }
}
