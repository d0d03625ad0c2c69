package dev.idem.test.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idem.spi.ClaimResult;
import dev.idem.spi.CompletionNotifier;
import dev.idem.spi.ExpiredRecordPurger;
import dev.idem.spi.IdempotencyRecord;
import dev.idem.spi.IdempotencyStore;
import dev.idem.spi.Outcome;
import dev.idem.store.memory.InMemoryIdempotencyStore;
import dev.idem.test.MutableClock;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.opentest4j.TestAbortedException;

/**
 * Tests the conformance kit itself: it passes a correct store with every capability, and one with
 * none, without skipping anything; each deliberately broken store makes the kit tests that guard
 * the broken rule fail; and a test whose capability contracts do not match the capabilities its
 * store declares fails.
 */
class IdempotencyStoreContractSelfTest {

  @Test
  void kitPassesCorrectStoreWithNotifierAndPurgerWithoutSkipping() {
    KitResult result = runKit((clock, memory) -> new TrackingPurgerStore(clock, memory));

    assertThat(result.failed()).isEmpty();
    assertThat(result.skipped()).isEmpty();
    assertThat(result.passed())
        .hasSize(kitTests(TestShape.BOTH).size())
        .contains(
            "notifierWakesSubscriberOnComplete",
            "purgerDeletesExpiredRecordsInBoundedBatchesAndKeepsLiveOnes")
        .hasSizeGreaterThan(35);
  }

  @Test
  void kitPassesCorrectStoreWithoutCapabilitiesWithoutSkipping() {
    KitResult result = runKit(StoreWithoutNotifier::new);

    assertThat(result.failed()).isEmpty();
    assertThat(result.skipped()).isEmpty();
    assertThat(result.passed())
        .hasSize(kitTests(TestShape.BASE).size())
        .contains(
            "completionNotifierIsDeclaredIfAndOnlyIfItsContractIsImplemented",
            "purgerIsDeclaredIfAndOnlyIfItsContractIsImplemented")
        .doesNotContain(
            "notifierWakesSubscriberOnComplete",
            "purgerDeletesExpiredRecordsInBoundedBatchesAndKeepsLiveOnes");
  }

  @Test
  void everyCapabilityContractHasTests() {
    assertThat(kitTests(TestShape.NOTIFICATION)).hasSize(kitTests(TestShape.BASE).size() + 3);
    assertThat(kitTests(TestShape.PURGE)).hasSize(kitTests(TestShape.BASE).size() + 1);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("brokenStores")
  void kitCatchesBrokenStore(BrokenStore broken) {
    KitResult result = runKit(broken.factory(), broken.shape());

    assertThat(result.failed()).containsAll(broken.caughtBy());
    assertThat(result.skipped()).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("mismatchedCapabilities")
  void kitCatchesCapabilityDeclaredButNotTestedOrTestedButNotDeclared(BrokenStore broken) {
    KitResult result = runKit(broken.factory(), broken.shape());

    assertThat(result.failed()).containsExactlyInAnyOrderElementsOf(broken.caughtBy());
    assertThat(result.skipped()).isEmpty();
  }

  static Stream<BrokenStore> mismatchedCapabilities() {
    return Stream.of(
        new BrokenStore(
            "a notifier that its test does not check",
            (clock, memory) -> memory,
            TestShape.BASE,
            List.of("completionNotifierIsDeclaredIfAndOnlyIfItsContractIsImplemented")),
        new BrokenStore(
            "a notification test of a store without a notifier",
            StoreWithoutNotifier::new,
            TestShape.NOTIFICATION,
            List.of(
                "completionNotifierIsDeclaredIfAndOnlyIfItsContractIsImplemented",
                "notifierWakesSubscriberOnComplete",
                "notifierWakesSubscriberOnRelease",
                "closedSubscriptionIsNotNotified")),
        new BrokenStore(
            "a purger that its test does not check",
            (clock, memory) -> new TrackingPurgerStore(clock, memory),
            TestShape.NOTIFICATION,
            List.of("purgerIsDeclaredIfAndOnlyIfItsContractIsImplemented")),
        new BrokenStore(
            "a purge test of a store without a purger",
            (clock, memory) -> memory,
            TestShape.BOTH,
            List.of(
                "purgerIsDeclaredIfAndOnlyIfItsContractIsImplemented",
                "purgerDeletesExpiredRecordsInBoundedBatchesAndKeepsLiveOnes")));
  }

  static Stream<BrokenStore> brokenStores() {
    return Stream.of(
        broken(
            "complete ignores the token",
            (clock, memory) ->
                new ForwardingStore(memory) {
                  @Override
                  public boolean complete(String key, long token, Outcome outcome, Duration ttl) {
                    return inProgress(key)
                        .map(r -> delegate.complete(key, r.token(), outcome, ttl))
                        .orElse(false);
                  }
                },
            "completeWithWrongTokenReturnsFalseAndChangesNothing",
            "endedLeaseIsTakenOverAndOldTokenIsFenced",
            "concurrentCompletesStoreOnlyTheCurrentHoldersOutcome"),
        broken(
            "release ignores the token",
            (clock, memory) ->
                new ForwardingStore(memory) {
                  @Override
                  public boolean release(String key, long token) {
                    return inProgress(key).map(r -> delegate.release(key, r.token())).orElse(false);
                  }
                },
            "releaseWithWrongTokenReturnsFalseAndChangesNothing",
            "endedLeaseIsTakenOverAndOldTokenIsFenced",
            "concurrentCompletesStoreOnlyTheCurrentHoldersOutcome"),
        broken(
            "delete removes only completed records",
            (clock, memory) ->
                new ForwardingStore(memory) {
                  @Override
                  public boolean delete(String key) {
                    return delegate.find(key).filter(r -> r.isCompleted()).isPresent()
                        && delegate.delete(key);
                  }
                },
            "deleteRemovesAClaimInProgressAndFencesItsHolder",
            "deleteOfAnAbsentKeyReturnsFalseAndTouchesNoOtherKey"),
        broken(
            "delete reports a removal that did not happen",
            (clock, memory) ->
                new ForwardingStore(memory) {
                  @Override
                  public boolean delete(String key) {
                    delegate.delete(key);
                    return true;
                  }
                },
            "deleteOfAnAbsentKeyReturnsFalseAndTouchesNoOtherKey"),
        broken(
            "renew ignores the token",
            (clock, memory) ->
                new ForwardingStore(memory) {
                  @Override
                  public boolean renew(String key, long token, Duration lease) {
                    return inProgress(key)
                        .map(r -> delegate.renew(key, r.token(), lease))
                        .orElse(false);
                  }
                },
            "renewWithWrongTokenReturnsFalseAndChangesNothing",
            "endedLeaseIsTakenOverAndOldTokenIsFenced"),
        broken(
            "renew does not move the lease",
            (clock, memory) ->
                new ForwardingStore(memory) {
                  @Override
                  public boolean renew(String key, long token, Duration lease) {
                    return inProgress(key).filter(r -> r.token() == token).isPresent();
                  }
                },
            "renewExtendsLeaseBeyondItsOriginalEnd"),
        broken(
            "claim never takes over",
            (clock, memory) ->
                new ForwardingStore(memory) {
                  @Override
                  public ClaimResult claim(
                      String key,
                      @Nullable String fingerprint,
                      String owner,
                      Duration lease,
                      Duration ttl) {
                    return inProgress(key)
                        .<ClaimResult>map(ClaimResult::inProgress)
                        .orElseGet(() -> delegate.claim(key, fingerprint, owner, lease, ttl));
                  }
                },
            "endedLeaseIsTakenOverAndOldTokenIsFenced"),
        broken(
            "claim acquires a key another call holds",
            (clock, memory) ->
                new ForwardingStore(memory) {
                  @Override
                  public ClaimResult claim(
                      String key,
                      @Nullable String fingerprint,
                      String owner,
                      Duration lease,
                      Duration ttl) {
                    ClaimResult result = delegate.claim(key, fingerprint, owner, lease, ttl);
                    return result instanceof ClaimResult.InProgress p
                        ? ClaimResult.acquired(p.record().token(), false)
                        : result;
                  }
                },
            "secondClaimSeesInProgressWithOwnerFingerprintAndLease",
            "concurrentClaimsAcquireEachKeyExactlyOnce"),
        broken(
            "completed records are taken over after the lease period",
            (clock, memory) ->
                new KeyMappingStore(memory, UnaryOperator.identity()) {
                  private final Map<String, String> aliases = new ConcurrentHashMap<>();

                  @Override
                  String map(String key) {
                    return aliases.getOrDefault(key, key);
                  }

                  @Override
                  public ClaimResult claim(
                      String key,
                      @Nullable String fingerprint,
                      String owner,
                      Duration lease,
                      Duration ttl) {
                    Optional<IdempotencyRecord> current = delegate.find(map(key));
                    if (current.isPresent()
                        && current.get().isCompleted()
                        && clock.instant().isAfter(current.get().createdAt().plus(lease))) {
                      aliases.put(key, key + "#taken-over");
                      ClaimResult.Acquired acquired =
                          (ClaimResult.Acquired)
                              delegate.claim(map(key), fingerprint, owner, lease, ttl);
                      return ClaimResult.acquired(acquired.token(), true);
                    }
                    return super.claim(key, fingerprint, owner, lease, ttl);
                  }
                },
            "completedRecordIsNeverTakenOverAfterLeasePeriod"),
        broken(
            "an in-progress record expires at its ttl even while leased",
            ShortLivedInProgressStore::new,
            "inProgressRecordWithTtlShorterThanLeaseLivesUntilLeaseEnds"),
        broken(
            "complete ignores its ttl",
            (clock, memory) ->
                new ForwardingStore(memory) {
                  @Override
                  public boolean complete(String key, long token, Outcome outcome, Duration ttl) {
                    return delegate.complete(key, token, outcome, Duration.ofDays(1));
                  }
                },
            "completedRecordExpiresAfterItsTtl",
            "recordTimestampsFollowLeaseAndTtl"),
        broken(
            "keys are compared ignoring case",
            (clock, memory) -> new KeyMappingStore(memory, key -> key.toLowerCase(Locale.ROOT)),
            "keysAreCaseSensitive"),
        broken(
            "keys are trimmed",
            (clock, memory) -> new KeyMappingStore(memory, String::strip),
            "keysAreWhitespaceSensitive"),
        broken(
            "keys are normalized",
            (clock, memory) ->
                new KeyMappingStore(memory, key -> Normalizer.normalize(key, Normalizer.Form.NFC)),
            "keysWithUnicodeAndSpecialCharactersAreStoredExactly"),
        broken(
            "keys are truncated to 250 characters",
            (clock, memory) ->
                new KeyMappingStore(memory, key -> key.substring(0, Math.min(250, key.length()))),
            "keysOf255CharactersAreStoredExactly"),
        broken(
            "outcome bytes pass through UTF-8 text",
            (clock, memory) ->
                new ForwardingStore(memory) {
                  @Override
                  public boolean complete(String key, long token, Outcome outcome, Duration ttl) {
                    String text = new String(outcome.bytes(), StandardCharsets.UTF_8);
                    return delegate.complete(
                        key,
                        token,
                        Outcome.of(outcome.kind(), text.getBytes(StandardCharsets.UTF_8)),
                        ttl);
                  }
                },
            "allByteValuesRoundTripForEveryKind",
            "oneMebibyteOutcomeRoundTrips"),
        broken(
            "empty outcomes are stored as void",
            (clock, memory) ->
                new ForwardingStore(memory) {
                  @Override
                  public boolean complete(String key, long token, Outcome outcome, Duration ttl) {
                    return delegate.complete(
                        key, token, outcome.size() == 0 ? Outcome.ofVoid() : outcome, ttl);
                  }
                },
            "emptyOutcomeBytesRoundTripForEveryKind"),
        broken(
            "outcomes lose their last byte beyond 64 KiB",
            (clock, memory) ->
                new ForwardingStore(memory) {
                  @Override
                  public boolean complete(String key, long token, Outcome outcome, Duration ttl) {
                    byte[] bytes = outcome.bytes();
                    if (bytes.length > 65_536) {
                      bytes = Arrays.copyOf(bytes, bytes.length - 1);
                    }
                    return delegate.complete(key, token, Outcome.of(outcome.kind(), bytes), ttl);
                  }
                },
            "oneMebibyteOutcomeRoundTrips"),
        broken(
            "a missing fingerprint is stored as an empty string",
            (clock, memory) ->
                new ForwardingStore(memory) {
                  @Override
                  public ClaimResult claim(
                      String key,
                      @Nullable String fingerprint,
                      String owner,
                      Duration lease,
                      Duration ttl) {
                    return delegate.claim(
                        key, fingerprint == null ? "" : fingerprint, owner, lease, ttl);
                  }
                },
            "nullFingerprintRoundTripsAsNull"),
        broken(
            "the notifier never notifies",
            (clock, memory) ->
                new ForwardingStore(memory) {
                  @Override
                  public Optional<CompletionNotifier> completionNotifier() {
                    return Optional.of((key, listener) -> () -> {});
                  }
                },
            "notifierWakesSubscriberOnComplete",
            "notifierWakesSubscriberOnRelease",
            "closedSubscriptionIsNotNotified"),
        broken(
            "the notifier ignores releases",
            (clock, memory) ->
                new ForwardingStore(memory) {
                  @Override
                  public Optional<CompletionNotifier> completionNotifier() {
                    return Optional.of(new CompletionOnlyNotifier(this));
                  }
                },
            "notifierWakesSubscriberOnRelease"),
        broken(
            "closing a subscription does not stop it",
            (clock, memory) ->
                new ForwardingStore(memory) {
                  @Override
                  public Optional<CompletionNotifier> completionNotifier() {
                    CompletionNotifier real = delegate.completionNotifier().orElseThrow();
                    return Optional.of(
                        (key, listener) -> {
                          real.subscribe(key, listener);
                          return () -> {};
                        });
                  }
                },
            "closedSubscriptionIsNotNotified"),
        broken(
            "the purger ignores its batch size",
            (clock, memory) ->
                new TrackingPurgerStore(clock, memory) {
                  @Override
                  int purge(int maxRecords) {
                    return super.purge(Integer.MAX_VALUE);
                  }
                },
            "purgerDeletesExpiredRecordsInBoundedBatchesAndKeepsLiveOnes"),
        broken(
            "the purger deletes nothing",
            (clock, memory) ->
                new TrackingPurgerStore(clock, memory) {
                  @Override
                  int purge(int maxRecords) {
                    return 0;
                  }
                },
            "purgerDeletesExpiredRecordsInBoundedBatchesAndKeepsLiveOnes"),
        broken(
            "the purger deletes leased records whose ttl has passed",
            (clock, memory) ->
                new TrackingPurgerStore(clock, memory) {
                  @Override
                  int purge(int maxRecords) {
                    for (String key : claimedUntil.keySet()) {
                      Instant ttlEnd = claimedUntil.get(key);
                      if (ttlEnd != null && !clock.instant().isBefore(ttlEnd)) {
                        inProgress(key).ifPresent(r -> delegate.release(key, r.token()));
                      }
                    }
                    return super.purge(maxRecords);
                  }
                },
            "purgerDeletesExpiredRecordsInBoundedBatchesAndKeepsLiveOnes"));
  }

  // -------------------------------------------------------------------------------------------
  // running the kit

  /** Makes the store under test from the kit run's clock and a fresh in-memory store on it. */
  interface StoreFactory {
    IdempotencyStore create(MutableClock clock, InMemoryIdempotencyStore memory);
  }

  /**
   * A broken store and the shape of the test that runs the kit on it ({@code null}: the contracts
   * of the capabilities the store declares).
   */
  record BrokenStore(
      String description, StoreFactory factory, @Nullable TestShape shape, List<String> caughtBy) {
    @Override
    public String toString() {
      return description;
    }
  }

  record KitResult(Set<String> passed, Set<String> failed, Set<String> skipped) {}

  private static BrokenStore broken(String description, StoreFactory factory, String... caughtBy) {
    return new BrokenStore(description, factory, null, List.of(caughtBy));
  }

  /** Runs the kit as the test of a store that implements the contracts of its capabilities. */
  private static KitResult runKit(StoreFactory factory) {
    return runKit(factory, null);
  }

  private static KitResult runKit(StoreFactory factory, @Nullable TestShape shape) {
    TestShape testShape =
        shape != null
            ? shape
            : TestShape.matching(
                factory.create(
                    MutableClock.create(),
                    InMemoryIdempotencyStore.builder().clock(MutableClock.create()).build()));
    Set<String> passed = new TreeSet<>();
    Set<String> failed = new TreeSet<>();
    Set<String> skipped = new TreeSet<>();
    for (Method test : kitTests(testShape)) {
      KitRun run = testShape.create(factory);
      try {
        for (Method setUp : annotated(BeforeEach.class)) {
          setUp.invoke(run);
        }
        test.invoke(run);
        passed.add(test.getName());
      } catch (InvocationTargetException e) {
        if (e.getCause() instanceof TestAbortedException) {
          skipped.add(test.getName());
        } else {
          failed.add(test.getName());
        }
      } catch (IllegalAccessException e) {
        throw new IllegalStateException(e);
      }
    }
    return new KitResult(passed, failed, skipped);
  }

  /** The tests of the base contract and of the capability contracts that {@code shape} has. */
  private static List<Method> kitTests(TestShape shape) {
    List<Method> tests = new ArrayList<>(annotated(IdempotencyStoreContract.class, Test.class));
    if (shape.notification) {
      tests.addAll(annotated(CompletionNotificationContract.class, Test.class));
    }
    if (shape.purge) {
      tests.addAll(annotated(PurgeContract.class, Test.class));
    }
    return tests;
  }

  private static List<Method> annotated(
      Class<?> contract, Class<? extends java.lang.annotation.Annotation> type) {
    return Arrays.stream(contract.getDeclaredMethods())
        .filter(method -> method.isAnnotationPresent(type))
        .sorted(Comparator.comparing(Method::getName))
        .toList();
  }

  private static List<Method> annotated(Class<? extends java.lang.annotation.Annotation> type) {
    return annotated(IdempotencyStoreContract.class, type);
  }

  /** Which capability contracts the test class of a kit run implements. */
  enum TestShape {
    BASE(false, false),
    NOTIFICATION(true, false),
    PURGE(false, true),
    BOTH(true, true);

    final boolean notification;
    final boolean purge;

    TestShape(boolean notification, boolean purge) {
      this.notification = notification;
      this.purge = purge;
    }

    /** The shape of a correct test of {@code store}: a contract for each declared capability. */
    static TestShape matching(IdempotencyStore store) {
      boolean notifies = store.completionNotifier().isPresent();
      boolean purges = store.purger().isPresent();
      return notifies ? (purges ? BOTH : NOTIFICATION) : (purges ? PURGE : BASE);
    }

    KitRun create(StoreFactory factory) {
      switch (this) {
        case NOTIFICATION:
          return new NotificationKitRun(factory);
        case PURGE:
          return new PurgeKitRun(factory);
        case BOTH:
          return new FullKitRun(factory);
        default:
          return new KitRun(factory);
      }
    }
  }

  private static final class NotificationKitRun extends KitRun
      implements CompletionNotificationContract {
    NotificationKitRun(StoreFactory factory) {
      super(factory);
    }
  }

  private static final class PurgeKitRun extends KitRun implements PurgeContract {
    PurgeKitRun(StoreFactory factory) {
      super(factory);
    }
  }

  private static final class FullKitRun extends KitRun
      implements CompletionNotificationContract, PurgeContract {
    FullKitRun(StoreFactory factory) {
      super(factory);
    }
  }

  /**
   * One run of the kit on a fresh clock and store, as the test of a store without capabilities;
   * notifications are awaited briefly.
   */
  private static class KitRun extends IdempotencyStoreContract {
    private final MutableClock clock = MutableClock.create();
    private final IdempotencyStore store;

    KitRun(StoreFactory factory) {
      this.store = factory.create(clock, InMemoryIdempotencyStore.builder().clock(clock).build());
    }

    @Override
    public IdempotencyStore store() {
      return store;
    }

    @Override
    public void elapse(Duration duration) {
      clock.advance(duration);
    }

    /** Overrides {@link CompletionNotificationContract#notificationTimeout()} where implemented. */
    public Duration notificationTimeout() {
      return Duration.ofMillis(200);
    }
  }

  /** The in-memory store, declaring no completion notifier (and, as it does, no purger). */
  private static final class StoreWithoutNotifier extends ForwardingStore {
    StoreWithoutNotifier(MutableClock clock, IdempotencyStore delegate) {
      super(delegate);
    }

    @Override
    public Optional<CompletionNotifier> completionNotifier() {
      return Optional.empty();
    }
  }

  // -------------------------------------------------------------------------------------------
  // stores for the runs

  /** Applies a key transformation before every operation, as a lossy backend would. */
  private static class KeyMappingStore extends ForwardingStore {
    private final UnaryOperator<String> mapping;

    KeyMappingStore(IdempotencyStore delegate, UnaryOperator<String> mapping) {
      super(delegate);
      this.mapping = mapping;
    }

    String map(String key) {
      return mapping.apply(key);
    }

    @Override
    public ClaimResult claim(
        String key, @Nullable String fingerprint, String owner, Duration lease, Duration ttl) {
      return delegate.claim(map(key), fingerprint, owner, lease, ttl);
    }

    @Override
    public boolean complete(String key, long token, Outcome outcome, Duration ttl) {
      return delegate.complete(map(key), token, outcome, ttl);
    }

    @Override
    public boolean release(String key, long token) {
      return delegate.release(map(key), token);
    }

    @Override
    public boolean renew(String key, long token, Duration lease) {
      return delegate.renew(map(key), token, lease);
    }

    @Override
    public Optional<IdempotencyRecord> find(String key) {
      return delegate.find(map(key));
    }
  }

  /**
   * A correct store with a purger: it remembers when each record it saw expires and counts those
   * records as deleted once they have (the in-memory store has already made them absent).
   */
  static class TrackingPurgerStore extends ForwardingStore implements ExpiredRecordPurger {
    final MutableClock clock;
    final Map<String, Instant> expiresAt = new ConcurrentHashMap<>();
    final Map<String, Instant> claimedUntil = new ConcurrentHashMap<>();

    TrackingPurgerStore(MutableClock clock, IdempotencyStore delegate) {
      super(delegate);
      this.clock = clock;
    }

    @Override
    public ClaimResult claim(
        String key, @Nullable String fingerprint, String owner, Duration lease, Duration ttl) {
      ClaimResult result = delegate.claim(key, fingerprint, owner, lease, ttl);
      if (result instanceof ClaimResult.Acquired) {
        claimedUntil.put(key, clock.instant().plus(ttl));
      }
      track(key);
      return result;
    }

    @Override
    public boolean complete(String key, long token, Outcome outcome, Duration ttl) {
      boolean completed = delegate.complete(key, token, outcome, ttl);
      track(key);
      return completed;
    }

    @Override
    public boolean renew(String key, long token, Duration lease) {
      boolean renewed = delegate.renew(key, token, lease);
      track(key);
      return renewed;
    }

    @Override
    public Optional<ExpiredRecordPurger> purger() {
      return Optional.of(this);
    }

    @Override
    public int purgeExpired(int maxRecords) {
      return purge(maxRecords);
    }

    int purge(int maxRecords) {
      int purged = 0;
      for (Map.Entry<String, Instant> entry : expiresAt.entrySet()) {
        if (purged == maxRecords) {
          break;
        }
        if (!clock.instant().isBefore(entry.getValue())
            && delegate.find(entry.getKey()).isEmpty()
            && expiresAt.remove(entry.getKey(), entry.getValue())) {
          purged++;
        }
      }
      return purged;
    }

    private void track(String key) {
      delegate.find(key).ifPresent(record -> expiresAt.put(key, record.expiresAt()));
    }
  }

  /**
   * Makes in-progress records vanish at {@code claim + ttl} even while their lease lasts, the
   * mistake of a backend that sets its native expiry from the ttl alone.
   */
  private static final class ShortLivedInProgressStore extends ForwardingStore {
    private final MutableClock clock;
    private final Map<String, Instant> ttlEnds = new ConcurrentHashMap<>();

    ShortLivedInProgressStore(MutableClock clock, IdempotencyStore delegate) {
      super(delegate);
      this.clock = clock;
    }

    @Override
    public ClaimResult claim(
        String key, @Nullable String fingerprint, String owner, Duration lease, Duration ttl) {
      expire(key);
      ClaimResult result = delegate.claim(key, fingerprint, owner, lease, ttl);
      if (result instanceof ClaimResult.Acquired) {
        ttlEnds.put(key, clock.instant().plus(ttl));
      }
      return result;
    }

    @Override
    public Optional<IdempotencyRecord> find(String key) {
      expire(key);
      return delegate.find(key);
    }

    private void expire(String key) {
      Instant ttlEnd = ttlEnds.get(key);
      if (ttlEnd != null && !clock.instant().isBefore(ttlEnd)) {
        inProgress(key).ifPresent(record -> delegate.release(key, record.token()));
      }
    }
  }

  /** A notifier that passes on completions only: it drops the events of releases. */
  private static final class CompletionOnlyNotifier implements CompletionNotifier {
    private final ForwardingStore store;

    CompletionOnlyNotifier(ForwardingStore store) {
      this.store = store;
    }

    @Override
    public Subscription subscribe(String key, Runnable listener) {
      CompletionNotifier real = store.delegate.completionNotifier().orElseThrow();
      return real.subscribe(
          key,
          () -> {
            if (store.find(key).map(IdempotencyRecord::isCompleted).orElse(false)) {
              listener.run();
            }
          });
    }
  }
}
