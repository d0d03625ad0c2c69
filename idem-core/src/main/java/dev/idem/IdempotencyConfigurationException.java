package dev.idem;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * Idem is misused: an {@code @Idempotent} method whose expressions do not parse, whose durations
 * are invalid, whose return type cannot be replayed, or an aspect used before {@link
 * Idempotency#configure(IdempotencyConfig)}. Raised when the method is first validated, before its
 * body ever runs, with a message naming the method and saying how to fix it.
 */
public final class IdempotencyConfigurationException extends IdempotencyException {

  private IdempotencyConfigurationException(String message, @Nullable Throwable cause) {
    super(null, message, cause);
  }

  /**
   * Creates the exception for a misconfigured method.
   *
   * @param method the method, as {@link #describe(Method)} names it
   * @param problem what is wrong and how to fix it
   * @return the exception
   */
  public static IdempotencyConfigurationException forMethod(String method, String problem) {
    return new IdempotencyConfigurationException(
        "Invalid @Idempotent method " + method + ": " + problem, null);
  }

  /**
   * Creates the exception for a misconfigured method, with a cause.
   *
   * @param method the method, as {@link #describe(Method)} names it
   * @param problem what is wrong and how to fix it
   * @param cause the underlying failure
   * @return the exception
   */
  public static IdempotencyConfigurationException forMethod(
      String method, String problem, Throwable cause) {
    return new IdempotencyConfigurationException(
        "Invalid @Idempotent method " + method + ": " + problem + " (" + cause + ")", cause);
  }

  /**
   * Returns how these exceptions name a method: {@code pkg.Class.method(ParamType, ...)}, the form
   * integrations pass to {@link #forMethod(String, String)}.
   *
   * @param method the method
   * @return the description
   */
  public static String describe(Method method) {
    return method.getDeclaringClass().getName()
        + "."
        + method.getName()
        + Arrays.stream(method.getParameterTypes())
            .map(Class::getSimpleName)
            .collect(Collectors.joining(", ", "(", ")"));
  }

  /**
   * Creates the exception for a problem not tied to one method.
   *
   * @param message what is wrong and how to fix it
   * @return the exception
   */
  public static IdempotencyConfigurationException of(String message) {
    return new IdempotencyConfigurationException(message, null);
  }

  @Override
  public int httpStatus() {
    return 500;
  }
}
