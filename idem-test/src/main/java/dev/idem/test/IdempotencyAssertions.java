package dev.idem.test;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idem.Idempotency;
import dev.idem.IdempotencyConfigurationException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Assertions an application runs against its own {@code @Idempotent} methods, to prove in its build
 * that they are woven and configured: the effect happens once however the call is repeated.
 *
 * <pre>{@code
 * IdempotencyAssertions.assertRunsOnce(
 *     () -> service.charge(cmd),        // the same request, every time
 *     gateway::chargeCount,             // how many times the effect happened so far
 *     8);                               // concurrent duplicates
 * }</pre>
 */
public final class IdempotencyAssertions {

  private IdempotencyAssertions() {}

  /**
   * Asserts that every {@code @Idempotent} method of the given classes was woven by AspectJ — by
   * ajc at build time (the {@code aspectj-maven-plugin} runs in Maven's {@code process-classes}
   * phase) or by the load-time weaver. A class compiled by javac alone (an IDE build that does not
   * delegate to Maven, {@code mvn compile exec:java}) runs its annotated methods unprotected and
   * without any error; this assertion makes such a build fail its tests instead.
   *
   * <pre>{@code
   * @Test
   * void servicesAreWoven() {
   *   IdempotencyAssertions.assertWoven(PaymentService.class, RefundService.class);
   * }
   * }</pre>
   *
   * @param classes the classes declaring {@code @Idempotent} methods
   * @throws AssertionError listing every method that was not woven, with how to weave it, and every
   *     class that declares no {@code @Idempotent} method
   * @see Idempotency#verifyWoven(Class[])
   */
  public static void assertWoven(Class<?>... classes) {
    try {
      Idempotency.verifyWoven(classes);
    } catch (IdempotencyConfigurationException e) {
      throw new AssertionError(e.getMessage(), e);
    }
  }

  /**
   * Calls {@code request} twice in a row and then {@code concurrentCallers} times at once, and
   * asserts that the effect counter moved by exactly one and every call returned an equal result.
   *
   * @param request one call of the method under test, with a fixed key and payload
   * @param effects reads how many times the method's effect happened (rows written, messages sent,
   *     gateway calls)
   * @param concurrentCallers how many duplicates to send at once; at least 2
   * @param <T> the result type
   * @return the result every caller got
   * @throws AssertionError if the effect happened more than once or results differ
   */
  public static <T> @Nullable T assertRunsOnce(
      Callable<T> request, IntSupplier effects, int concurrentCallers) {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(effects, "effects");
    if (concurrentCallers < 2) {
      throw new IllegalArgumentException("concurrentCallers must be at least 2");
    }
    int before = effects.getAsInt();
    T first = call(request);
    T retry = call(request);
    assertThat(retry).as("result of a sequential retry").isEqualTo(first);

    ExecutorService pool = Executors.newFixedThreadPool(concurrentCallers);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<T>> calls = new ArrayList<>();
      for (int i = 0; i < concurrentCallers; i++) {
        calls.add(
            pool.submit(
                () -> {
                  start.await();
                  return request.call();
                }));
      }
      start.countDown();
      for (Future<T> call : calls) {
        assertThat(call.get(60, TimeUnit.SECONDS))
            .as("result of a concurrent duplicate")
            .isEqualTo(first);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new AssertionError("a duplicate call failed", e);
    } finally {
      pool.shutdownNow();
    }
    assertThat(effects.getAsInt() - before)
        .as(
            "effects of %d calls with the same key (is the method woven and Idem configured?)",
            concurrentCallers + 2)
        .isEqualTo(1);
    return first;
  }

  private static <T> T call(Callable<T> request) {
    try {
      return request.call();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new AssertionError("the call failed", e);
    }
  }
}
