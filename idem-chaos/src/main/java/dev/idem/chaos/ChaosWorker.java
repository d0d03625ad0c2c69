package dev.idem.chaos;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.idem.Idempotency;
import dev.idem.IdempotencyConfig;
import dev.idem.IdempotencyInProgressException;
import dev.idem.IdempotencyPolicy;
import dev.idem.IdempotencyStoreException;
import dev.idem.IdempotentOperation;
import dev.idem.spi.ForwardingIdempotencyStore;
import dev.idem.spi.IdempotencyStore;
import dev.idem.store.redis.RedissonIdempotencyStore;
import dev.idem.store.sql.JooqIdempotencyStore;
import dev.idem.store.sql.JooqTransactionBinding;
import dev.idem.test.chaos.FaultInjectingStore;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.jooq.impl.DataSourceConnectionProvider;
import org.jooq.impl.DefaultConfiguration;
import org.jooq.impl.ThreadLocalTransactionProvider;

/**
 * The main class of a worker JVM. It builds a store on a private server, prints {@code READY},
 * waits for {@code GO} on its standard input, runs its mode and prints what every caller got, one
 * line each, so that the test can compare callers across processes:
 *
 * <ul>
 *   <li>{@code storm}: every key of {@code --keys} called by {@code --dups} concurrent callers, who
 *       retry a 409 or 503 like clients do; prints {@code RESULT key value} or {@code ERROR key
 *       exception}.
 *   <li>{@code hold}: one caller per key whose body runs {@code --body-ms}; prints {@code EXEC key
 *       millis} as each body starts, then {@code RESULT}/{@code ERROR}. With {@code --renew-marker}
 *       every lease renewal prints {@code RENEWING key} and its reply is held back {@code
 *       --renew-hold-ms} after the store applied it, so a kill can land in the middle of one.
 *   <li>{@code tx}: PostgreSQL transactional mode; {@code --threads} threads walk the keys in their
 *       own order, each call in a transaction that claims, inserts a business row and completes;
 *       prints {@code COMMIT key} after each commit.
 * </ul>
 *
 * Bodies record themselves in the {@link Ledger} before anything else. Values are {@code
 * worker/key/nanos}, unique to one execution.
 *
 * <p>Arguments: {@code name mode --option value ...}: {@code --redis URL} or {@code --pg JDBC-URL
 * --table T} (and {@code --business T} for tx); {@code --ledger host:port}, {@code --run ID},
 * {@code --keys k1,k2,...}, {@code --lease-ms}, {@code --wait-ms}, {@code --faults-seed} (wrap the
 * store in {@link FaultInjectingStore#standard}), {@code --body-ms}, {@code --dups}, {@code
 * --threads}.
 */
public final class ChaosWorker {

  private final String name;
  private final Map<String, String> options;
  private final Ledger ledger;
  private final String run;

  private ChaosWorker(String name, Map<String, String> options) {
    this.name = name;
    this.options = options;
    this.ledger = new Ledger(option("ledger"));
    this.run = option("run");
  }

  /**
   * Runs a worker.
   *
   * @param args the name, the mode and options
   * @throws Exception if the worker fails
   */
  public static void main(String[] args) throws Exception {
    Map<String, String> options = new HashMap<>();
    for (int i = 2; i + 1 < args.length; i += 2) {
      options.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    ChaosWorker worker = new ChaosWorker(args[0], options);
    try {
      switch (args[1]) {
        case "storm" -> worker.storm();
        case "hold" -> worker.hold();
        case "tx" -> worker.tx();
        default -> throw new IllegalArgumentException("unknown mode " + args[1]);
      }
      print("DONE");
      System.out.flush();
      Runtime.getRuntime().halt(0); // do not wait for store clients' threads
    } catch (Throwable t) {
      t.printStackTrace();
      print("FAILED " + t);
      System.out.flush();
      Runtime.getRuntime().halt(1);
    }
  }

  private void storm() throws Exception {
    IdempotencyStore store = store(false);
    Idempotency idem = idempotency(store);
    IdempotentOperation<String> op = idem.operation("chaos.storm", String.class).build();
    List<String> keys = keys();
    int dups = Integer.parseInt(option("dups"));
    List<String> calls = new ArrayList<>();
    for (String key : keys) {
      for (int d = 0; d < dups; d++) {
        calls.add(key);
      }
    }
    Collections.shuffle(calls, new Random(name.hashCode()));
    callAll(
        op,
        calls,
        Integer.parseInt(option("threads", "16")),
        Duration.ofMinutes(5),
        key -> Thread.sleep(ThreadLocalRandom.current().nextInt(5, 40)));
  }

  private void hold() throws Exception {
    IdempotencyStore store = store(options.containsKey("renew-marker"));
    Idempotency idem = idempotency(store);
    IdempotentOperation<String> op = idem.operation("chaos.hold", String.class).build();
    long bodyMillis = Long.parseLong(option("body-ms"));
    List<String> keys = keys();
    callAll(
        op,
        keys,
        keys.size(),
        Duration.ofMinutes(10),
        key -> {
          print("EXEC " + key + " " + System.currentTimeMillis());
          long until = System.nanoTime() + bodyMillis * 1_000_000;
          while (System.nanoTime() < until) {
            Thread.sleep(10);
          }
        });
  }

  /** What a body does for its key after recording in the ledger that it ran. */
  private interface Body {
    void run(String key) throws Exception;
  }

  /**
   * Waits for the go signal, then makes one call of {@code op} per entry of {@code calls} (a key,
   * possibly repeated) on {@code threads} threads and reports what each caller got. Each body
   * records in the ledger that it ran, runs {@code body} and returns the key's value.
   */
  private void callAll(
      IdempotentOperation<String> op, List<String> calls, int threads, Duration timeout, Body body)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    awaitGo();
    List<Future<?>> futures = new ArrayList<>();
    for (String key : calls) {
      futures.add(
          pool.submit(
              () ->
                  report(
                      key,
                      () ->
                          op.execute(
                              key,
                              key,
                              () -> {
                                ledger.executed(run, key, name);
                                body.run(key);
                                return value(key);
                              }))));
    }
    for (Future<?> future : futures) {
      future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }
    pool.shutdownNow();
  }

  private void tx() throws Exception {
    HikariDataSource pool = pool(Integer.parseInt(option("threads")) + 2);
    JooqTransactionBinding binding = JooqTransactionBinding.create();
    DSLContext dsl =
        binding.bind(
            DSL.using(
                new DefaultConfiguration()
                    .set(new ThreadLocalTransactionProvider(new DataSourceConnectionProvider(pool)))
                    .set(SQLDialect.POSTGRES)));
    JooqIdempotencyStore store =
        JooqIdempotencyStore.builder(dsl)
            .tableName(option("table"))
            .transactional(binding)
            .lockTimeout(Duration.ofSeconds(5))
            .build();
    Idempotency idem = idempotency(store);
    IdempotentOperation<String> op = idem.operation("chaos.tx", String.class).build();
    String business = option("business");
    List<String> keys = keys();
    int threads = Integer.parseInt(option("threads"));
    ExecutorService executor = Executors.newFixedThreadPool(threads);
    String warmup = "warmup-" + name; // loads and renders everything before the clock starts
    dsl.transactionResult(
        () ->
            op.execute(
                warmup,
                warmup,
                () -> {
                  insertBusinessRow(dsl, business, warmup);
                  return value(warmup);
                }));
    awaitGo();
    List<Future<?>> futures = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      List<String> order = new ArrayList<>(keys);
      Collections.shuffle(order, new Random(name.hashCode() * 31L + t));
      futures.add(
          executor.submit(
              () -> {
                for (String key : order) {
                  for (int attempt = 0; attempt < 20; attempt++) {
                    try {
                      dsl.transactionResult(
                          () ->
                              op.execute(
                                  key,
                                  key,
                                  () -> {
                                    insertBusinessRow(dsl, business, key);
                                    Thread.sleep(ThreadLocalRandom.current().nextInt(0, 4));
                                    return value(key);
                                  }));
                      print("COMMIT " + key);
                      break;
                    } catch (RuntimeException e) {
                      if (!retryable(e)) {
                        throw e;
                      }
                    }
                  }
                }
                return null;
              }));
    }
    for (Future<?> future : futures) {
      future.get(10, TimeUnit.MINUTES);
    }
    executor.shutdownNow();
  }

  private void insertBusinessRow(DSLContext dsl, String business, String key) {
    dsl.execute(
        "insert into " + DSL.quotedName(business) + " (biz_key, executed_by) values (?, ?)",
        key,
        name);
  }

  private static boolean retryable(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof IdempotencyInProgressException || t instanceof IdempotencyStoreException) {
        return true;
      }
    }
    return false;
  }

  /** Calls like a client: a 409 or 503 is retried with backoff for up to two minutes. */
  private void report(String key, java.util.concurrent.Callable<String> call) {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    long backoff = 20;
    while (true) {
      try {
        print("RESULT " + key + " " + call.call());
        return;
      } catch (IdempotencyInProgressException | IdempotencyStoreException e) {
        if (System.nanoTime() > deadline) {
          print("ERROR " + key + " " + e.getClass().getSimpleName() + ": " + e.getMessage());
          return;
        }
        try {
          Thread.sleep(backoff / 2 + ThreadLocalRandom.current().nextLong(backoff / 2 + 1));
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          return;
        }
        backoff = Math.min(backoff * 2, 500);
      } catch (Exception e) {
        print("ERROR " + key + " " + e.getClass().getSimpleName() + ": " + e.getMessage());
        return;
      }
    }
  }

  private Idempotency idempotency(IdempotencyStore store) {
    return Idempotency.of(
        IdempotencyConfig.builder()
            .store(store)
            .owner(name)
            .waitPolling(Duration.ofMillis(10), Duration.ofMillis(200))
            .defaults(
                IdempotencyPolicy.builder()
                    .lease(Duration.ofMillis(Long.parseLong(option("lease-ms"))))
                    .waitTimeout(Duration.ofMillis(Long.parseLong(option("wait-ms", "30000"))))
                    .ttl(Duration.ofHours(1))
                    .build())
            .build());
  }

  private IdempotencyStore store(boolean renewMarker) {
    IdempotencyStore store;
    if (options.containsKey("redis")) {
      store =
          RedissonIdempotencyStore.builder()
              .url(option("redis"))
              .timeout(Duration.ofSeconds(3))
              .build();
    } else {
      store =
          JooqIdempotencyStore.builder(pool(24), SQLDialect.POSTGRES)
              .tableName(option("table"))
              .build();
    }
    if (options.containsKey("faults-seed")) {
      store =
          FaultInjectingStore.standard(
              store,
              Long.parseLong(option("faults-seed")),
              Duration.ofMillis(Long.parseLong(option("lease-ms"))));
    }
    if (renewMarker) {
      long holdMillis = Long.parseLong(option("renew-hold-ms", "300"));
      store = new RenewMarker(store, holdMillis);
    }
    return store;
  }

  private HikariDataSource pool(int size) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(option("pg"));
    config.setMaximumPoolSize(size);
    config.setMinimumIdle(1);
    config.setConnectionTimeout(5_000);
    config.addDataSourceProperty("ApplicationName", "idem-chaos-worker");
    return new HikariDataSource(config);
  }

  private List<String> keys() {
    return List.of(option("keys").split(","));
  }

  private String value(String key) {
    return name + "/" + key + "/" + System.nanoTime();
  }

  private void awaitGo() throws Exception {
    print("READY");
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.equals("GO")) {
        return;
      }
    }
    throw new IllegalStateException("standard input closed before GO");
  }

  private String option(String key) {
    String value = options.get(key);
    if (value == null) {
      throw new IllegalArgumentException("missing --" + key);
    }
    return value;
  }

  private String option(String key, String fallback) {
    return options.getOrDefault(key, fallback);
  }

  static void print(String line) {
    synchronized (System.out) {
      System.out.println(line);
      System.out.flush();
    }
  }

  /**
   * Prints {@code RENEWING key} as a renewal leaves, and holds its reply back after the store
   * applied it: a kill in that window lands in the middle of a renewal.
   */
  private static final class RenewMarker extends ForwardingIdempotencyStore {
    private final long holdMillis;

    RenewMarker(IdempotencyStore delegate, long holdMillis) {
      super(delegate);
      this.holdMillis = holdMillis;
    }

    @Override
    public boolean renew(String key, long token, Duration lease) {
      print("RENEWING " + key);
      boolean renewed = super.renew(key, token, lease);
      try {
        Thread.sleep(holdMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return renewed;
    }
  }
}
