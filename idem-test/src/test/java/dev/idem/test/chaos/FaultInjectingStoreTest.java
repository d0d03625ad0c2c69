package dev.idem.test.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idem.IdempotencyStoreException;
import dev.idem.spi.ClaimResult;
import dev.idem.spi.Outcome;
import dev.idem.store.memory.InMemoryIdempotencyStore;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class FaultInjectingStoreTest {

  private static final Duration LEASE = Duration.ofMillis(300);
  private static final Duration TTL = Duration.ofMinutes(5);

  private static List<Fault.Kind> run(long seed) {
    FaultInjectingStore store =
        FaultInjectingStore.builder(InMemoryIdempotencyStore.create())
            .seed(seed)
            .fail(StoreOperation.CLAIM, 0.3)
            .loseReply(StoreOperation.CLAIM, 0.3)
            .build();
    for (int i = 0; i < 50; i++) {
      try {
        store.claim("k" + i, null, "me", LEASE, TTL);
      } catch (IdempotencyStoreException expected) {
        // injected
      }
    }
    return store.trace().stream().map(Fault::kind).toList();
  }

  @Test
  void theSameSeedInjectsTheSameFaults() {
    assertThat(run(42)).isEqualTo(run(42)).isNotEmpty();
    assertThat(run(42)).isNotEqualTo(run(43));
  }

  @Test
  void aFailedClaimIsNotAppliedAndALostReplyIs() {
    InMemoryIdempotencyStore memory = InMemoryIdempotencyStore.create();
    FaultInjectingStore failing =
        FaultInjectingStore.builder(memory).fail(StoreOperation.CLAIM, 1).build();
    assertThatThrownBy(() -> failing.claim("a", null, "me", LEASE, TTL))
        .isInstanceOf(IdempotencyStoreException.class)
        .hasRootCauseMessage("injected fault: connection refused");
    assertThat(memory.find("a")).isEmpty();

    FaultInjectingStore losing =
        FaultInjectingStore.builder(memory).loseReply(StoreOperation.CLAIM, 1).build();
    assertThatThrownBy(() -> losing.claim("b", null, "me", LEASE, TTL))
        .isInstanceOf(IdempotencyStoreException.class);
    assertThat(memory.find("b")).get().matches(r -> !r.isCompleted());
    assertThat(losing.trace()).extracting(Fault::kind).containsExactly(Fault.Kind.LOSE_REPLY);
    assertThat(losing.describe()).contains("seed 0").contains("LOSE_REPLY").contains("'b'");
  }

  @Test
  void failFirstHitsOnlyAKeysFirstCall() {
    InMemoryIdempotencyStore memory = InMemoryIdempotencyStore.create();
    FaultInjectingStore store =
        FaultInjectingStore.builder(memory).failFirst(StoreOperation.COMPLETE, 1).build();
    ClaimResult.Acquired claim = (ClaimResult.Acquired) store.claim("k", null, "me", LEASE, TTL);
    assertThatThrownBy(() -> store.complete("k", claim.token(), Outcome.ofVoid(), TTL))
        .isInstanceOf(IdempotencyStoreException.class);
    assertThat(store.complete("k", claim.token(), Outcome.ofVoid(), TTL)).isTrue();
  }

  @Test
  void delaysMakeCallsLate() {
    FaultInjectingStore store =
        FaultInjectingStore.builder(InMemoryIdempotencyStore.create())
            .delay(StoreOperation.CLAIM, 1, Duration.ofMillis(120))
            .build();
    long start = System.nanoTime();
    store.claim("k", null, "me", LEASE, TTL);
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .isGreaterThanOrEqualTo(Duration.ofMillis(100));
  }

  @Test
  void aZombieStopsRenewingAndCompletesLateSoItIsFencedAfterATakeover() throws Exception {
    InMemoryIdempotencyStore memory = InMemoryIdempotencyStore.create();
    FaultInjectingStore store =
        FaultInjectingStore.builder(memory).zombie(1, Duration.ofMillis(900)).build();
    ClaimResult.Acquired zombie = (ClaimResult.Acquired) store.claim("k", null, "z", LEASE, TTL);
    assertThat(store.renew("k", zombie.token(), LEASE)).isTrue(); // swallowed: never reached
    Thread.sleep(LEASE.toMillis() + 100);
    ClaimResult taken = memory.claim("k", null, "other", LEASE, TTL);
    assertThat(taken).isInstanceOf(ClaimResult.Acquired.class);
    assertThat(((ClaimResult.Acquired) taken).takeover()).isTrue();

    long start = System.nanoTime();
    assertThat(store.complete("k", zombie.token(), Outcome.ofVoid(), TTL)).isFalse();
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .isGreaterThanOrEqualTo(Duration.ofMillis(800));
    assertThat(store.trace()).extracting(Fault::kind).containsExactly(Fault.Kind.ZOMBIE);
  }

  @Test
  void disabledStoresInjectNothing() {
    FaultInjectingStore store =
        FaultInjectingStore.builder(InMemoryIdempotencyStore.create())
            .fail(StoreOperation.CLAIM, 1)
            .build();
    store.setEnabled(false);
    assertThat(store.claim("k", null, "me", LEASE, TTL)).isInstanceOf(ClaimResult.Acquired.class);
    assertThat(store.trace()).isEmpty();
  }

  @Test
  void probabilitiesAndDurationsAreChecked() {
    FaultInjectingStore.Builder builder =
        FaultInjectingStore.builder(InMemoryIdempotencyStore.create());
    assertThatThrownBy(() -> builder.fail(StoreOperation.CLAIM, 1.5))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.delay(StoreOperation.CLAIM, 0.5, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
