package dev.idem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idem.annotation.OnInProgress;
import dev.idem.spi.ClaimResult;
import dev.idem.spi.IdempotencyRecord;
import dev.idem.spi.OutcomeKind;
import dev.idem.store.memory.InMemoryIdempotencyStore;
import dev.idem.test.MutableClock;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class IdempotentOperationTest {

  record Receipt(String orderId, BigDecimal amount, List<String> lines) {}

  record Charge(String orderId, BigDecimal amount, Map<String, String> metadata) {}

  public static class DeclinedException extends RuntimeException {
    public DeclinedException(String message) {
      super(message);
    }
  }

  public static class CardExpiredException extends DeclinedException {
    public CardExpiredException(String message) {
      super(message);
    }
  }

  private final MutableClock clock = MutableClock.create();
  private final CountingStore store =
      new CountingStore(InMemoryIdempotencyStore.builder().clock(clock).build());
  private final Idempotency idem =
      Idempotency.of(IdempotencyConfig.builder().store(store).clock(clock).build());
  private final ExecutorService pool = Executors.newCachedThreadPool();

  @AfterEach
  void tearDown() {
    pool.shutdownNow();
    idem.close();
  }

  private IdempotentOperation<Receipt> charge() {
    return idem.operation("payments.charge", Receipt.class).build();
  }

  private static Receipt receipt(String order) {
    return new Receipt(order, new BigDecimal("10.00"), List.of("a", "b"));
  }

  @Test
  void runsBodyOnceAndReplaysStoredResultToSecondCaller() {
    AtomicInteger runs = new AtomicInteger();
    IdempotentOperation<Receipt> op = charge();

    Receipt first = op.execute("o-1", "payload", () -> receipt("o-" + runs.incrementAndGet()));
    Receipt second = op.execute("o-1", "payload", () -> receipt("o-" + runs.incrementAndGet()));

    assertThat(runs).hasValue(1);
    assertThat(second).isEqualTo(first).isNotSameAs(first);
  }

  @Test
  void distinctKeysRunSeparately() {
    AtomicInteger runs = new AtomicInteger();
    IdempotentOperation<Receipt> op = charge();
    op.execute("o-1", null, () -> receipt("o-" + runs.incrementAndGet()));
    op.execute("o-2", null, () -> receipt("o-" + runs.incrementAndGet()));
    assertThat(runs).hasValue(2);
  }

  @Test
  void sameKeyUnderAnotherOperationNameIsAnotherRecord() {
    AtomicInteger runs = new AtomicInteger();
    idem.operation("a", String.class)
        .build()
        .execute("k", null, () -> "a" + runs.incrementAndGet());
    String b =
        idem.operation("b", String.class)
            .build()
            .execute("k", null, () -> "b" + runs.incrementAndGet());
    assertThat(b).isEqualTo("b2");
  }

  @Test
  void keyReusedWithDifferentPayloadFailsWithoutRunningBody() {
    AtomicInteger runs = new AtomicInteger();
    IdempotentOperation<Receipt> op = charge();
    op.execute("o-1", new Charge("o-1", BigDecimal.TEN, Map.of()), () -> receipt("x"));

    assertThatThrownBy(
            () ->
                op.execute(
                    "o-1",
                    new Charge("o-1", new BigDecimal("11"), Map.of()),
                    () -> receipt("o-" + runs.incrementAndGet())))
        .isInstanceOf(IdempotencyKeyReuseException.class)
        .hasMessageContaining("payments.charge")
        .hasMessageNotContaining("o-1")
        .satisfies(e -> assertThat(((IdempotencyException) e).httpStatus()).isEqualTo(422));
    assertThat(runs).hasValue(0);
  }

  @Test
  void equalPayloadsWithDifferentMapOrderAndNumberScaleReplay() {
    AtomicInteger runs = new AtomicInteger();
    IdempotentOperation<Receipt> op = charge();
    Map<String, String> ab = new LinkedHashMap<>();
    ab.put("a", "1");
    ab.put("b", "2");
    Map<String, String> ba = new LinkedHashMap<>();
    ba.put("b", "2");
    ba.put("a", "1");

    op.execute(
        "o-1",
        new Charge("o-1", new BigDecimal("1.0"), ab),
        () -> receipt("" + runs.incrementAndGet()));
    op.execute(
        "o-1",
        new Charge("o-1", new BigDecimal("1.00"), ba),
        () -> receipt("" + runs.incrementAndGet()));

    assertThat(runs).hasValue(1);
  }

  @Test
  void invalidKeysFailBeforeAnyStoreAccess() {
    AtomicInteger runs = new AtomicInteger();
    IdempotentOperation<String> op = idem.operation("op", String.class).build();
    for (Object bad : new Object[] {null, "", "   ", "a\u0000b", "line\nbreak"}) {
      assertThatThrownBy(() -> op.execute(bad, null, () -> "" + runs.incrementAndGet()))
          .isInstanceOf(IdempotencyKeyException.class)
          .satisfies(e -> assertThat(((IdempotencyException) e).httpStatus()).isEqualTo(400));
    }
    assertThat(runs).hasValue(0);
    assertThat(store.calls()).isZero();
  }

  @Test
  void longKeysAreHashedToAStableBoundedKey() {
    AtomicInteger runs = new AtomicInteger();
    IdempotentOperation<String> op = idem.operation("op", String.class).build();
    String longKey = "k".repeat(5_000);
    op.execute(longKey, null, () -> "r" + runs.incrementAndGet());
    String replay = op.execute(longKey, null, () -> "r" + runs.incrementAndGet());
    op.execute(longKey + "x", null, () -> "r" + runs.incrementAndGet());

    assertThat(replay).isEqualTo("r1");
    assertThat(runs).hasValue(2);
  }

  @Test
  void compositeKeysUseCanonicalJsonNotIdentity() {
    AtomicInteger runs = new AtomicInteger();
    IdempotentOperation<String> op = idem.operation("op", String.class).build();
    op.execute(new Charge("o", BigDecimal.ONE, Map.of()), null, () -> "r" + runs.incrementAndGet());
    op.execute(new Charge("o", BigDecimal.ONE, Map.of()), null, () -> "r" + runs.incrementAndGet());
    assertThat(runs).hasValue(1);
  }

  @Test
  void failureReleasesKeySoRetryRunsAgain() {
    AtomicInteger runs = new AtomicInteger();
    IdempotentOperation<String> op = idem.operation("op", String.class).build();
    assertThatThrownBy(
            () ->
                op.execute(
                    "k",
                    null,
                    () -> {
                      runs.incrementAndGet();
                      throw new IllegalStateException("gateway timeout");
                    }))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("gateway timeout");

    assertThat(op.execute("k", null, () -> "ok" + runs.incrementAndGet())).isEqualTo("ok2");
  }

  @Test
  void checkedExceptionsPropagateUnwrapped() {
    IdempotentOperation<String> op = idem.operation("op", String.class).build();
    assertThatThrownBy(
            () ->
                op.execute(
                    "k",
                    null,
                    () -> {
                      throw new IOException("disk");
                    }))
        .isExactlyInstanceOf(IOException.class);
  }

  @Test
  void replayOnExceptionsAreStoredAndRethrownWithSameTypeAndMessage() {
    AtomicInteger runs = new AtomicInteger();
    IdempotentOperation<String> op =
        idem.operation("op", String.class).replayOn(DeclinedException.class).build();
    for (int i = 0; i < 3; i++) {
      assertThatThrownBy(
              () ->
                  op.execute(
                      "k",
                      null,
                      () -> {
                        runs.incrementAndGet();
                        throw new DeclinedException("insufficient funds");
                      }))
          .isExactlyInstanceOf(DeclinedException.class)
          .hasMessage("insufficient funds");
    }
    assertThat(runs).hasValue(1);
  }

  @Test
  void subclassOfReplayedTypeIsReplayedAsTheListedType() {
    IdempotentOperation<String> op =
        idem.operation("op", String.class).replayOn(DeclinedException.class).build();
    assertThatThrownBy(
            () ->
                op.execute(
                    "k",
                    null,
                    () -> {
                      throw new CardExpiredException("expired");
                    }))
        .isExactlyInstanceOf(CardExpiredException.class);
    assertThatThrownBy(() -> op.execute("k", null, () -> "never"))
        .isExactlyInstanceOf(DeclinedException.class)
        .hasMessage("expired");
  }

  @Test
  void errorsAlwaysRelease() {
    AtomicInteger runs = new AtomicInteger();
    IdempotentOperation<String> op =
        idem.operation("op", String.class).replayOn(RuntimeException.class).build();
    assertThatThrownBy(
            () ->
                op.execute(
                    "k",
                    null,
                    () -> {
                      runs.incrementAndGet();
                      throw new AssertionError("boom");
                    }))
        .isInstanceOf(AssertionError.class);
    assertThat(op.execute("k", null, () -> "ok" + runs.incrementAndGet())).isEqualTo("ok2");
  }

  @Test
  void errorTypesCannotBeListedInReplayOn() {
    assertThatThrownBy(() -> IdempotencyPolicy.builder().replayOn(OutOfMemoryError.class))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void genericResultsReplayWithTheirDeclaredTypes() {
    IdempotentOperation<List<Receipt>> list =
        idem.operation("list", new ResultType<List<Receipt>>() {}).build();
    List<Receipt> first = list.execute("k", null, () -> List.of(receipt("a"), receipt("b")));
    List<Receipt> replay = list.execute("k", null, () -> List.of());
    assertThat(replay).isEqualTo(first).hasOnlyElementsOfType(Receipt.class);

    IdempotentOperation<Map<String, Receipt>> map =
        idem.operation("map", new ResultType<Map<String, Receipt>>() {}).build();
    map.execute("k", null, () -> Map.of("x", receipt("x")));
    assertThat(map.execute("k", null, Map::of)).containsEntry("x", receipt("x"));

    IdempotentOperation<Optional<Receipt>> present =
        idem.operation("present", new ResultType<Optional<Receipt>>() {}).build();
    present.execute("k", null, () -> Optional.of(receipt("p")));
    assertThat(present.execute("k", null, Optional::empty)).contains(receipt("p"));

    IdempotentOperation<Optional<Receipt>> empty =
        idem.operation("empty", new ResultType<Optional<Receipt>>() {}).build();
    empty.execute("k", null, Optional::empty);
    assertThat(empty.execute("k", null, () -> Optional.of(receipt("no")))).isEmpty();

    IdempotentOperation<Integer> number = idem.operation("int", Integer.class).build();
    number.execute("k", null, () -> 42);
    assertThat(number.execute("k", null, () -> 0)).isEqualTo(42);
  }

  @Test
  void nullAndVoidResultsReplayWithoutRunningAgain() {
    AtomicInteger runs = new AtomicInteger();
    IdempotentOperation<String> nullable = idem.operation("null", String.class).build();
    nullable.execute(
        "k",
        null,
        () -> {
          runs.incrementAndGet();
          return null;
        });
    assertThat(nullable.execute("k", null, () -> "x" + runs.incrementAndGet())).isNull();

    IdempotentOperation<Void> voidOp = idem.operation("void", Void.class).build();
    voidOp.execute(
        "k",
        null,
        () -> {
          runs.incrementAndGet();
          return null;
        });
    voidOp.execute(
        "k",
        null,
        () -> {
          runs.incrementAndGet();
          return null;
        });
    assertThat(runs).hasValue(2);
    assertThat(store.delegate.find("idem:void:k"))
        .get()
        .extracting(r -> r.outcome().kind())
        .isEqualTo(OutcomeKind.VOID);
  }

  @Test
  void completionStageCompletesRecordWhenFutureCompletes() throws Exception {
    AtomicInteger runs = new AtomicInteger();
    IdempotentOperation<CompletionStage<Receipt>> op =
        idem.operation("async", new ResultType<CompletionStage<Receipt>>() {}).build();
    CompletableFuture<Receipt> pending = new CompletableFuture<>();

    CompletionStage<Receipt> first =
        op.execute(
            "k",
            null,
            () -> {
              runs.incrementAndGet();
              return pending;
            });
    assertThat(store.delegate.find("idem:async:k")).get().matches(r -> !r.isCompleted());

    pending.complete(receipt("async"));
    assertThat(first.toCompletableFuture().get(1, TimeUnit.SECONDS)).isEqualTo(receipt("async"));
    CompletionStage<Receipt> replay =
        op.execute("k", null, () -> CompletableFuture.completedFuture(receipt("other")));
    assertThat(replay.toCompletableFuture().get(1, TimeUnit.SECONDS)).isEqualTo(receipt("async"));
    assertThat(runs).hasValue(1);
  }

  @Test
  void failedFutureBehavesLikeAThrownException() throws Exception {
    AtomicInteger runs = new AtomicInteger();
    IdempotentOperation<CompletableFuture<String>> op =
        idem.operation("async", new ResultType<CompletableFuture<String>>() {})
            .replayOn(DeclinedException.class)
            .build();

    CompletableFuture<String> failed =
        op.execute(
            "released",
            null,
            () -> {
              runs.incrementAndGet();
              return CompletableFuture.failedFuture(new IllegalStateException("transient"));
            });
    assertThat(failed).failsWithin(Duration.ofSeconds(1));
    assertThat(op.execute("released", null, () -> CompletableFuture.completedFuture("retried")))
        .succeedsWithin(Duration.ofSeconds(1))
        .isEqualTo("retried");

    op.execute("declined", null, () -> CompletableFuture.failedFuture(new DeclinedException("no")));
    CompletableFuture<String> replayed =
        op.execute("declined", null, () -> CompletableFuture.completedFuture("never"));
    assertThat(replayed)
        .failsWithin(Duration.ofSeconds(1))
        .withThrowableOfType(java.util.concurrent.ExecutionException.class)
        .havingCause()
        .isExactlyInstanceOf(DeclinedException.class)
        .withMessage("no");
    assertThat(runs).hasValue(1);
  }

  @Test
  void tooLargeResultIsDroppedFirstCallerStillGetsIt() {
    Idempotency small =
        Idempotency.of(IdempotencyConfig.builder().store(store).maxResultBytes(64).build());
    IdempotentOperation<String> op = small.operation("big", String.class).build();
    String big = "x".repeat(1_000);
    assertThat(op.execute("k", null, () -> big)).isEqualTo(big);
    assertThatThrownBy(() -> op.execute("k", null, () -> "again"))
        .isInstanceOf(IdempotencyReplayUnavailableException.class)
        .hasMessageContaining("limit of 64 bytes");
  }

  public record Endless(Iterable<String> items) {}

  @Test
  void aResultOverTheLimitFailsWhileItIsWrittenNotAfter() {
    // an endless result: 0.1.0 encoded all of it before checking the size, until the heap ran out
    Iterable<String> endless =
        () ->
            new java.util.Iterator<>() {
              @Override
              public boolean hasNext() {
                return true;
              }

              @Override
              public String next() {
                return "x".repeat(100);
              }
            };
    IdempotentOperation<Endless> op = idem.operation("endless", Endless.class).build();
    Endless value = new Endless(endless);
    assertThat(op.execute("k", null, () -> value)).isSameAs(value);
    IdempotencyRecord record = store.find("idem:endless:k").orElseThrow();
    assertThat(record.outcome().kind()).isEqualTo(OutcomeKind.DROPPED);
    assertThat(new String(record.outcome().unsafeBytes(), java.nio.charset.StandardCharsets.UTF_8))
        .contains("larger than the limit of 1048576 bytes");
  }

  public static class ThrowsErrorWhenSerialized {
    private final Error error;

    ThrowsErrorWhenSerialized(Error error) {
      this.error = error;
    }

    public String getValue() {
      throw error;
    }
  }

  @Test
  void anErrorWhileEncodingTheResultRecordsDroppedAndNeverRunsTheBodyAgain() {
    for (Error error :
        new Error[] {
          new AssertionError("getter"), new OutOfMemoryError("simulated while encoding")
        }) {
      AtomicInteger runs = new AtomicInteger();
      String key = "k-" + error.getClass().getSimpleName();
      IdempotentOperation<ThrowsErrorWhenSerialized> op =
          idem.operation("errors", ThrowsErrorWhenSerialized.class).build();
      ThrowsErrorWhenSerialized value = new ThrowsErrorWhenSerialized(error);
      ThrowingSupplier<ThrowsErrorWhenSerialized, RuntimeException> body =
          () -> {
            runs.incrementAndGet();
            return value;
          };
      // 0.1.0: the first caller got the Error and the claim stayed IN_PROGRESS, so a retry after
      // the lease ran the body again
      assertThat(op.execute(key, null, body)).isSameAs(value);
      IdempotencyRecord record = store.find("idem:errors:" + key).orElseThrow();
      assertThat(record.isCompleted()).isTrue();
      assertThat(record.outcome().kind()).isEqualTo(OutcomeKind.DROPPED);
      clock.advance(Duration.ofHours(1)); // past any lease
      assertThatThrownBy(() -> op.execute(key, null, body))
          .isInstanceOf(IdempotencyReplayUnavailableException.class)
          .hasMessageContaining(error.getClass().getSimpleName());
      assertThat(runs).hasValue(1);
    }
  }

  @Test
  void anErrorWhileEncodingAnAsyncResultRecordsDropped() throws Exception {
    AtomicInteger runs = new AtomicInteger();
    IdempotentOperation<CompletionStage<ThrowsErrorWhenSerialized>> op =
        idem.operation(
                "async-errors", new ResultType<CompletionStage<ThrowsErrorWhenSerialized>>() {})
            .build();
    ThrowsErrorWhenSerialized value = new ThrowsErrorWhenSerialized(new AssertionError("getter"));
    assertThat(
            op.execute(
                    "k",
                    null,
                    () -> {
                      runs.incrementAndGet();
                      return CompletableFuture.completedFuture(value);
                    })
                .toCompletableFuture()
                .get(5, TimeUnit.SECONDS))
        .isSameAs(value);
    clock.advance(Duration.ofHours(1));
    // Idem's own exceptions are thrown by execute, not through the future
    assertThatThrownBy(
            () ->
                op.execute(
                    "k",
                    null,
                    () -> {
                      runs.incrementAndGet();
                      return CompletableFuture.completedFuture(value);
                    }))
        .isInstanceOf(IdempotencyReplayUnavailableException.class)
        .hasMessageContaining("AssertionError");
    assertThat(runs).hasValue(1);
  }

  @com.fasterxml.jackson.annotation.JsonTypeInfo(
      use = com.fasterxml.jackson.annotation.JsonTypeInfo.Id.CLASS)
  public interface ByClassName {}

  public record ByClassNameImpl(String value) implements ByClassName {}

  public record HoldsByClassName(
      @com.fasterxml.jackson.annotation.JsonTypeInfo(
              use = com.fasterxml.jackson.annotation.JsonTypeInfo.Id.MINIMAL_CLASS)
          Object payload) {}

  public record ListsByClassName(List<ByClassName> items) {}

  @com.fasterxml.jackson.annotation.JsonTypeInfo(
      use = com.fasterxml.jackson.annotation.JsonTypeInfo.Id.NAME,
      property = "kind")
  @com.fasterxml.jackson.annotation.JsonSubTypes({
    @com.fasterxml.jackson.annotation.JsonSubTypes.Type(value = Card.class, name = "card"),
    @com.fasterxml.jackson.annotation.JsonSubTypes.Type(value = Transfer.class, name = "transfer")
  })
  public sealed interface Payment permits Card, Transfer {}

  public record Card(String last4) implements Payment {}

  public record Transfer(String iban) implements Payment {}

  @Test
  void classNameTypeIdsAreRefusedAtValidationAndNamesReplay() {
    // 0.1.0 accepted these and every retry got "replay unavailable": class ids are never read
    for (ResultType<?> type :
        List.of(
            new ResultType<ByClassName>() {},
            new ResultType<HoldsByClassName>() {},
            new ResultType<ListsByClassName>() {},
            new ResultType<Optional<List<ByClassName>>>() {})) {
      assertThatThrownBy(() -> idem.operation("op", type).build())
          .isInstanceOf(IdempotencyConfigurationException.class)
          .hasMessageContaining("class-name type ids")
          .hasMessageContaining("Id.NAME");
    }
    AtomicInteger runs = new AtomicInteger();
    IdempotentOperation<List<Payment>> op =
        idem.operation("payments", new ResultType<List<Payment>>() {}).build();
    List<Payment> first =
        op.execute(
            "k",
            null,
            () -> {
              runs.incrementAndGet();
              return List.of(new Card("4242"), new Transfer("DE00"));
            });
    List<Payment> replayed = op.execute("k", null, List::<Payment>of);
    assertThat(replayed).isEqualTo(first).containsExactly(new Card("4242"), new Transfer("DE00"));
    assertThat(runs).hasValue(1);
  }

  public static class Unserializable {
    public String getValue() {
      throw new IllegalStateException("cannot read");
    }
  }

  @Test
  void unserializableResultIsDroppedAndNeverReExecuted() {
    AtomicInteger runs = new AtomicInteger();
    IdempotentOperation<Unserializable> op = idem.operation("u", Unserializable.class).build();
    Unserializable value = new Unserializable();
    assertThat(
            op.execute(
                "k",
                null,
                () -> {
                  runs.incrementAndGet();
                  return value;
                }))
        .isSameAs(value);
    assertThatThrownBy(() -> op.execute("k", null, Unserializable::new))
        .isInstanceOf(IdempotencyReplayUnavailableException.class);
    assertThat(runs).hasValue(1);
  }

  @Test
  void rejectPolicyFailsDuplicateAtOnceWithRetryAfter() throws Exception {
    IdempotentOperation<String> op =
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
    assertThatThrownBy(() -> op.execute("k", null, () -> "dup"))
        .isInstanceOf(IdempotencyInProgressException.class)
        .satisfies(
            e -> {
              IdempotencyInProgressException ex = (IdempotencyInProgressException) e;
              assertThat(ex.httpStatus()).isEqualTo(409);
              assertThat(ex.retryAfter()).isNotNull().isPositive();
            });
    release.countDown();
    assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo("first");
    assertThat(op.execute("k", null, () -> "dup")).isEqualTo("first");
  }

  @Test
  void waitingDuplicatesGetTheOriginalResult() throws Exception {
    AtomicInteger runs = new AtomicInteger();
    IdempotentOperation<String> op =
        idem.operation("op", String.class).waitTimeout(Duration.ofSeconds(10)).build();
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Future<String> first =
        pool.submit(
            () ->
                op.execute(
                    "k",
                    null,
                    () -> {
                      runs.incrementAndGet();
                      started.countDown();
                      release.await();
                      return "original";
                    }));
    started.await();
    List<Future<String>> duplicates = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      duplicates.add(
          pool.submit(() -> op.execute("k", null, () -> "dup" + runs.incrementAndGet())));
    }
    Thread.sleep(50); // let them block; correctness does not depend on it
    release.countDown();
    assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo("original");
    for (Future<String> duplicate : duplicates) {
      assertThat(duplicate.get(5, TimeUnit.SECONDS)).isEqualTo("original");
    }
    assertThat(runs).hasValue(1);
  }

  @Test
  void waitingDuplicateTimesOut() throws Exception {
    IdempotentOperation<String> op =
        idem.operation("op", String.class).waitTimeout(Duration.ofMillis(100)).build();
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
    assertThatThrownBy(() -> op.execute("k", null, () -> "dup"))
        .isInstanceOf(IdempotencyInProgressException.class)
        .hasMessageContaining("100 ms");
    release.countDown();
    first.get(5, TimeUnit.SECONDS);
  }

  @Test
  void waiterRunsTheBodyItselfWhenTheFirstCallFails() throws Exception {
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
    Thread.sleep(50);
    release.countDown();
    assertThatThrownBy(() -> first.get(5, TimeUnit.SECONDS))
        .hasCauseInstanceOf(IllegalStateException.class);
    assertThat(waiter.get(5, TimeUnit.SECONDS)).isEqualTo("waiter ran");
  }

  @Test
  void crashedClaimIsTakenOverAfterItsLeaseWithAGreaterToken() {
    IdempotentOperation<String> op =
        idem.operation("op", String.class).lease(Duration.ofSeconds(30)).build();
    // a caller that claimed and then died: nobody renews or completes
    ClaimResult.Acquired crashed =
        (ClaimResult.Acquired)
            store.claim(
                "idem:op:k", null, "dead-node", Duration.ofSeconds(30), Duration.ofHours(1));

    assertThatThrownBy(
            () ->
                idem.operation("op", String.class)
                    .onInProgress(OnInProgress.REJECT)
                    .build()
                    .execute("k", null, () -> "too early"))
        .isInstanceOf(IdempotencyInProgressException.class);

    clock.advance(Duration.ofSeconds(31));
    assertThat(op.execute("k", null, () -> "took over")).isEqualTo("took over");
    IdempotencyRecord record = store.delegate.find("idem:op:k").orElseThrow();
    assertThat(record.token()).isGreaterThan(crashed.token());
    assertThat(
            store.complete(
                "idem:op:k", crashed.token(), dev.idem.spi.Outcome.ofVoid(), Duration.ofHours(1)))
        .isFalse();
  }

  @Test
  void staleOwnerCannotOverwriteTheNewOwnersResult() throws Exception {
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
    clock.advance(Duration.ofHours(2)); // the stale owner's lease ends (renewal would take 20 min)
    assertThat(op.execute("k", null, () -> "new owner")).isEqualTo("new owner");
    release.countDown();
    // 0.1.0 handed the stale caller its own value, which no other caller of the key ever saw
    assertThat(stale.get(5, TimeUnit.SECONDS)).isEqualTo("new owner");
    assertThat(op.execute("k", null, () -> "again")).isEqualTo("new owner");
  }

  @Test
  void fencedCallerWaitsForTheRunningNewOwnerAndGetsItsResult() throws Exception {
    IdempotentOperation<String> op =
        idem.operation("op", String.class).lease(Duration.ofHours(1)).build();
    CountDownLatch zombieStarted = new CountDownLatch(1);
    CountDownLatch zombieRelease = new CountDownLatch(1);
    CountDownLatch ownerStarted = new CountDownLatch(1);
    CountDownLatch ownerRelease = new CountDownLatch(1);
    Future<String> zombie =
        pool.submit(() -> op.execute("k", null, blockingBody(zombieStarted, zombieRelease, "z")));
    zombieStarted.await();
    clock.advance(Duration.ofHours(2));
    Future<String> owner =
        pool.submit(() -> op.execute("k", null, blockingBody(ownerStarted, ownerRelease, "o")));
    ownerStarted.await();
    zombieRelease.countDown(); // the zombie finishes first: fenced, it waits for the owner
    Thread.sleep(50);
    assertThat(zombie.isDone()).isFalse();
    ownerRelease.countDown();
    assertThat(owner.get(5, TimeUnit.SECONDS)).isEqualTo("o");
    assertThat(zombie.get(5, TimeUnit.SECONDS)).isEqualTo("o");
  }

  @Test
  void fencedCallerWhoseNewOwnerFailedGetsInProgressNotItsOwnValue() throws Exception {
    IdempotentOperation<String> op =
        idem.operation("op", String.class).lease(Duration.ofHours(1)).build();
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Future<String> zombie =
        pool.submit(() -> op.execute("k", null, blockingBody(started, release, "z")));
    started.await();
    clock.advance(Duration.ofHours(2));
    assertThatThrownBy(
            () ->
                op.execute(
                    "k",
                    null,
                    () -> {
                      throw new IllegalStateException("owner failed");
                    }))
        .hasMessage("owner failed");
    release.countDown();
    assertThatThrownBy(() -> zombie.get(5, TimeUnit.SECONDS))
        .cause()
        .isInstanceOf(IdempotencyInProgressException.class)
        .hasMessageContaining("lost its claim");
    assertThat(op.execute("k", null, () -> "retry")).isEqualTo("retry");
  }

  @Test
  void fencedAsyncCallerGetsTheNewOwnersResult() throws Exception {
    IdempotentOperation<CompletionStage<String>> op =
        idem.operation("async", new ResultType<CompletionStage<String>>() {})
            .lease(Duration.ofHours(1))
            .build();
    CompletableFuture<String> zombieResult = new CompletableFuture<>();
    CompletionStage<String> zombie = op.execute("k", null, () -> zombieResult);
    clock.advance(Duration.ofHours(2));
    String owner =
        op.execute("k", null, () -> CompletableFuture.completedFuture("o"))
            .toCompletableFuture()
            .get(5, TimeUnit.SECONDS);
    zombieResult.complete("z");
    assertThat(owner).isEqualTo("o");
    assertThat(zombie.toCompletableFuture().get(5, TimeUnit.SECONDS)).isEqualTo("o");
  }

  @Test
  void fencedReplayOnExceptionGivesTheNewOwnersOutcome() throws Exception {
    IdempotentOperation<String> op =
        idem.operation("op", String.class)
            .lease(Duration.ofHours(1))
            .replayOn(DeclinedException.class)
            .build();
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Future<String> zombie =
        pool.submit(
            () ->
                op.execute(
                    "k",
                    null,
                    () -> {
                      started.countDown();
                      release.await();
                      throw new DeclinedException("zombie declined");
                    }));
    started.await();
    clock.advance(Duration.ofHours(2));
    assertThat(op.execute("k", null, () -> "o")).isEqualTo("o");
    release.countDown();
    assertThat(zombie.get(5, TimeUnit.SECONDS)).isEqualTo("o");
  }

  private static ThrowingSupplier<String, Exception> blockingBody(
      CountDownLatch started, CountDownLatch release, String value) {
    return () -> {
      started.countDown();
      if (!release.await(10, TimeUnit.SECONDS)) {
        throw new IllegalStateException("never released");
      }
      return value;
    };
  }

  @Test
  void longBodiesRenewTheirLease() throws Exception {
    Idempotency real = Idempotency.of(IdempotencyConfig.builder().store(store).build());
    InMemoryIdempotencyStore realTimeStore = InMemoryIdempotencyStore.create();
    CountingStore counting = new CountingStore(realTimeStore);
    Idempotency renewing = Idempotency.of(IdempotencyConfig.builder().store(counting).build());
    try {
      IdempotentOperation<String> op =
          renewing
              .operation("op", String.class)
              .lease(Duration.ofMillis(150))
              .onInProgress(OnInProgress.REJECT)
              .build();
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
      Thread.sleep(600); // four leases: without renewal a duplicate would take over
      assertThatThrownBy(() -> op.execute("k", null, () -> "duplicate"))
          .isInstanceOf(IdempotencyInProgressException.class);
      release.countDown();
      assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo("first");
      assertThat(counting.renews.get()).isGreaterThanOrEqualTo(2);
    } finally {
      renewing.close();
      real.close();
    }
  }

  @Test
  void storeOutageAtClaimFailsClosedWithoutRunningBody() {
    AtomicInteger runs = new AtomicInteger();
    IdempotentOperation<String> op = idem.operation("op", String.class).build();
    store.down.set(true);
    assertThatThrownBy(() -> op.execute("k", null, () -> "ran" + runs.incrementAndGet()))
        .isInstanceOf(IdempotencyStoreException.class)
        .satisfies(e -> assertThat(((IdempotencyException) e).httpStatus()).isEqualTo(503));
    assertThat(runs).hasValue(0);
    store.down.set(false);
    assertThat(op.execute("k", null, () -> "ran" + runs.incrementAndGet())).isEqualTo("ran1");
  }

  @Test
  void failOpenPolicyRunsBodyUnprotectedDuringOutage() {
    Idempotency open =
        Idempotency.of(
            IdempotencyConfig.builder()
                .store(store)
                .policy("lenient", IdempotencyPolicy.builder().failOpen(true).build())
                .build());
    store.down.set(true);
    assertThat(
            open.operation("op", String.class)
                .policy("lenient")
                .build()
                .execute("k", null, () -> "ran"))
        .isEqualTo("ran");
  }

  @Test
  void resultOfBodyIsReturnedEvenIfCompletionCannotBeStored() {
    IdempotentOperation<String> op = idem.operation("op", String.class).build();
    String result =
        op.execute(
            "k",
            null,
            () -> {
              store.down.set(true);
              return "done";
            });
    assertThat(result).isEqualTo("done");
    assertThat(store.completes.get()).isEqualTo(3);
  }

  @Test
  void scopesSeparateRecordsAndCannotCollideThroughColons() {
    AtomicInteger runs = new AtomicInteger();
    ThreadLocal<String> tenant = new ThreadLocal<>();
    Idempotency scoped =
        Idempotency.of(IdempotencyConfig.builder().store(store).scopeSupplier(tenant::get).build());
    IdempotentOperation<String> op = scoped.operation("op", String.class).build();

    tenant.set("t:1");
    String a = op.execute("x", null, () -> "a" + runs.incrementAndGet());
    tenant.set("t");
    String b = op.execute("1:x", null, () -> "b" + runs.incrementAndGet());
    tenant.set("t:1");
    String again = op.execute("x", null, () -> "c" + runs.incrementAndGet());

    assertThat(a).isEqualTo("a1");
    assertThat(b).isEqualTo("b2");
    assertThat(again).isEqualTo("a1");
  }

  @Test
  void anAnonymousCallerCannotReplayAScopedCallersResult() {
    // 0.1.0: no scope + "alice:K" was the same record as scope "alice" + "K"
    AtomicInteger runs = new AtomicInteger();
    ThreadLocal<String> principal = new ThreadLocal<>();
    Idempotency scoped =
        Idempotency.of(
            IdempotencyConfig.builder().store(store).scopeSupplier(principal::get).build());
    IdempotentOperation<String> op = scoped.operation("op", String.class).build();

    principal.set("alice");
    String alices = op.execute("K", "pay 10", () -> "alice's receipt " + runs.incrementAndGet());
    principal.remove();
    String anonymous = op.execute("alice:K", "pay 99", () -> "anonymous " + runs.incrementAndGet());
    String prefixed = op.execute("@alice:K", "pay 99", () -> "marked " + runs.incrementAndGet());

    assertThat(alices).isEqualTo("alice's receipt 1");
    assertThat(anonymous).isEqualTo("anonymous 2");
    assertThat(prefixed).isEqualTo("marked 3");
  }

  @Test
  void unknownPolicyIsAConfigurationError() {
    assertThatThrownBy(() -> idem.operation("op", String.class).policy("missing").build())
        .isInstanceOf(IdempotencyConfigurationException.class)
        .hasMessageContaining("missing");
  }

  @Test
  void unsupportedResultTypesAreRejectedAtBuild() {
    assertThatThrownBy(() -> idem.operation("op", Object.class).build())
        .isInstanceOf(IdempotencyConfigurationException.class);
    assertThatThrownBy(() -> idem.operation("op", new ResultType<Future<String>>() {}).build())
        .isInstanceOf(IdempotencyConfigurationException.class)
        .hasMessageContaining("CompletionStage");
    assertThatThrownBy(
            () ->
                idem.operation("op", new ResultType<java.util.stream.Stream<String>>() {}).build())
        .isInstanceOf(IdempotencyConfigurationException.class);
    assertThatThrownBy(() -> idem.operation("op", Runnable.class).build())
        .isInstanceOf(IdempotencyConfigurationException.class)
        .hasMessageContaining("abstract");
  }

  @Test
  void invalidOperationNamesAreRejected() {
    assertThatThrownBy(() -> idem.operation("a:b", String.class))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> idem.operation("", String.class))
        .isInstanceOf(IllegalArgumentException.class);
  }

  /** The figure of the foundation issue: 10,000 calls, 200 keys, 16 threads, one run per key. */
  @Test
  void concurrentDuplicatesRunEachKeyExactlyOnce() throws Exception {
    int threads = 16;
    int keys = 200;
    int callsPerThread = 625; // 16 x 625 = 10,000 calls
    ConcurrentHashMap<String, AtomicInteger> executions = new ConcurrentHashMap<>();
    ConcurrentHashMap<String, java.util.Set<String>> results = new ConcurrentHashMap<>();
    IdempotentOperation<String> op = idem.operation("fuzz", String.class).build();
    ExecutorService workers = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> done = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int seed = t;
      done.add(
          workers.submit(
              () -> {
                start.await();
                for (int i = 0; i < callsPerThread; i++) {
                  String key = "order-" + ((i * 7 + seed * 13) % keys);
                  String result =
                      op.execute(
                          key,
                          key,
                          () -> {
                            executions
                                .computeIfAbsent(key, k -> new AtomicInteger())
                                .incrementAndGet();
                            return key + "@" + System.nanoTime();
                          });
                  results.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet()).add(result);
                }
                return null;
              }));
    }
    start.countDown();
    for (Future<?> f : done) {
      f.get(60, TimeUnit.SECONDS);
    }
    workers.shutdown();
    long duplicates = executions.values().stream().mapToInt(a -> a.get() - 1).sum();
    System.out.printf(
        "concurrency: %d calls, %d keys, %d threads -> %d executions, %d duplicate executions%n",
        threads * callsPerThread,
        keys,
        threads,
        executions.values().stream().mapToInt(AtomicInteger::get).sum(),
        duplicates);
    assertThat(executions).hasSize(keys);
    assertThat(duplicates).isZero();
    assertThat(results.values()).allSatisfy(set -> assertThat(set).hasSize(1));
  }
}
