package dev.idem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idem.annotation.OnInProgress;
import dev.idem.store.memory.InMemoryIdempotencyStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Running bodies keep their leases, whatever mix of leases runs at once (real time). */
class LeaseRenewalTest {

  private final CountingStore store = new CountingStore(InMemoryIdempotencyStore.create());
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final Idempotency idem =
      Idempotency.of(IdempotencyConfig.builder().store(store).meterRegistry(registry).build());
  private final ExecutorService pool = Executors.newCachedThreadPool();

  @AfterEach
  void tearDown() {
    pool.shutdownNow();
    idem.close();
  }

  private IdempotentOperation<String> op(String name, Duration lease) {
    return idem.operation(name, String.class)
        .lease(lease)
        .onInProgress(OnInProgress.REJECT)
        .build();
  }

  @Test
  void concurrentBodiesWithShortAndLongLeasesAreAllRenewed() throws Exception {
    IdempotentOperation<String> slow = op("slow", Duration.ofSeconds(30));
    IdempotentOperation<String> quick = op("quick", Duration.ofMillis(150));
    CountDownLatch started = new CountDownLatch(9);
    CountDownLatch release = new CountDownLatch(1);
    List<Future<String>> bodies = new ArrayList<>();
    bodies.add(
        pool.submit(
            () ->
                slow.execute(
                    "k",
                    null,
                    () -> {
                      started.countDown();
                      release.await();
                      return "slow";
                    })));
    for (int i = 0; i < 8; i++) {
      String key = "k" + i;
      bodies.add(
          pool.submit(
              () ->
                  quick.execute(
                      key,
                      null,
                      () -> {
                        started.countDown();
                        release.await();
                        return key;
                      })));
    }
    assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
    Thread.sleep(600); // four short leases: without renewal the duplicates below would take over

    for (int i = 0; i < 8; i++) {
      String key = "k" + i;
      assertThatThrownBy(() -> quick.execute(key, null, () -> "duplicate"))
          .isInstanceOf(IdempotencyInProgressException.class);
    }
    release.countDown();
    for (Future<String> body : bodies) {
      body.get(5, TimeUnit.SECONDS);
    }
    assertThat(store.renews.get()).isGreaterThanOrEqualTo(16);
    assertThat(registry.get(IdempotencyMetrics.FENCING_REJECTIONS).counters())
        .allSatisfy(c -> assertThat(c.count()).isZero());
    // a sweep racing a completion may find the claim settled: rejected, not lost
    assertThat(
            registry
                .get(IdempotencyMetrics.STORE_REQUESTS)
                .tags("operation", "renew")
                .timers()
                .stream()
                .mapToLong(t -> t.count())
                .sum())
        .isEqualTo(store.renews.get());
  }

  @Test
  void settledClaimsAreNoLongerRenewed() throws Exception {
    IdempotentOperation<String> quick = op("quick", Duration.ofMillis(60));
    for (int i = 0; i < 50; i++) {
      quick.execute("k" + i, null, () -> "done");
    }
    int renewsAfterSettling = store.renews.get();
    Thread.sleep(200);
    assertThat(store.renews.get()).isEqualTo(renewsAfterSettling);
  }
}
