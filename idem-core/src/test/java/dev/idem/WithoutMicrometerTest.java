package dev.idem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idem.annotation.Idempotent;
import dev.idem.annotation.OnInProgress;
import dev.idem.store.memory.InMemoryIdempotencyStore;
import dev.idem.test.MutableClock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Micrometer is optional: the engine runs every path of a call with no Micrometer class on the
 * class path. Surefire's {@code without-micrometer} execution (idem-core/pom.xml) runs this class
 * with {@code io.micrometer} removed from the test class path, so a core class that touched
 * Micrometer here would fail with {@link NoClassDefFoundError}; the default execution, where
 * Micrometer is present, skips it.
 */
@EnabledIfSystemProperty(named = "idem.test.withoutMicrometer", matches = "true")
class WithoutMicrometerTest {

  private final MutableClock clock = MutableClock.create();
  private final CountingStore store =
      new CountingStore(InMemoryIdempotencyStore.builder().clock(clock).build());
  private final List<IdempotentCall.Outcome> outcomes = new CopyOnWriteArrayList<>();
  private final Idempotency idem =
      Idempotency.of(
          IdempotencyConfig.builder()
              .store(store)
              .clock(clock)
              .policy("open", IdempotencyPolicy.builder().failOpen(true).build())
              .listener(call -> outcomes.add(call.outcome()))
              .build());
  private final ExecutorService pool = Executors.newCachedThreadPool();

  @AfterEach
  void tearDown() {
    pool.shutdownNow();
    idem.close();
  }

  @Test
  void micrometerIsNotOnTheClassPath() {
    assertThatThrownBy(() -> Class.forName("io.micrometer.core.instrument.MeterRegistry"))
        .isInstanceOf(ClassNotFoundException.class);
    assertThat(idem.config().meterRegistry()).isEmpty();
  }

  @Test
  void executesReplaysAndRefusesCalls() {
    IdempotentOperation<String> op =
        idem.operation("op", String.class).replayOn(IllegalStateException.class).build();
    assertThat(op.execute("k", "a", () -> "first")).isEqualTo("first");
    assertThat(op.execute("k", "a", () -> "second")).isEqualTo("first");
    assertThatThrownBy(() -> op.execute("k", "b", () -> "other"))
        .isInstanceOf(IdempotencyKeyReuseException.class);
    assertThatThrownBy(() -> op.execute("f", null, () -> fail("declined")))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> op.execute("f", null, () -> "retry"))
        .isInstanceOf(IllegalStateException.class);
    assertThat(idem.admin().delete("op", "k")).isTrue();

    assertThat(outcomes)
        .containsExactly(
            IdempotentCall.Outcome.EXECUTED,
            IdempotentCall.Outcome.REPLAYED,
            IdempotentCall.Outcome.KEY_REUSE,
            IdempotentCall.Outcome.FAILED,
            IdempotentCall.Outcome.REPLAYED);
  }

  @Test
  void waitsForRejectsAndTakesOverRunningCalls() throws Exception {
    IdempotentOperation<String> op =
        idem.operation("op", String.class).lease(Duration.ofHours(1)).build();
    IdempotentOperation<String> rejecting =
        idem.operation("op", String.class).onInProgress(OnInProgress.REJECT).build();
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
                      return "first";
                    }));
    started.await();
    assertThatThrownBy(() -> rejecting.execute("k", null, () -> "dup"))
        .isInstanceOf(IdempotencyInProgressException.class);
    clock.advance(Duration.ofHours(2));
    assertThat(op.execute("k", null, () -> "took over")).isEqualTo("took over");
    release.countDown();
    assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo("took over");

    Future<String> waiting = pool.submit(() -> op.execute("w", null, this::slowly));
    assertThat(op.execute("w", null, this::slowly)).isEqualTo("slow");
    assertThat(waiting.get(5, TimeUnit.SECONDS)).isEqualTo("slow");
  }

  private String slowly() throws InterruptedException {
    Thread.sleep(50);
    return "slow";
  }

  @Test
  void settlesAsynchronousResultsServesTheNearCacheAndFailsOpen() throws Exception {
    IdempotentOperation<CompletionStage<String>> async =
        idem.operation("async", new ResultType<CompletionStage<String>>() {}).build();
    CompletableFuture<String> pending = new CompletableFuture<>();
    CompletionStage<String> result = async.execute("k", null, () -> pending);
    pending.complete("done");
    assertThat(result.toCompletableFuture().get(5, TimeUnit.SECONDS)).isEqualTo("done");

    IdempotentOperation<String> hot = idem.operation("hot", String.class).nearCache(true).build();
    hot.execute("k", null, () -> "cached");
    hot.execute("k", null, () -> "cached");
    assertThat(hot.execute("k", null, () -> "again")).isEqualTo("cached");

    store.down.set(true);
    IdempotentOperation<String> open = idem.operation("open", String.class).policy("open").build();
    assertThat(open.execute("k", null, () -> "unprotected")).isEqualTo("unprotected");
    IdempotentOperation<String> closed = idem.operation("closed", String.class).build();
    assertThatThrownBy(() -> closed.execute("k", null, () -> "never"))
        .isInstanceOf(IdempotencyStoreException.class);

    assertThat(outcomes)
        .containsExactly(
            IdempotentCall.Outcome.EXECUTED,
            IdempotentCall.Outcome.EXECUTED,
            IdempotentCall.Outcome.REPLAYED,
            IdempotentCall.Outcome.REPLAYED_NEAR,
            IdempotentCall.Outcome.EXECUTED,
            IdempotentCall.Outcome.STORE_ERROR);
  }

  @Test
  void runsAnnotatedMethods() throws Throwable {
    class Service {
      @Idempotent(name = "svc.run", key = "#id")
      String run(String id) {
        return "ran " + id;
      }
    }
    Service service = new Service();
    var method = Service.class.getDeclaredMethod("run", String.class);
    for (int i = 0; i < 2; i++) {
      assertThat(idem.invoke(method, new Object[] {"a"}, () -> service.run("a")))
          .isEqualTo("ran a");
    }
    assertThat(outcomes)
        .containsExactly(IdempotentCall.Outcome.EXECUTED, IdempotentCall.Outcome.REPLAYED);
  }

  private static String fail(String message) {
    throw new IllegalStateException(message);
  }
}
