package dev.idem.aspect;

import dev.idem.Idempotency;
import dev.idem.annotation.Idempotent;
import java.lang.reflect.Method;
import java.util.Objects;
import org.aspectj.lang.ProceedingJoinPoint;
import org.aspectj.lang.Signature;
import org.aspectj.lang.annotation.Around;
import org.aspectj.lang.annotation.Aspect;
import org.aspectj.lang.reflect.MethodSignature;
import org.jspecify.annotations.Nullable;

/**
 * Runs every execution of an {@link Idempotent @Idempotent} method through {@link Idempotency}.
 * Thin by design: it finds the method, hands the call to the engine and returns.
 *
 * <p>Woven by ajc or the load-time weaver, AspectJ creates the single instance with the no-argument
 * constructor, which uses the instance installed by {@link
 * Idempotency#configure(dev.idem.IdempotencyConfig)}. Spring AOP creates it as a bean with {@link
 * #IdempotentAspect(Idempotency)}.
 */
@Aspect
public class IdempotentAspect {

  private final @Nullable Idempotency idempotency;

  /** Creates the aspect AspectJ instantiates; it uses the globally configured instance. */
  public IdempotentAspect() {
    this.idempotency = null;
  }

  /**
   * Creates the aspect bound to an instance, for Spring AOP and tests.
   *
   * @param idempotency the instance to use
   */
  public IdempotentAspect(Idempotency idempotency) {
    this.idempotency = Objects.requireNonNull(idempotency, "idempotency");
  }

  /**
   * Advises the execution of an {@code @Idempotent} method. Matches method executions only, so a
   * call site and its target are never advised twice.
   *
   * @param joinPoint the method execution
   * @param idempotent the annotation
   * @return the method's result, or the replayed one
   * @throws Throwable what the method threw, a replayed exception, or an Idem exception
   */
  @Around(
      value = "execution(* *(..)) && @annotation(idempotent)",
      argNames = "joinPoint,idempotent")
  public @Nullable Object around(ProceedingJoinPoint joinPoint, Idempotent idempotent)
      throws Throwable {
    Idempotency target = idempotency != null ? idempotency : Idempotency.global();
    return target.invoke(method(joinPoint), joinPoint.getArgs(), joinPoint::proceed);
  }

  private static Method method(ProceedingJoinPoint joinPoint) {
    Signature signature = joinPoint.getSignature();
    if (!(signature instanceof MethodSignature methodSignature)) {
      throw new IllegalStateException("@Idempotent advises methods only, not " + signature);
    }
    return methodSignature.getMethod();
  }
}
