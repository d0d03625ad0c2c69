package dev.idem.messaging;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idem.Idempotency;
import dev.idem.IdempotencyConfig;
import dev.idem.IdempotencyInProgressException;
import dev.idem.IdempotencyKeyException;
import dev.idem.IdempotencyKeyReuseException;
import dev.idem.annotation.OnInProgress;
import dev.idem.store.memory.InMemoryIdempotencyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class IdempotentConsumerTest {

  record Msg(@Nullable String id, String body) {}

  /** A permanent failure: stored and dead-lettered. */
  public static class PoisonMessageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public PoisonMessageException(String message) {
      super(message);
    }
  }

  private final Idempotency idempotency =
      Idempotency.of(IdempotencyConfig.builder().store(InMemoryIdempotencyStore.create()).build());
  private final Map<String, AtomicInteger> executions = new ConcurrentHashMap<>();

  @AfterEach
  void close() {
    idempotency.close();
  }

  private IdempotentConsumer.Builder<Msg> consumer() {
    return IdempotentConsumer.builder(idempotency, "test.consumer", Msg::id);
  }

  private void count(Msg m) {
    executions.computeIfAbsent(m.body(), k -> new AtomicInteger()).incrementAndGet();
  }

  @Test
  void handlesANewMessageAndSkipsItsDuplicates() {
    IdempotentConsumer<Msg> consumer = consumer().build();

    ConsumeResult first = consumer.handle(new Msg("m-1", "a"), this::count);
    ConsumeResult second = consumer.handle(new Msg("m-1", "a"), this::count);
    ConsumeResult third = consumer.handle(new Msg("m-1", "a"), this::count);

    assertThat(first.disposition()).isEqualTo(Disposition.PROCESSED);
    assertThat(second.disposition()).isEqualTo(Disposition.DUPLICATE);
    assertThat(third.disposition()).isEqualTo(Disposition.DUPLICATE);
    assertThat(second.disposition().acknowledge()).isTrue();
    assertThat(executions.get("a")).hasValue(1);
  }

  @Test
  void handlerFailureReleasesTheIdSoTheRedeliveryRunsAgain() {
    IdempotentConsumer<Msg> consumer = consumer().build();
    AtomicInteger attempts = new AtomicInteger();

    ConsumeResult failed =
        consumer.handle(
            new Msg("m-2", "b"),
            m -> {
              attempts.incrementAndGet();
              throw new IllegalStateException("database busy");
            });
    ConsumeResult redelivered =
        consumer.handle(new Msg("m-2", "b"), m -> attempts.incrementAndGet());

    assertThat(failed.disposition()).isEqualTo(Disposition.RETRY);
    assertThat(failed.disposition().redeliver()).isTrue();
    assertThat(failed.failure()).containsInstanceOf(IllegalStateException.class);
    assertThat(redelivered.disposition()).isEqualTo(Disposition.PROCESSED);
    assertThat(attempts).hasValue(2);
  }

  @Test
  void permanentFailureIsStoredAndDeadLetteredWithoutRunningDuplicates() {
    IdempotentConsumer<Msg> consumer =
        consumer().permanentFailures(PoisonMessageException.class).build();
    AtomicInteger attempts = new AtomicInteger();
    MessageHandler<Msg> poison =
        m -> {
          attempts.incrementAndGet();
          throw new PoisonMessageException("unknown product");
        };

    ConsumeResult first = consumer.handle(new Msg("m-3", "c"), poison);
    ConsumeResult duplicate = consumer.handle(new Msg("m-3", "c"), poison);

    assertThat(first.disposition()).isEqualTo(Disposition.DEAD_LETTER);
    assertThat(first.disposition().redeliver()).isFalse();
    assertThat(duplicate.disposition()).isEqualTo(Disposition.DEAD_LETTER);
    assertThat(duplicate.failure().orElseThrow())
        .isInstanceOf(PoisonMessageException.class)
        .hasMessage("unknown product");
    assertThat(attempts).hasValue(1);
  }

  @Test
  void messageWithoutUsableIdIsRefusedWithATypedErrorAndNeverHandled() {
    IdempotentConsumer<Msg> consumer = consumer().build();
    IdempotentConsumer<Msg> throwing =
        IdempotentConsumer.<Msg>builder(
                idempotency,
                "test.throwing",
                m -> {
                  throw new IllegalArgumentException("no header");
                })
            .build();

    List<ConsumeResult> results = new ArrayList<>();
    results.add(consumer.handle(new Msg(null, "d"), this::count));
    results.add(consumer.handle(new Msg("  ", "d"), this::count));
    results.add(consumer.handle(new Msg("bad\u0000id", "d"), this::count));
    results.add(throwing.handle(new Msg("m-4", "d"), this::count));

    assertThat(results)
        .allSatisfy(
            r -> {
              assertThat(r.disposition()).isEqualTo(Disposition.INVALID);
              assertThat(r.disposition().acknowledge()).isFalse();
              assertThat(r.disposition().redeliver()).isFalse();
              assertThat(r.failure()).containsInstanceOf(IdempotencyKeyException.class);
            });
    assertThat(executions).isEmpty();
  }

  @Test
  void idReusedWithADifferentPayloadIsDeadLettered() {
    IdempotentConsumer<Msg> consumer = consumer().fingerprint(Msg::body).build();

    ConsumeResult first = consumer.handle(new Msg("m-5", "e"), this::count);
    ConsumeResult same = consumer.handle(new Msg("m-5", "e"), this::count);
    ConsumeResult other = consumer.handle(new Msg("m-5", "f"), this::count);

    assertThat(first.disposition()).isEqualTo(Disposition.PROCESSED);
    assertThat(same.disposition()).isEqualTo(Disposition.DUPLICATE);
    assertThat(other.disposition()).isEqualTo(Disposition.DEAD_LETTER);
    assertThat(other.failure()).containsInstanceOf(IdempotencyKeyReuseException.class);
    assertThat(executions).containsOnlyKeys("e");
  }

  @Test
  void inFlightDuplicateIsRedeliveredUnderReject() throws Exception {
    IdempotentConsumer<Msg> consumer = consumer().onInProgress(OnInProgress.REJECT).build();
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<ConsumeResult> first =
          pool.submit(
              () ->
                  consumer.handle(
                      new Msg("m-6", "g"),
                      m -> {
                        started.countDown();
                        release.await();
                        count(m);
                      }));
      assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();

      ConsumeResult duplicate = consumer.handle(new Msg("m-6", "g"), this::count);
      release.countDown();

      assertThat(duplicate.disposition()).isEqualTo(Disposition.IN_PROGRESS);
      assertThat(duplicate.disposition().redeliver()).isTrue();
      assertThat(duplicate.failure()).containsInstanceOf(IdempotencyInProgressException.class);
      assertThat(first.get(10, TimeUnit.SECONDS).disposition()).isEqualTo(Disposition.PROCESSED);
      assertThat(consumer.handle(new Msg("m-6", "g"), this::count).disposition())
          .isEqualTo(Disposition.DUPLICATE);
      assertThat(executions.get("g")).hasValue(1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void inFlightDuplicateWaitsForTheFirstAndIsSkipped() throws Exception {
    IdempotentConsumer<Msg> consumer =
        consumer().onInProgress(OnInProgress.WAIT).waitTimeout(Duration.ofSeconds(10)).build();
    CountDownLatch started = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<ConsumeResult> first =
          pool.submit(
              () ->
                  consumer.handle(
                      new Msg("m-7", "h"),
                      m -> {
                        started.countDown();
                        Thread.sleep(200);
                        count(m);
                      }));
      assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
      Future<ConsumeResult> duplicate =
          pool.submit(() -> consumer.handle(new Msg("m-7", "h"), this::count));

      assertThat(first.get(10, TimeUnit.SECONDS).disposition()).isEqualTo(Disposition.PROCESSED);
      assertThat(duplicate.get(10, TimeUnit.SECONDS).disposition())
          .isEqualTo(Disposition.DUPLICATE);
      assertThat(executions.get("h")).hasValue(1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void concurrentDuplicatesRunEachMessageOnce() throws Exception {
    IdempotentConsumer<Msg> consumer = consumer().build();
    int threads = 6;
    int messages = 200;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    Map<Disposition, AtomicInteger> dispositions = new ConcurrentHashMap<>();
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        futures.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < messages; i++) {
                    ConsumeResult r = consumer.handle(new Msg("id-" + i, "body-" + i), this::count);
                    dispositions
                        .computeIfAbsent(r.disposition(), d -> new AtomicInteger())
                        .incrementAndGet();
                  }
                }));
      }
      for (Future<?> f : futures) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(executions).hasSize(messages);
    assertThat(executions.values()).allSatisfy(c -> assertThat(c).hasValue(1));
    assertThat(dispositions.get(Disposition.PROCESSED)).hasValue(messages);
    assertThat(dispositions.get(Disposition.DUPLICATE)).hasValue(messages * (threads - 1));
  }

  /** Records commits and rollbacks; the in-memory store itself is not transactional. */
  static final class RecordingRunner implements TransactionRunner {
    final List<String> log = new ArrayList<>();
    boolean failCommit;

    @Override
    public void inTransaction(Runnable work) {
      try {
        work.run();
      } catch (RuntimeException e) {
        log.add("rollback");
        throw e;
      }
      if (failCommit) {
        log.add("commit failed");
        throw new IllegalStateException("connection lost at commit");
      }
      log.add("commit");
    }
  }

  @Test
  void transactionCommitsAHandledMessageAndRollsBackAFailedOne() {
    RecordingRunner runner = new RecordingRunner();
    IdempotentConsumer<Msg> consumer = consumer().transactions(runner).build();

    ConsumeResult ok = consumer.handle(new Msg("t-1", "i"), this::count);
    ConsumeResult dup = consumer.handle(new Msg("t-1", "i"), this::count);
    ConsumeResult failed =
        consumer.handle(
            new Msg("t-2", "j"),
            m -> {
              throw new IllegalStateException("deadlock");
            });

    assertThat(ok.disposition()).isEqualTo(Disposition.PROCESSED);
    assertThat(dup.disposition()).isEqualTo(Disposition.DUPLICATE);
    assertThat(failed.disposition()).isEqualTo(Disposition.RETRY);
    assertThat(failed.failure()).containsInstanceOf(IllegalStateException.class);
    assertThat(runner.log).containsExactly("commit", "commit", "rollback");
  }

  @Test
  void permanentFailureRollsBackTheHandlersWritesAndStoresTheFailureInASecondTransaction() {
    RecordingRunner runner = new RecordingRunner();
    IdempotentConsumer<Msg> consumer =
        consumer().transactions(runner).permanentFailures(PoisonMessageException.class).build();
    AtomicInteger attempts = new AtomicInteger();
    MessageHandler<Msg> poison =
        m -> {
          attempts.incrementAndGet();
          throw new PoisonMessageException("bad");
        };

    ConsumeResult first = consumer.handle(new Msg("t-3", "k"), poison);
    ConsumeResult duplicate = consumer.handle(new Msg("t-3", "k"), poison);

    assertThat(first.disposition()).isEqualTo(Disposition.DEAD_LETTER);
    assertThat(duplicate.disposition()).isEqualTo(Disposition.DEAD_LETTER);
    assertThat(attempts).hasValue(1);
    assertThat(runner.log).startsWith("rollback", "commit", "rollback");
  }

  @Test
  void failedCommitAsksForRedelivery() {
    RecordingRunner runner = new RecordingRunner();
    runner.failCommit = true;
    IdempotentConsumer<Msg> consumer = consumer().transactions(runner).build();

    ConsumeResult result = consumer.handle(new Msg("t-4", "l"), this::count);

    assertThat(result.disposition()).isEqualTo(Disposition.RETRY);
    assertThat(result.failure()).containsInstanceOf(IllegalStateException.class);
  }
}
