package dev.idem.chaos;

import com.zaxxer.hikari.HikariDataSource;
import dev.idem.Idempotency;
import dev.idem.IdempotencyConfig;
import dev.idem.IdempotencyPolicy;
import dev.idem.annotation.OnInProgress;
import dev.idem.spi.IdempotencyStore;
import dev.idem.store.redis.RedissonIdempotencyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The store a scenario runs on: the private Redis or the private PostgreSQL. */
enum Backend {
  REDIS,
  POSTGRES;

  /** The records table of a run on PostgreSQL. */
  static String table(String run) {
    return "chaos_" + run.replace('-', '_');
  }

  /** The worker arguments that select this store. */
  List<String> workerArgs(String run) {
    return this == REDIS
        ? List.of("--redis", ChaosServers.storeRedis().url())
        : List.of("--pg", ChaosServers.postgres().jdbcUrl(), "--table", table(run));
  }

  /** Opens the store in this JVM (creating the run's table); closed with the returned handle. */
  Opened open(String run) {
    if (this == REDIS) {
      RedissonIdempotencyStore store = ChaosServers.redisStore(ChaosServers.storeRedis().url());
      return new Opened(store, List.of(store::close));
    }
    HikariDataSource pool = ChaosServers.pool(ChaosServers.postgres().jdbcUrl(), 16);
    return new Opened(ChaosServers.sqlStore(pool, table(run)), List.of(pool::close));
  }

  /** A store opened in this JVM and what closes it. */
  record Opened(IdempotencyStore store, List<AutoCloseable> closers) implements AutoCloseable {
    @Override
    public void close() {
      for (AutoCloseable closer : new ArrayList<>(closers)) {
        try {
          closer.close();
        } catch (Exception e) {
          // best effort
        }
      }
    }
  }

  /** An Idempotency instance over a store, with a lease and a wait policy. */
  static Idempotency idempotency(
      IdempotencyStore store, String owner, Duration lease, OnInProgress onInProgress) {
    return Idempotency.of(
        IdempotencyConfig.builder()
            .store(store)
            .owner(owner)
            .waitPolling(Duration.ofMillis(10), Duration.ofMillis(200))
            .defaults(
                IdempotencyPolicy.builder()
                    .lease(lease)
                    .onInProgress(onInProgress)
                    .waitTimeout(Duration.ofSeconds(30))
                    .ttl(Duration.ofHours(1))
                    .build())
            .build());
  }

  /** Keys {@code prefix-0 ... prefix-(n-1)}. */
  static List<String> keys(String prefix, int n) {
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      keys.add(prefix + "-" + i);
    }
    return keys;
  }

  /** Common worker arguments. */
  static List<String> args(String mode, Backend backend, String run, Object... more) {
    List<String> args = new ArrayList<>();
    args.add(mode);
    args.addAll(backend.workerArgs(run));
    args.addAll(List.of("--ledger", ChaosServers.ledger().address(), "--run", run));
    for (Object o : more) {
      args.add(String.valueOf(o));
    }
    return args;
  }

  /** The value part of a {@code RESULT key value} line. */
  static String resultValue(String line) {
    return line.substring(line.indexOf(' ', "RESULT ".length()) + 1);
  }

  /** The key of a {@code VERB key ...} line. */
  static String lineKey(String line) {
    String[] parts = line.split(" ");
    return parts[1];
  }

  /** Closes every worker, ignoring failures. */
  static void closeAll(List<WorkerProcess> workers) {
    for (WorkerProcess worker : workers) {
      worker.close();
    }
  }

  static long since(long startNanos) {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }
}
