package dev.idem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idem.annotation.OnInProgress;
import dev.idem.store.NearCachingStore;
import dev.idem.store.memory.InMemoryIdempotencyStore;
import dev.idem.test.MutableClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The near cache as operations use it: opt-in, replay without a round trip, never stale. */
class NearCacheTest {

  private final MutableClock clock = MutableClock.create();
  private final InMemoryIdempotencyStore memory =
      InMemoryIdempotencyStore.builder().clock(clock).build();
  private final CountingStore store = new CountingStore(memory);
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private final AtomicInteger runs = new AtomicInteger();
  private Idempotency idem =
      Idempotency.of(
          IdempotencyConfig.builder()
              .store(store)
              .clock(clock)
              .meterRegistry(registry)
              .nearCache(NearCacheSettings.of(1_000, Duration.ofHours(1)))
              .build());

  @AfterEach
  void tearDown() {
    pool.shutdownNow();
    idem.close();
  }

  private double calls(String name, String outcome) {
    var counter =
        registry
            .find(IdempotencyMetrics.CALLS)
            .tag(IdempotencyMetrics.TAG_NAME, name)
            .tag(IdempotencyMetrics.TAG_OUTCOME, outcome)
            .counter();
    return counter == null ? 0 : counter.count();
  }

  private String body() {
    return "run-" + runs.incrementAndGet();
  }

  @Test
  void replaysFromTheNearCacheWithoutAStoreRoundTrip() {
    IdempotentOperation<String> op =
        idem.operation("op", String.class).ttl(Duration.ofMinutes(10)).build();
    assertThat(op.execute("k", "payload", this::body)).isEqualTo("run-1");
    assertThat(op.execute("k", "payload", this::body)).isEqualTo("run-1"); // store, then cached
    int claims = store.claims.get();

    for (int i = 0; i < 5; i++) {
      assertThat(op.execute("k", "payload", this::body)).isEqualTo("run-1");
    }

    assertThat(store.claims.get()).isEqualTo(claims);
    assertThat(runs).hasValue(1);
    assertThat(calls("op", "executed")).isEqualTo(1);
    assertThat(calls("op", "replayed")).isEqualTo(1);
    assertThat(calls("op", "replayed_near")).isEqualTo(5);
  }

  @Test
  void nearReplaysStillCheckTheFingerprint() {
    IdempotentOperation<String> op = idem.operation("op", String.class).build();
    op.execute("k", "payload", this::body);
    op.execute("k", "payload", this::body);
    int claims = store.claims.get();

    assertThatThrownBy(() -> op.execute("k", "another payload", this::body))
        .isInstanceOf(IdempotencyKeyReuseException.class);
    assertThat(store.claims.get()).isEqualTo(claims);
    assertThat(runs).hasValue(1);
    assertThat(calls("op", "key_reuse")).isEqualTo(1);
  }

  @Test
  void neverReplaysFromTheCachePastTheRecordsExpiry() {
    IdempotentOperation<String> op =
        idem.operation("op", String.class).ttl(Duration.ofSeconds(10)).build();
    op.execute("k", null, this::body);
    op.execute("k", null, this::body);

    clock.advance(Duration.ofMillis(9_999));
    assertThat(op.execute("k", null, this::body)).isEqualTo("run-1");
    assertThat(calls("op", "replayed_near")).isEqualTo(1);

    clock.advance(Duration.ofMillis(1));
    assertThat(op.execute("k", null, this::body)).isEqualTo("run-2");
    assertThat(calls("op", "replayed_near")).isEqualTo(1);
    assertThat(calls("op", "executed")).isEqualTo(2);
  }

  @Test
  void neverAnswersForAKeyWhoseClaimIsInProgress() throws Exception {
    IdempotentOperation<String> op =
        idem.operation("op", String.class)
            .ttl(Duration.ofSeconds(10))
            .onInProgress(OnInProgress.REJECT)
            .build();
    op.execute("k", null, this::body);
    op.execute("k", null, this::body); // now cached
    clock.advance(Duration.ofSeconds(10)); // the record expires

    // another node (no near cache) claims the expired key and is still running its body
    Idempotency other =
        Idempotency.of(IdempotencyConfig.builder().store(memory).clock(clock).build());
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Future<String> running =
        pool.submit(
            () ->
                other
                    .operation("op", String.class)
                    .ttl(Duration.ofSeconds(10))
                    .build()
                    .execute(
                        "k",
                        null,
                        () -> {
                          started.countDown();
                          release.await();
                          return "other node";
                        }));
    started.await();

    assertThatThrownBy(() -> op.execute("k", null, this::body))
        .isInstanceOf(IdempotencyInProgressException.class);
    release.countDown();
    assertThat(running.get(5, TimeUnit.SECONDS)).isEqualTo("other node");
    assertThat(op.execute("k", null, this::body)).isEqualTo("other node");
    assertThat(runs).hasValue(1);
    other.close();
  }

  @Test
  void operationsCanOptOutOfTheConfiguredNearCache() {
    IdempotentOperation<String> op = idem.operation("op", String.class).nearCache(false).build();
    op.execute("k", null, this::body);
    for (int i = 0; i < 3; i++) {
      op.execute("k", null, this::body);
    }
    assertThat(store.claims).hasValue(4);
    assertThat(calls("op", "replayed")).isEqualTo(3);
    assertThat(calls("op", "replayed_near")).isZero();
  }

  @Test
  void withoutConfigurationOnlyOperationsThatOptInUseIt() {
    idem.close();
    idem =
        Idempotency.of(
            IdempotencyConfig.builder()
                .store(store)
                .clock(clock)
                .meterRegistry(registry)
                .policy("hot", IdempotencyPolicy.builder().nearCache(true).build())
                .build());
    IdempotentOperation<String> plain = idem.operation("plain", String.class).build();
    IdempotentOperation<String> hot = idem.operation("hot", String.class).policy("hot").build();
    for (int i = 0; i < 4; i++) {
      plain.execute("k", null, this::body);
      hot.execute("k", null, this::body);
    }
    assertThat(calls("plain", "replayed")).isEqualTo(3);
    assertThat(calls("plain", "replayed_near")).isZero();
    assertThat(calls("hot", "replayed")).isEqualTo(1);
    assertThat(calls("hot", "replayed_near")).isEqualTo(2);
  }

  @Test
  void aNearCachingStoreGivenAsTheStoreIsUsedAndCounted() {
    idem.close();
    NearCachingStore wrapped = NearCachingStore.wrap(store, 100, Duration.ofMinutes(1), clock);
    idem =
        Idempotency.of(
            IdempotencyConfig.builder()
                .store(wrapped)
                .clock(clock)
                .meterRegistry(registry)
                .build());
    IdempotentOperation<String> op = idem.operation("op", String.class).build();
    for (int i = 0; i < 4; i++) {
      op.execute("k", null, this::body);
    }
    assertThat(calls("op", "replayed_near")).isEqualTo(2);
    assertThat(store.claims).hasValue(2);
    assertThat(wrapped.estimatedSize()).isEqualTo(1);
  }

  @Test
  void nearCacheOnBothTheStoreAndTheConfigurationIsAConflict() {
    NearCachingStore wrapped = NearCachingStore.wrap(store, 100, Duration.ofMinutes(1), clock);
    assertThatThrownBy(
            () ->
                IdempotencyConfig.builder()
                    .store(wrapped)
                    .nearCache(NearCacheSettings.ofDefaults())
                    .build())
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void configurationTurnsNearCachingOnInItsDefaults() {
    assertThat(IdempotencyConfig.ofDefaults().defaults().nearCache()).contains(false);
    assertThat(idem.config().defaults().nearCache()).contains(true);
    assertThat(idem.config().nearCache())
        .contains(NearCacheSettings.of(1_000, Duration.ofHours(1)));
  }
}
