package dev.idem.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idem.Idempotency;
import dev.idem.IdempotencyConfig;
import dev.idem.IdempotentOperation;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class IdempotencyAssertionsTest {

  @Test
  void passesForAnIdempotentCall() {
    AtomicInteger effects = new AtomicInteger();
    try (Idempotency idem = Idempotency.of(IdempotencyConfig.ofDefaults())) {
      IdempotentOperation<String> op = idem.operation("op", String.class).build();
      String result =
          IdempotencyAssertions.assertRunsOnce(
              () -> op.execute("k", "payload", () -> "r" + effects.incrementAndGet()),
              effects::get,
              8);
      assertThat(result).isEqualTo("r1");
    }
  }

  @Test
  void failsForAPlainCall() {
    AtomicInteger effects = new AtomicInteger();
    assertThatThrownBy(
            () ->
                IdempotencyAssertions.assertRunsOnce(
                    () -> {
                      effects.incrementAndGet();
                      return "same";
                    },
                    effects::get,
                    4))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("woven");
  }
}
