package dev.idem.internal.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idem.IdempotencyInProgressException;
import dev.idem.IdempotencyMetrics;
import dev.idem.spi.ClaimResult;
import dev.idem.spi.ForwardingIdempotencyStore;
import dev.idem.spi.IdempotencyStore;
import dev.idem.spi.Outcome;
import dev.idem.store.memory.InMemoryIdempotencyStore;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** Every round trip of the engine's four store operations is timed once, by its result. */
class MeteredStoreTest {

  private static final Duration LEASE = Duration.ofSeconds(30);
  private static final Duration TTL = Duration.ofHours(1);

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final AtomicReference<@Nullable RuntimeException> failure = new AtomicReference<>();
  private final IdempotencyStore memory = InMemoryIdempotencyStore.create();
  private final MeteredStore store = new MeteredStore(new Failing(memory), registry);

  /** Throws {@link #failure} from every operation while it is set. */
  private final class Failing extends ForwardingIdempotencyStore {
    Failing(IdempotencyStore delegate) {
      super(delegate);
    }

    private void check() {
      RuntimeException e = failure.get();
      if (e != null) {
        throw e;
      }
    }

    @Override
    public String name() {
      return "failing";
    }

    @Override
    public ClaimResult claim(
        String key, @Nullable String fingerprint, String owner, Duration lease, Duration ttl) {
      check();
      return super.claim(key, fingerprint, owner, lease, ttl);
    }

    @Override
    public boolean complete(String key, long token, Outcome outcome, Duration ttl) {
      check();
      return super.complete(key, token, outcome, ttl);
    }

    @Override
    public boolean release(String key, long token) {
      check();
      return super.release(key, token);
    }

    @Override
    public boolean renew(String key, long token, Duration lease) {
      check();
      return super.renew(key, token, lease);
    }
  }

  private long timed(String operation, String result) {
    Timer timer =
        registry
            .get(IdempotencyMetrics.STORE_REQUESTS)
            .tags(
                IdempotencyMetrics.TAG_STORE, "failing",
                IdempotencyMetrics.TAG_OPERATION, operation,
                IdempotencyMetrics.TAG_RESULT, result)
            .timer();
    return timer.count();
  }

  private long acquire(String key) {
    return ((ClaimResult.Acquired) store.claim(key, null, "me", LEASE, TTL)).token();
  }

  @Test
  void registersEveryTimerOfTheStoreUpFront() {
    assertThat(store.name()).isEqualTo("failing");
    assertThat(registry.find(IdempotencyMetrics.STORE_REQUESTS).timers()).hasSize(13);
    assertThat(registry.getMeters())
        .allSatisfy(meter -> assertThat(meter.getId().getTag("store")).isEqualTo("failing"));
  }

  @Test
  void timesClaimsByResult() {
    long token = acquire("k");
    assertThat(store.claim("k", null, "other", LEASE, TTL))
        .isInstanceOf(ClaimResult.InProgress.class);
    store.complete("k", token, Outcome.ofVoid(), TTL);
    assertThat(store.claim("k", null, "other", LEASE, TTL))
        .isInstanceOf(ClaimResult.Completed.class);
    failure.set(IdempotencyInProgressException.lockTimedOut("op", new RuntimeException("lock")));
    assertThatThrownBy(() -> store.claim("t", null, "me", LEASE, TTL))
        .isInstanceOf(IdempotencyInProgressException.class);
    failure.set(new IllegalStateException("down"));
    assertThatThrownBy(() -> store.claim("e", null, "me", LEASE, TTL))
        .isInstanceOf(IllegalStateException.class);

    assertThat(timed("claim", "acquired")).isEqualTo(1);
    assertThat(timed("claim", "in_progress")).isEqualTo(2);
    assertThat(timed("claim", "completed")).isEqualTo(1);
    assertThat(timed("claim", "error")).isEqualTo(1);
  }

  @Test
  void timesTokenCheckedWritesAsAppliedRejectedOrError() {
    long token = acquire("k");
    assertThat(store.renew("k", token, LEASE)).isTrue();
    assertThat(store.renew("k", token + 1, LEASE)).isFalse();
    assertThat(store.release("k", token + 1)).isFalse();
    assertThat(store.complete("k", token + 1, Outcome.ofVoid(), TTL)).isFalse();
    assertThat(store.complete("k", token, Outcome.ofVoid(), TTL)).isTrue();
    long other = acquire("r");
    assertThat(store.release("r", other)).isTrue();
    failure.set(new IllegalStateException("down"));
    assertThatThrownBy(() -> store.complete("k", token, Outcome.ofVoid(), TTL))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> store.release("k", token)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> store.renew("k", token, LEASE))
        .isInstanceOf(IllegalStateException.class);

    for (String operation : new String[] {"complete", "release", "renew"}) {
      assertThat(timed(operation, "applied")).as(operation).isEqualTo(1);
      assertThat(timed(operation, "rejected")).as(operation).isEqualTo(1);
      assertThat(timed(operation, "error")).as(operation).isEqualTo(1);
    }
  }

  @Test
  void readsAndDeletesAreNotRoundTripsOfACall() {
    long token = acquire("k");
    store.complete("k", token, Outcome.ofVoid(), TTL);
    assertThat(store.find("k")).isPresent();
    assertThat(store.delete("k")).isTrue();
    assertThat(
            registry.find(IdempotencyMetrics.STORE_REQUESTS).timers().stream()
                .mapToLong(Timer::count)
                .sum())
        .isEqualTo(2);
  }
}
