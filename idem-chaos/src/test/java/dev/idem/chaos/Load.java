package dev.idem.chaos;

import dev.idem.IdempotencyInProgressException;
import dev.idem.IdempotencyStoreException;
import dev.idem.IdempotentOperation;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Load from this JVM: threads that call new keys one after another (retrying a 409 or 503 like
 * clients), and replay a random completed key after every other call, recording when each key was
 * first called, when its first call returned, and every value any call got.
 */
final class Load implements AutoCloseable {

  /** What happened to one key. */
  static final class KeyLog {
    final String key;
    final long firstCalledNanos;
    volatile long completedNanos;
    final Queue<String> values = new ConcurrentLinkedQueue<>();

    KeyLog(String key, long firstCalledNanos) {
      this.key = key;
      this.firstCalledNanos = firstCalledNanos;
    }
  }

  private final IdempotentOperation<String> op;
  private final Ledger ledger;
  private final String run;
  private final Supplier<String> nextKey;
  private final AtomicBoolean stop = new AtomicBoolean();
  private final ExecutorService pool;
  private final List<Future<?>> threads = new ArrayList<>();
  final Map<String, KeyLog> keys = new ConcurrentHashMap<>();
  final List<String> completedOrder = java.util.Collections.synchronizedList(new ArrayList<>());
  final AtomicInteger retried = new AtomicInteger();
  final AtomicInteger gaveUp = new AtomicInteger();

  Load(IdempotentOperation<String> op, Ledger ledger, String run, Supplier<String> nextKey) {
    this.op = op;
    this.ledger = ledger;
    this.run = run;
    this.nextKey = nextKey;
    this.pool = Executors.newCachedThreadPool();
  }

  /** Starts {@code n} threads. */
  Load start(int n) {
    for (int i = 0; i < n; i++) {
      threads.add(pool.submit(this::loop));
    }
    return this;
  }

  /** How many keys have completed so far. */
  int completed() {
    return completedOrder.size();
  }

  /** Stops the threads and waits for them. */
  void stopAndAwait() throws Exception {
    stop.set(true);
    for (Future<?> thread : threads) {
      thread.get(3, TimeUnit.MINUTES);
    }
  }

  /** Calls a key once more, retrying 409/503, and logs the value. */
  String retry(String key) {
    String value = call(key, Long.MAX_VALUE);
    if (value != null) {
      keys.get(key).values.add(value);
    }
    return value;
  }

  private Void loop() {
    boolean replay = false;
    while (!stop.get()) {
      if (replay && !completedOrder.isEmpty()) {
        String key = completedOrder.get(ThreadLocalRandom.current().nextInt(completedOrder.size()));
        String value = call(key, Long.MAX_VALUE);
        if (value != null) {
          keys.get(key).values.add(value);
        }
      } else {
        String key = nextKey.get();
        if (key == null) {
          return null;
        }
        KeyLog log = new KeyLog(key, System.nanoTime());
        keys.put(key, log);
        String value = call(key, Long.MAX_VALUE);
        if (value != null) {
          log.completedNanos = System.nanoTime();
          log.values.add(value);
          completedOrder.add(key);
        }
      }
      replay = !replay;
    }
    return null;
  }

  private String call(String key, long unused) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    long backoff = 20;
    while (true) {
      try {
        return op.execute(
            key,
            key,
            () -> {
              ledger.executed(run, key, "load");
              return "load/" + key + "/" + System.nanoTime();
            });
      } catch (IdempotencyInProgressException | IdempotencyStoreException e) {
        retried.incrementAndGet();
        if (System.nanoTime() > deadline) {
          gaveUp.incrementAndGet();
          return null;
        }
        try {
          Thread.sleep(backoff);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          return null;
        }
        backoff = Math.min(backoff * 2, 400);
      }
    }
  }

  @Override
  public void close() {
    stop.set(true);
    pool.shutdownNow();
  }
}
