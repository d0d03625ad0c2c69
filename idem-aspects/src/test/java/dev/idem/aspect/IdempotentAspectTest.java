package dev.idem.aspect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import dev.idem.Idempotency;
import dev.idem.IdempotencyConfig;
import dev.idem.IdempotencyConfigurationException;
import dev.idem.annotation.Idempotent;
import java.lang.reflect.Method;
import org.aspectj.lang.ProceedingJoinPoint;
import org.aspectj.lang.reflect.MethodSignature;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The aspect on its own, with a mocked join point: it must only find the method and delegate. */
class IdempotentAspectTest {

  static class Orders {
    @Idempotent(name = "orders.create", key = "#orderId")
    public String create(String orderId) {
      return "created " + orderId;
    }
  }

  private final Idempotency idempotency = Idempotency.of(IdempotencyConfig.ofDefaults());

  @AfterEach
  void tearDown() {
    idempotency.close();
    Idempotency.unconfigure();
  }

  private static ProceedingJoinPoint joinPoint(Object... args) throws Throwable {
    Method method = Orders.class.getMethod("create", String.class);
    MethodSignature signature = mock(MethodSignature.class);
    when(signature.getMethod()).thenReturn(method);
    ProceedingJoinPoint joinPoint = mock(ProceedingJoinPoint.class);
    when(joinPoint.getSignature()).thenReturn(signature);
    when(joinPoint.getArgs()).thenReturn(args);
    when(joinPoint.proceed()).thenReturn("created " + args[0]);
    return joinPoint;
  }

  private static Idempotent annotation() throws NoSuchMethodException {
    return Orders.class.getMethod("create", String.class).getAnnotation(Idempotent.class);
  }

  @Test
  void proceedsOnceAndReplaysForTheSameKey() throws Throwable {
    IdempotentAspect aspect = new IdempotentAspect(idempotency);
    ProceedingJoinPoint joinPoint = joinPoint("o-1");

    assertThat(aspect.around(joinPoint, annotation())).isEqualTo("created o-1");
    assertThat(aspect.around(joinPoint, annotation())).isEqualTo("created o-1");

    verify(joinPoint, times(1)).proceed();
  }

  @Test
  void noArgumentAspectUsesTheGlobalInstance() throws Throwable {
    Idempotency.configure(IdempotencyConfig.ofDefaults());
    ProceedingJoinPoint joinPoint = joinPoint("o-2");
    new IdempotentAspect().around(joinPoint, annotation());
    new IdempotentAspect().around(joinPoint, annotation());
    verify(joinPoint, times(1)).proceed();
  }

  @Test
  void unconfiguredAspectSaysWhatToCall() throws Throwable {
    Idempotency.unconfigure();
    ProceedingJoinPoint joinPoint = joinPoint("o-3");
    assertThatThrownBy(() -> new IdempotentAspect().around(joinPoint, annotation()))
        .isInstanceOf(IdempotencyConfigurationException.class)
        .hasMessageContaining("Idempotency.configure(");
    verify(joinPoint, times(0)).proceed();
  }
}
