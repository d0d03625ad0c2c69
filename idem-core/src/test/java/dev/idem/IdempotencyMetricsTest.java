package dev.idem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idem.annotation.OnInProgress;
import dev.idem.spi.ClaimResult;
import dev.idem.store.memory.InMemoryIdempotencyStore;
import dev.idem.test.MutableClock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every outcome, wait, store round trip and incident is counted once, with safe tags only. */
class IdempotencyMetricsTest {

  private static final String SECRET_KEY = "customer-4242-4242";

  private final MutableClock clock = MutableClock.create();
  private final CountingStore store =
      new CountingStore(InMemoryIdempotencyStore.builder().clock(clock).build());
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final Idempotency idem =
      Idempotency.of(
          IdempotencyConfig.builder().store(store).clock(clock).meterRegistry(registry).build());
  private final ExecutorService pool = Executors.newCachedThreadPool();

  @AfterEach
  void tearDown() {
    pool.shutdownNow();
    idem.close();
  }

  private double calls(String name, String outcome) {
    Counter counter =
        registry
            .find(IdempotencyMetrics.CALLS)
            .tag(IdempotencyMetrics.TAG_NAME, name)
            .tag(IdempotencyMetrics.TAG_OUTCOME, outcome)
            .counter();
    return counter == null ? 0 : counter.count();
  }

  private long durations(String name, String outcome) {
    Timer timer =
        registry
            .find(IdempotencyMetrics.CALL_DURATION)
            .tag(IdempotencyMetrics.TAG_NAME, name)
            .tag(IdempotencyMetrics.TAG_OUTCOME, outcome)
            .timer();
    return timer == null ? 0 : timer.count();
  }

  /** Waits, at most 20 seconds, until the store has been asked {@code atLeast} such requests. */
  private void awaitStoreRequests(String operation, String result, long atLeast)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (storeRequests(operation, result) < atLeast) {
      assertThat(System.nanoTime())
          .as("%s requests with result %s reached %d within 20 s", operation, result, atLeast)
          .isLessThan(deadline);
      Thread.sleep(5);
    }
  }

  private long storeRequests(String operation, String result) {
    Timer timer =
        registry
            .find(IdempotencyMetrics.STORE_REQUESTS)
            .tag(IdempotencyMetrics.TAG_STORE, "counting")
            .tag(IdempotencyMetrics.TAG_OPERATION, operation)
            .tag(IdempotencyMetrics.TAG_RESULT, result)
            .timer();
    return timer == null ? 0 : timer.count();
  }

  private long waits(String name, String result) {
    Timer timer =
        registry
            .find(IdempotencyMetrics.WAIT)
            .tag(IdempotencyMetrics.TAG_NAME, name)
            .tag(IdempotencyMetrics.TAG_RESULT, result)
            .timer();
    return timer == null ? 0 : timer.count();
  }

  private double counter(String meter, String name) {
    Counter counter = registry.find(meter).tag(IdempotencyMetrics.TAG_NAME, name).counter();
    return counter == null ? 0 : counter.count();
  }

  private double totalCalls() {
    return registry.find(IdempotencyMetrics.CALLS).counters().stream()
        .mapToDouble(Counter::count)
        .sum();
  }

  @Test
  void countsExecutionsAndReplays() {
    IdempotentOperation<String> op = idem.operation("op", String.class).build();
    op.execute(SECRET_KEY, "p", () -> "r");
    op.execute(SECRET_KEY, "p", () -> "r");
    op.execute(SECRET_KEY, "p", () -> "r");

    assertThat(calls("op", "executed")).isEqualTo(1);
    assertThat(calls("op", "replayed")).isEqualTo(2);
    assertThat(durations("op", "executed")).isEqualTo(1);
    assertThat(durations("op", "replayed")).isEqualTo(2);
    assertThat(totalCalls()).isEqualTo(3);
    assertThat(storeRequests("claim", "acquired")).isEqualTo(1);
    assertThat(storeRequests("claim", "completed")).isEqualTo(2);
    assertThat(storeRequests("complete", "applied")).isEqualTo(1);
  }

  @Test
  void replayedExceptionsCountAsReplays() {
    IdempotentOperation<String> op =
        idem.operation("op", String.class).replayOn(IllegalStateException.class).build();
    for (int i = 0; i < 3; i++) {
      assertThatThrownBy(
              () ->
                  op.execute(
                      "k",
                      null,
                      () -> {
                        throw new IllegalStateException("declined");
                      }))
          .isInstanceOf(IllegalStateException.class);
    }
    assertThat(calls("op", "failed")).isEqualTo(1);
    assertThat(calls("op", "replayed")).isEqualTo(2);
    assertThat(storeRequests("complete", "applied")).isEqualTo(1);
  }

  @Test
  void countsFailuresAndTheirReleases() {
    IdempotentOperation<String> op = idem.operation("op", String.class).build();
    for (int i = 0; i < 2; i++) {
      assertThatThrownBy(
              () ->
                  op.execute(
                      "k",
                      null,
                      () -> {
                        throw new IllegalArgumentException("boom");
                      }))
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThat(calls("op", "failed")).isEqualTo(2);
    assertThat(storeRequests("release", "applied")).isEqualTo(2);
    assertThat(totalCalls()).isEqualTo(2);
  }

  @Test
  void countsKeyReuse() {
    IdempotentOperation<String> op = idem.operation("op", String.class).build();
    op.execute("k", "a", () -> "r");
    assertThatThrownBy(() -> op.execute("k", "b", () -> "r"))
        .isInstanceOf(IdempotencyKeyReuseException.class);
    assertThat(calls("op", "key_reuse")).isEqualTo(1);
    assertThat(totalCalls()).isEqualTo(2);
  }

  @Test
  void countsRejectedAndTimedOutDuplicatesAndWaits() throws Exception {
    IdempotentOperation<String> waiting =
        idem.operation("op", String.class).waitTimeout(Duration.ofMillis(50)).build();
    IdempotentOperation<String> rejecting =
        idem.operation("op", String.class).onInProgress(OnInProgress.REJECT).build();
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Future<String> first =
        pool.submit(
            () ->
                waiting.execute(
                    "k",
                    null,
                    () -> {
                      started.countDown();
                      release.await();
                      return "first";
                    }));
    started.await();

    assertThatThrownBy(() -> rejecting.execute("k", null, () -> "dup"))
        .isInstanceOf(IdempotencyInProgressException.class);
    assertThatThrownBy(() -> waiting.execute("k", null, () -> "dup"))
        .isInstanceOf(IdempotencyInProgressException.class);
    assertThat(calls("op", "in_progress_rejected")).isEqualTo(2);
    assertThat(waits("op", "timed_out")).isEqualTo(1);
    assertThat(storeRequests("claim", "in_progress")).isGreaterThanOrEqualTo(3);

    IdempotentOperation<String> patient =
        idem.operation("op", String.class).waitTimeout(Duration.ofSeconds(10)).build();
    long inProgressClaims = storeRequests("claim", "in_progress");
    Future<String> waiter = pool.submit(() -> patient.execute("k", null, () -> "dup"));
    awaitStoreRequests("claim", "in_progress", inProgressClaims + 2); // the waiter is waiting
    release.countDown();
    assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo("first");
    assertThat(waiter.get(5, TimeUnit.SECONDS)).isEqualTo("first");
    assertThat(waits("op", "completed")).isEqualTo(1);
    assertThat(calls("op", "executed")).isEqualTo(1);
    assertThat(calls("op", "replayed")).isEqualTo(1);
  }

  @Test
  void aWaiterThatRunsTheBodyItselfIsCountedAsAcquired() throws Exception {
    IdempotentOperation<String> op = idem.operation("op", String.class).build();
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Future<String> first =
        pool.submit(
            () ->
                op.execute(
                    "k",
                    null,
                    () -> {
                      started.countDown();
                      release.await();
                      throw new IllegalStateException("first failed");
                    }));
    started.await();
    Future<String> waiter = pool.submit(() -> op.execute("k", null, () -> "waiter ran"));
    awaitStoreRequests("claim", "in_progress", 2);
    release.countDown();
    assertThatThrownBy(() -> first.get(5, TimeUnit.SECONDS))
        .hasCauseInstanceOf(IllegalStateException.class);
    assertThat(waiter.get(5, TimeUnit.SECONDS)).isEqualTo("waiter ran");
    assertThat(waits("op", "acquired")).isEqualTo(1);
    assertThat(calls("op", "failed")).isEqualTo(1);
    assertThat(calls("op", "executed")).isEqualTo(1);
  }

  @Test
  void countsStoreErrorsAndFailOpen() {
    IdempotentOperation<String> closed = idem.operation("closed", String.class).build();
    store.down.set(true);
    assertThatThrownBy(() -> closed.execute("k", null, () -> "r"))
        .isInstanceOf(IdempotencyStoreException.class);
    assertThat(calls("closed", "store_error")).isEqualTo(1);
    assertThat(storeRequests("claim", "error")).isEqualTo(1);

    Idempotency open =
        Idempotency.of(
            IdempotencyConfig.builder()
                .store(store)
                .clock(clock)
                .meterRegistry(registry)
                .defaults(IdempotencyPolicy.builder().failOpen(true).build())
                .build());
    assertThat(open.operation("open", String.class).build().execute("k", null, () -> "ran"))
        .isEqualTo("ran");
    open.close();
    assertThat(counter(IdempotencyMetrics.FAIL_OPEN, "open")).isEqualTo(1);
    assertThat(calls("open", "executed")).isEqualTo(1);
    assertThat(calls("open", "store_error")).isZero();
  }

  @Test
  void countsTakeoversAndFencingRejections() throws Exception {
    IdempotentOperation<String> op =
        idem.operation("op", String.class).lease(Duration.ofHours(1)).build();
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Future<String> stale =
        pool.submit(
            () ->
                op.execute(
                    "k",
                    null,
                    () -> {
                      started.countDown();
                      release.await();
                      return "stale";
                    }));
    started.await();
    clock.advance(Duration.ofHours(2));
    assertThat(op.execute("k", null, () -> "new owner")).isEqualTo("new owner");
    release.countDown();
    assertThat(stale.get(5, TimeUnit.SECONDS)).isEqualTo("new owner");

    assertThat(counter(IdempotencyMetrics.TAKEOVERS, "op")).isEqualTo(1);
    assertThat(counter(IdempotencyMetrics.FENCING_REJECTIONS, "op")).isEqualTo(1);
    assertThat(storeRequests("complete", "rejected")).isEqualTo(1);
    assertThat(storeRequests("complete", "applied")).isEqualTo(1);
    // the fenced caller got the new owner's result: one execution stored, one replay
    assertThat(calls("op", "executed")).isEqualTo(1);
    assertThat(calls("op", "replayed")).isEqualTo(1);
  }

  @Test
  void asyncCallsAreCountedWhenTheirFutureCompletes() {
    IdempotentOperation<CompletionStage<String>> op =
        idem.operation("async", new ResultType<CompletionStage<String>>() {}).build();
    CompletableFuture<String> pending = new CompletableFuture<>();
    CompletionStage<String> result = op.execute("k", null, () -> pending);
    assertThat(calls("async", "executed")).isZero();
    pending.complete("done");
    assertThat(result.toCompletableFuture().join()).isEqualTo("done");
    assertThat(calls("async", "executed")).isEqualTo(1);
  }

  @Test
  void annotatedMethodsAreCountedUnderTheirName() throws Throwable {
    class Service {
      @dev.idem.annotation.Idempotent(name = "svc.run", key = "#id")
      String run(String id) {
        return "ran " + id;
      }
    }
    Service service = new Service();
    var method = Service.class.getDeclaredMethod("run", String.class);
    for (int i = 0; i < 2; i++) {
      idem.invoke(method, new Object[] {"a"}, () -> service.run("a"));
    }
    assertThat(calls("svc.run", "executed")).isEqualTo(1);
    assertThat(calls("svc.run", "replayed")).isEqualTo(1);
  }

  @Test
  void tagsCarryNamesAndFixedValuesOnlyNeverKeys() {
    IdempotentOperation<String> op = idem.operation("op", String.class).build();
    op.execute(SECRET_KEY, SECRET_KEY, () -> "r");
    op.execute(SECRET_KEY, SECRET_KEY, () -> "r");
    assertThatThrownBy(() -> op.execute(SECRET_KEY, "other", () -> "r"))
        .isInstanceOf(IdempotencyKeyReuseException.class);

    Set<String> tagKeys =
        Set.of(
            IdempotencyMetrics.TAG_NAME,
            IdempotencyMetrics.TAG_OUTCOME,
            IdempotencyMetrics.TAG_STORE,
            IdempotencyMetrics.TAG_OPERATION,
            IdempotencyMetrics.TAG_RESULT);
    for (Meter meter : registry.getMeters()) {
      assertThat(meter.getId().getName()).startsWith("idem.");
      for (Tag tag : meter.getId().getTags()) {
        assertThat(tag.getKey()).isIn(tagKeys);
        assertThat(tag.getValue()).doesNotContain("customer").doesNotContain("4242");
      }
    }
    Set<String> names =
        registry.getMeters().stream().map(m -> m.getId().getName()).collect(Collectors.toSet());
    assertThat(names)
        .contains(
            IdempotencyMetrics.CALLS,
            IdempotencyMetrics.CALL_DURATION,
            IdempotencyMetrics.STORE_REQUESTS,
            IdempotencyMetrics.WAIT,
            IdempotencyMetrics.TAKEOVERS,
            IdempotencyMetrics.FENCING_REJECTIONS,
            IdempotencyMetrics.FAIL_OPEN);
  }

  @Test
  void withoutARegistryNothingIsRegisteredAnywhere() {
    SimpleMeterRegistry unused = new SimpleMeterRegistry();
    Idempotency plain = Idempotency.of(IdempotencyConfig.builder().clock(clock).build());
    IdempotentOperation<String> op = plain.operation("op", String.class).build();
    op.execute("k", null, () -> "r");
    op.execute("k", null, () -> "r");
    plain.close();
    assertThat(unused.getMeters()).isEmpty();
    assertThat(io.micrometer.core.instrument.Metrics.globalRegistry.getMeters())
        .noneMatch(m -> m.getId().getName().startsWith("idem."));
    assertThat(plain.config().meterRegistry()).isEmpty();
  }

  @Test
  void storeRequestsOfTheInitialClaimAreTimed() {
    assertThat(store.claim("idem:op:x", null, "me", Duration.ofSeconds(30), Duration.ofHours(1)))
        .isInstanceOf(ClaimResult.Acquired.class);
    IdempotentOperation<String> op =
        idem.operation("op", String.class).onInProgress(OnInProgress.REJECT).build();
    assertThatThrownBy(() -> op.execute("x", null, () -> "r"))
        .isInstanceOf(IdempotencyInProgressException.class);
    assertThat(storeRequests("claim", "in_progress")).isEqualTo(1);
  }
}
