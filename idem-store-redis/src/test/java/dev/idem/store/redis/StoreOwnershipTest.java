package dev.idem.store.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idem.Idempotency;
import dev.idem.IdempotencyConfig;
import dev.idem.IdempotentOperation;
import dev.idem.test.servers.TestRedis;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Who closes a store built from a URL, whose Redisson client runs non-daemon threads that keep the
 * JVM alive: Idem, when the configuration hands the store over; else the application.
 */
class StoreOwnershipTest {

  private static Set<Thread> redissonThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith("redisson"))
        .collect(Collectors.toSet());
  }

  private static String use(Idempotency idem) {
    IdempotentOperation<String> op = idem.operation("ownership.op", String.class).build();
    return op.execute(UUID.randomUUID().toString(), null, () -> "done");
  }

  private static Set<Thread> startedSince(Set<Thread> before) {
    Set<Thread> started = new HashSet<>(redissonThreads());
    started.removeAll(before);
    return started;
  }

  private static void assertAllEnded(Set<Thread> threads) throws InterruptedException {
    for (Thread thread : threads) {
      thread.join(15_000);
    }
    assertThat(threads.stream().filter(Thread::isAlive).map(Thread::getName))
        .as("Redisson threads still running")
        .isEmpty();
  }

  @Test
  void closingIdemShutsDownAUrlStoreHandedOverToIt() throws Exception {
    Set<Thread> before = redissonThreads();
    Idempotency idem =
        Idempotency.of(
            IdempotencyConfig.builder()
                .store(RedissonIdempotencyStore.fromUrl(TestRedis.standaloneUrl()))
                .closeStoreOnClose(true)
                .build());
    assertThat(use(idem)).isEqualTo("done");
    Set<Thread> started = startedSince(before);
    assertThat(started.stream().filter(t -> !t.isDaemon()))
        .as("non-daemon threads of the store's own client")
        .isNotEmpty();

    idem.close();

    assertAllEnded(started);
  }

  @Test
  void closingIdemLeavesTheApplicationsStoreOpenUntilItClosesIt() throws Exception {
    Set<Thread> before = redissonThreads();
    RedissonIdempotencyStore store = RedissonIdempotencyStore.fromUrl(TestRedis.standaloneUrl());
    Idempotency idem = Idempotency.of(IdempotencyConfig.builder().store(store).build());
    use(idem);
    Set<Thread> started = startedSince(before);

    idem.close();

    assertThat(use(Idempotency.of(IdempotencyConfig.builder().store(store).build())))
        .isEqualTo("done");
    store.close();
    assertAllEnded(started);
  }
}
