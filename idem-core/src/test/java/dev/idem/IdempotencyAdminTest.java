package dev.idem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idem.spi.ClaimResult;
import dev.idem.spi.OutcomeKind;
import dev.idem.spi.RecordState;
import dev.idem.store.memory.InMemoryIdempotencyStore;
import dev.idem.test.MutableClock;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class IdempotencyAdminTest {

  record Receipt(String orderId, long cents) {}

  private final MutableClock clock = MutableClock.create();
  private final InMemoryIdempotencyStore store =
      InMemoryIdempotencyStore.builder().clock(clock).build();
  private final AtomicReference<@Nullable String> scope = new AtomicReference<>();
  private final Idempotency idem =
      Idempotency.of(
          IdempotencyConfig.builder()
              .store(store)
              .clock(clock)
              .keyPrefix("shop")
              .scopeSupplier(scope::get)
              .build());
  private final IdempotencyAdmin admin = idem.admin();
  private final ExecutorService pool = Executors.newCachedThreadPool();

  @AfterEach
  void tearDown() {
    pool.shutdownNow();
    idem.close();
  }

  private IdempotentOperation<Receipt> charge() {
    return idem.operation("payments.charge", Receipt.class).ttl(Duration.ofHours(1)).build();
  }

  private static String sha256(String text) throws Exception {
    return HexFormat.of()
        .formatHex(
            MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void findsACompletedRecordUnderTheKeyTheEngineComposed() throws Exception {
    Instant start = clock.instant();
    charge().execute("order-42", "payload", () -> new Receipt("order-42", 990));

    IdempotencyAdmin.RecordView view = admin.find("payments.charge", "order-42").orElseThrow();

    assertThat(view.operation()).isEqualTo("payments.charge");
    assertThat(view.state()).isEqualTo(RecordState.COMPLETED);
    assertThat(view.outcomeKind()).isEqualTo(OutcomeKind.VALUE);
    assertThat(view.token()).isPositive();
    assertThat(view.owner()).isNotBlank();
    assertThat(view.createdAt()).isEqualTo(start);
    assertThat(view.leaseUntil()).isNull();
    assertThat(view.expiresAt()).isEqualTo(start.plus(Duration.ofHours(1)));
    assertThat(view.fingerprint()).isNotBlank();
    assertThat(view.outcomeBytes()).isEqualTo("{\"orderId\":\"order-42\",\"cents\":990}".length());
    assertThat(view.body()).as("no body unless asked for").isNull();
    assertThat(view.keySha256()).isEqualTo(sha256("shop:payments.charge:order-42"));
    assertThat(view.toString()).doesNotContain("order-42");
  }

  @Test
  void showsTheStoredBodyOnlyWhenAskedFor() {
    charge().execute("order-7", null, () -> new Receipt("order-7", 5));

    IdempotencyAdmin.RecordView view =
        admin.find("payments.charge", "order-7", null, true).orElseThrow();

    assertThat(new String(view.body(), StandardCharsets.UTF_8))
        .isEqualTo("{\"orderId\":\"order-7\",\"cents\":5}");
    assertThat(view.fingerprint()).isNull();
    assertThat(view.toString()).doesNotContain("order-7");
  }

  @Test
  void composesScopesAndNonStringKeysAsCallsDo() {
    UUID id = UUID.randomUUID();
    scope.set("tenant:1");
    charge().execute(id, null, () -> new Receipt("x", 1));
    charge().execute(Map.of("b", 2, "a", 1), null, () -> new Receipt("y", 2));
    scope.set(null);

    assertThat(admin.find("payments.charge", id)).isEmpty();
    assertThat(admin.find("payments.charge", id, "tenant:1", false)).isPresent();
    assertThat(admin.find("payments.charge", id.toString(), "tenant:1", false)).isPresent();
    assertThat(admin.find("payments.charge", Map.of("a", 1, "b", 2), "tenant:1", false))
        .isPresent();
    assertThat(admin.find("payments.charge", id, "tenant:2", false)).isEmpty();
    assertThat(admin.find("payments.refund", id, "tenant:1", false)).isEmpty();
  }

  @Test
  void addressesHttpEndpointKeysAsPrincipalAndKeyLists() {
    IdempotentOperation<String> place = idem.operation("orders.place", String.class).build();
    place.execute(Arrays.asList("alice", "k-1"), null, () -> "created for alice");
    place.execute(Arrays.asList(null, "k-1"), null, () -> "created anonymously");

    assertThat(admin.find("orders.place", "k-1")).isEmpty();
    assertThat(admin.find("orders.place", Arrays.asList("alice", "k-1"), null, true))
        .map(view -> new String(view.body(), StandardCharsets.UTF_8))
        .contains("\"created for alice\"");
    assertThat(admin.find("orders.place", Arrays.asList(null, "k-1"), null, true))
        .map(view -> new String(view.body(), StandardCharsets.UTF_8))
        .contains("\"created anonymously\"");
  }

  @Test
  void showsAnInProgressRecordWithItsLease() throws Exception {
    CountDownLatch running = new CountDownLatch(1);
    CountDownLatch finish = new CountDownLatch(1);
    Future<Receipt> call =
        pool.submit(
            () ->
                charge()
                    .execute(
                        "order-9",
                        null,
                        () -> {
                          running.countDown();
                          finish.await();
                          return new Receipt("order-9", 1);
                        }));
    assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();

    IdempotencyAdmin.RecordView view = admin.find("payments.charge", "order-9").orElseThrow();

    assertThat(view.state()).isEqualTo(RecordState.IN_PROGRESS);
    assertThat(view.leaseUntil()).isAfter(clock.instant());
    assertThat(view.outcomeKind()).isNull();
    assertThat(view.outcomeBytes()).isZero();
    finish.countDown();
    call.get(10, TimeUnit.SECONDS);
  }

  @Test
  void deletingACompletedRecordMakesTheNextCallRunTheBodyAgain() {
    AtomicInteger runs = new AtomicInteger();
    IdempotentOperation<Receipt> charge = charge();
    charge.execute("order-1", null, () -> new Receipt("order-1", runs.incrementAndGet()));

    assertThat(admin.delete("payments.charge", "order-1")).isTrue();
    assertThat(admin.find("payments.charge", "order-1")).isEmpty();
    assertThat(admin.delete("payments.charge", "order-1")).isFalse();
    Receipt again =
        charge.execute("order-1", null, () -> new Receipt("order-1", runs.incrementAndGet()));

    assertThat(again.cents()).isEqualTo(2);
    assertThat(runs).hasValue(2);
  }

  @Test
  void deletingAStuckRecordLetsTheNextCallRunAndFencesTheStuckCaller() {
    ClaimResult stuck =
        store.claim(
            "shop:payments.charge:order-3",
            null,
            "dead-node",
            Duration.ofMinutes(5),
            Duration.ofHours(1));
    assertThat(stuck).isInstanceOf(ClaimResult.Acquired.class);
    long staleToken = ((ClaimResult.Acquired) stuck).token();

    assertThat(admin.find("payments.charge", "order-3").orElseThrow().owner())
        .isEqualTo("dead-node");
    assertThat(admin.delete("payments.charge", "order-3")).isTrue();
    Receipt fresh = charge().execute("order-3", null, () -> new Receipt("order-3", 3));

    assertThat(fresh.cents()).isEqualTo(3);
    assertThat(store.release("shop:payments.charge:order-3", staleToken)).isFalse();
    assertThat(admin.find("payments.charge", "order-3").orElseThrow().token())
        .isGreaterThan(staleToken);
  }

  @Test
  void deletingForgetsTheNearCachedRecord() {
    Idempotency cached =
        Idempotency.of(
            IdempotencyConfig.builder()
                .store(store)
                .clock(clock)
                .nearCache(NearCacheSettings.ofDefaults())
                .build());
    try {
      AtomicInteger runs = new AtomicInteger();
      IdempotentOperation<Integer> op = cached.operation("counter", Integer.class).build();
      op.execute("k", null, runs::incrementAndGet);
      op.execute("k", null, runs::incrementAndGet); // now served from the near cache

      assertThat(cached.admin().delete("counter", "k")).isTrue();

      assertThat(op.execute("k", null, runs::incrementAndGet)).isEqualTo(2);
    } finally {
      cached.close();
    }
  }

  @Test
  void deletionsAreAuditedAtInfoWithAHashOfTheKeyNeverTheKey() throws Exception {
    charge().execute("customer-secret-1", null, () -> new Receipt("x", 1));
    List<LogRecord> records = new ArrayList<>();
    Logger logger = Logger.getLogger("dev.idem.admin");
    Handler handler =
        new Handler() {
          @Override
          public void publish(LogRecord record) {
            records.add(record);
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    logger.addHandler(handler);
    try {
      admin.delete("payments.charge", "customer-secret-1");
      admin.delete("payments.charge", "customer-secret-2");
    } finally {
      logger.removeHandler(handler);
    }

    assertThat(records).hasSize(2);
    List<String> texts =
        records.stream()
            .peek(r -> assertThat(r.getLevel()).isEqualTo(java.util.logging.Level.INFO))
            .map(r -> java.text.MessageFormat.format(r.getMessage(), r.getParameters()))
            .toList();
    assertThat(texts.get(0))
        .contains("deleted", "'payments.charge'", sha256("shop:payments.charge:customer-secret-1"))
        .doesNotContain("customer-secret");
    assertThat(texts.get(1)).contains("not found").doesNotContain("customer-secret");
    assertThat(admin.keySha256("payments.charge", "customer-secret-1", null))
        .isEqualTo(sha256("shop:payments.charge:customer-secret-1"));
  }

  @Test
  void refusesInvalidNamesAndKeysBeforeReachingTheStore() {
    assertThatThrownBy(() -> admin.find("bad:name", "k"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> admin.delete("payments.charge", " "))
        .isInstanceOf(IdempotencyKeyException.class);
    assertThatThrownBy(() -> admin.find("payments.charge", "k", "", false))
        .isInstanceOf(IdempotencyKeyException.class);
  }
}
