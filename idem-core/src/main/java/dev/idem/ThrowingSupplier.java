package dev.idem;

/**
 * The body of an idempotent operation: supplies a result and may throw {@code E}. With a lambda
 * that throws no checked exception, {@code E} is inferred as {@link RuntimeException}.
 *
 * @param <T> the result type
 * @param <E> the checked exception the body may throw
 */
@FunctionalInterface
public interface ThrowingSupplier<T, E extends Throwable> {

  /**
   * Runs the body.
   *
   * @return the result
   * @throws E if the body fails
   */
  T get() throws E;
}
