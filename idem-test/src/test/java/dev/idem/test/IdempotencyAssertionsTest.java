package dev.idem.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idem.Idempotency;
import dev.idem.IdempotencyConfig;
import dev.idem.IdempotentOperation;
import dev.idem.annotation.Idempotent;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class IdempotencyAssertionsTest {

  /** Compiled by javac only, like every class of this test module: not woven. */
  static class UnwovenService {
    @Idempotent(name = "unwoven.charge", key = "#orderId")
    public String charge(String orderId) {
      return orderId;
    }
  }

  @Test
  void assertWovenFailsForAJavacOnlyClassSayingHowToWeave() {
    assertThatThrownBy(() -> IdempotencyAssertions.assertWoven(UnwovenService.class))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("UnwovenService.charge(String)")
        .hasMessageContaining("not woven")
        .hasMessageContaining("process-classes")
        .hasMessageContaining("aspectj-maven-plugin")
        .hasMessageContaining("-javaagent:aspectjweaver.jar");
  }

  @Test
  void assertWovenFailsForAClassWithoutIdempotentMethods() {
    assertThatThrownBy(() -> IdempotencyAssertions.assertWoven(String.class))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("java.lang.String declares no @Idempotent method");
  }

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
