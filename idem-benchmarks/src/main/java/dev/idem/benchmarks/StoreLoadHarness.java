package dev.idem.benchmarks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.idem.Idempotency;
import dev.idem.IdempotencyConfig;
import dev.idem.IdempotentOperation;
import dev.idem.NearCacheSettings;
import dev.idem.benchmarks.Payments.Receipt;
import dev.idem.spi.IdempotencyStore;
import dev.idem.store.memory.InMemoryIdempotencyStore;
import dev.idem.store.redis.LettuceIdempotencyStore;
import dev.idem.store.redis.RedissonIdempotencyStore;
import dev.idem.store.sql.JooqIdempotencyStore;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.jooq.SQLDialect;
import org.jspecify.annotations.Nullable;
import org.redisson.Redisson;
import org.redisson.api.RBucket;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;
import org.redisson.config.ConstantDelay;

/**
 * Puts each store under concurrent load through Idem and, in the same run, through a <b>raw
 * baseline</b> that does the least a hand-written idempotency check needs:
 *
 * <ul>
 *   <li>Redis, the headline baseline {@code raw-lettuce}: Lettuce over one shared connection, what
 *       a Spring Data Redis application already has. A first execution is one {@code SET NX PX GET}
 *       claim and one {@code SET PX} of the result; a replay is one {@code GET}; a duplicate polls
 *       with {@code GET}. The same commands through Redisson ({@code raw-redisson}, a pooled
 *       connection per command) are the second line. Idem runs on both clients ({@code
 *       idem-lettuce}, {@code idem-redisson}); the four run one after the other in each round
 *       (interleaved slices), and ratios are taken within a round.
 *   <li>PostgreSQL and MariaDB (plain JDBC, same HikariCP pool, a table of the same shape): a first
 *       execution is one insert-if-absent and one conditional update; a replay is one select.
 * </ul>
 *
 * <p>Workloads, at each thread count: <b>fresh</b> (every call a new key: the body runs),
 * <b>replay</b> (keys completed beforehand: the stored result comes back), and <b>near</b> (Idem's
 * replay with the near cache on, Redis), <b>duplicates</b> (1,000 keys, each called by 8 callers at
 * once, whose body takes 2 ms: it must run exactly once per key) and, for Redis, <b>commands</b>:
 * the Redis commands and Redis CPU per call of each implementation, from {@code INFO commandstats}
 * and {@code INFO cpu} before and after {@code --stats-calls} calls on one thread (run it against a
 * private Redis server: every other client's commands count too). Each run reports operations per
 * second, p50 and p99 latency, the ratio of Idem's throughput to the raw baseline's, and body
 * executions per key; {@code --rounds n} repeats the Redis slices and prints the median ratios. The
 * operation fingerprints its payload, as {@code @Idempotent} does by default; no meter registry is
 * configured.
 *
 * <p>Servers (override with {@code -Didem.bench.redis=redis://...}, {@code
 * -Didem.bench.postgres=jdbc:postgresql://...}, {@code -Didem.bench.mariadb=jdbc:mariadb://...}):
 * Redis 127.0.0.1:6379, PostgreSQL 127.0.0.1:5432 (database {@code test}, user {@code postgres}),
 * MariaDB 127.0.0.1:3306 (database {@code test}, user {@code root}). The harness uses its own
 * tables ({@code idem_bench}, {@code idem_bench_raw}, emptied at start) and Redis key prefixes
 * ({@code idem-bench:}, {@code idem-bench-raw:}, expiring after 10 minutes).
 *
 * <p>Each run warms up for 5 seconds by default: on a 2-core machine the JIT needs several seconds
 * to settle, and the Idem side, which has more code to compile than the baseline, would otherwise
 * be measured partly interpreted.
 *
 * <p>Run (arguments optional):
 *
 * <pre>{@code
 * mvn -B -pl idem-benchmarks -am -Pbenchmarks -DskipTests package
 * java -cp idem-benchmarks/target/benchmarks.jar dev.idem.benchmarks.StoreLoadHarness \
 *     --stores redis,postgres,mariadb,memory --threads 1,4,16 --warmup 5 --seconds 5 \
 *     --workloads fresh,replay,near,duplicates --rounds 1
 * java -Didem.bench.redis=redis://127.0.0.1:PRIVATE_PORT -cp idem-benchmarks/target/benchmarks.jar \
 *     dev.idem.benchmarks.StoreLoadHarness --stores redis --workloads commands --stats-calls 20000
 * }</pre>
 */
public final class StoreLoadHarness {

  private static final Duration TTL = Duration.ofMinutes(10);
  private static final int REPLAY_KEYS = 2_000;
  private static final int DUPLICATE_KEYS = 1_000;
  private static final int DUPLICATE_CALLERS = 8;
  private static final Duration DUPLICATE_BODY = Duration.ofMillis(2);
  private static final String FINGERPRINT = "f".repeat(64);
  private static final byte[] RESULT =
      "{\"orderId\":\"order-1\",\"amount\":42.5,\"status\":\"CAPTURED\"}"
          .getBytes(StandardCharsets.UTF_8);

  private static final String RAW_LETTUCE = "raw-lettuce";
  private static final String RAW_REDISSON = "raw-redisson";
  private static final String IDEM_LETTUCE = "idem-lettuce";
  private static final String IDEM_REDISSON = "idem-redisson";

  private final int[] threads;
  private final Duration warmup;
  private final Duration measure;
  private final String run = Long.toString(System.currentTimeMillis(), 36);
  private final List<Row> rows = new ArrayList<>();
  private int rounds = 1;
  private List<String> impls = List.of();
  private int statsCalls = 20_000;

  private StoreLoadHarness(int[] threads, Duration warmup, Duration measure) {
    this.threads = threads;
    this.warmup = warmup;
    this.measure = measure;
  }

  /**
   * Runs the harness.
   *
   * @param args {@code --stores a,b} {@code --threads 1,4,16} {@code --warmup seconds} {@code
   *     --seconds seconds} {@code --workloads fresh,replay,near,duplicates,commands} {@code
   *     --rounds n} {@code --stats-calls n}
   * @throws Exception if a store cannot be set up
   */
  public static void main(String[] args) throws Exception {
    Map<String, String> options = new LinkedHashMap<>();
    options.put("stores", "redis,postgres,mariadb,memory");
    options.put("threads", "1,4,16");
    options.put("warmup", "5");
    options.put("seconds", "5");
    options.put("workloads", "fresh,replay,near,duplicates");
    options.put("rounds", "1");
    options.put("impls", String.join(",", RAW_LETTUCE, IDEM_LETTUCE, IDEM_REDISSON, RAW_REDISSON));
    options.put("stats-calls", "20000");
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--") || !options.containsKey(args[i].substring(2))) {
        throw new IllegalArgumentException("unknown option " + args[i]);
      }
      options.put(args[i].substring(2), args[i + 1]);
    }
    int[] threads =
        Arrays.stream(options.get("threads").split(",")).mapToInt(Integer::parseInt).toArray();
    StoreLoadHarness harness =
        new StoreLoadHarness(
            threads,
            Duration.ofSeconds(Long.parseLong(options.get("warmup"))),
            Duration.ofSeconds(Long.parseLong(options.get("seconds"))));
    harness.rounds = Integer.parseInt(options.get("rounds"));
    harness.impls = List.of(options.get("impls").split(","));
    harness.statsCalls = Integer.parseInt(options.get("stats-calls"));
    List<String> workloads = List.of(options.get("workloads").split(","));
    System.out.printf(
        Locale.ROOT,
        "# Idem store load harness: %d cores, Java %s, warmup %s, measure %s per run%n",
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.version"),
        harness.warmup,
        harness.measure);
    for (String store : options.get("stores").split(",")) {
      switch (store) {
        case "redis" -> harness.redis(workloads);
        case "postgres" ->
            harness.sql(
                "postgres",
                System.getProperty("idem.bench.postgres", "jdbc:postgresql://127.0.0.1:5432/test"),
                "postgres",
                SQLDialect.POSTGRES,
                workloads);
        case "mariadb" ->
            harness.sql(
                "mariadb",
                System.getProperty("idem.bench.mariadb", "jdbc:mariadb://127.0.0.1:3306/test"),
                "root",
                SQLDialect.MARIADB,
                workloads);
        case "memory" -> harness.memory(workloads);
        default -> throw new IllegalArgumentException("unknown store " + store);
      }
    }
    harness.printTable();
    harness.printMedians();
  }

  // ---------------------------------------------------------------- stores

  private void redis(List<String> workloads) throws Exception {
    String url = System.getProperty("idem.bench.redis", "redis://127.0.0.1:6379");
    RedissonClient redisson = redissonClient(url);
    RedisClient lettuce = lettuceClient(url);
    StatefulRedisConnection<byte[], byte[]> rawConnection =
        lettuce.connect(ByteArrayCodec.INSTANCE);
    LettuceIdempotencyStore lettuceStore =
        LettuceIdempotencyStore.builder()
            .client(lettuce)
            .keyPrefix("idem-bench:")
            .timeout(Duration.ofSeconds(5))
            .build();
    try {
      IdempotencyStore redissonStore =
          RedissonIdempotencyStore.builder().client(redisson).keyPrefix("idem-bench:").build();
      Map<String, Target> targets = new LinkedHashMap<>();
      targets.put(RAW_LETTUCE, new RawLettuce(rawConnection.sync()));
      targets.put(IDEM_LETTUCE, new IdemTarget(lettuceStore, null));
      targets.put(IDEM_REDISSON, new IdemTarget(redissonStore, null));
      targets.put(RAW_REDISSON, new RawRedis(redisson));
      targets.keySet().retainAll(impls);
      // round 0 warms every implementation up and is not reported: otherwise the first slice of
      // a run would also compile the client code that the slices after it then find compiled
      int first = workloads.contains("fresh") || workloads.contains("replay") ? 0 : 1;
      for (int round = first; round <= rounds; round++) {
        for (int n : threads) {
          if (workloads.contains("fresh")) {
            interleave("redis", "fresh", round, n, targets);
          }
          if (workloads.contains("replay")) {
            interleave("redis", "replay", round, n, targets);
          }
        }
      }
      rows.removeIf(row -> row.round == 0);
      if (workloads.contains("near")) {
        Target near =
            new IdemTarget(lettuceStore, NearCacheSettings.of(100_000, Duration.ofMinutes(5)));
        for (int n : threads) {
          Row baseline = row("redis", "replay", IDEM_LETTUCE, n);
          runSlice("replay", "redis", "idem+near", near, n, baseline).note =
              "ratio to idem-lettuce's redis replay";
        }
      }
      if (workloads.contains("duplicates")) {
        if (impls.contains(IDEM_LETTUCE)) {
          duplicates("redis", IDEM_LETTUCE, idemDuplicates(lettuceStore));
        }
        if (impls.contains(IDEM_REDISSON)) {
          duplicates("redis", IDEM_REDISSON, idemDuplicates(redissonStore));
        }
        if (impls.contains(RAW_LETTUCE)) {
          duplicates("redis", RAW_LETTUCE, new RawLettuce(rawConnection.sync())::duplicate);
        }
      }
      if (workloads.contains("commands")) {
        RedisCommands<String, String> info = lettuce.connect().sync();
        for (int round = 1; round <= rounds; round++) {
          for (String impl : targets.keySet()) {
            commandStats(info, impl, targets.get(impl));
          }
        }
      }
    } finally {
      lettuceStore.close();
      rawConnection.close();
      lettuce.shutdown();
      redisson.shutdown();
    }
  }

  /**
   * One slice per implementation, one after the other, so that all of them see the same state of a
   * shared machine, in an order that rotates from round to round (no implementation always runs
   * first or right after another); ratios are over raw Lettuce (the headline) and over raw
   * Redisson, within the round.
   */
  private void interleave(
      String store, String workload, int round, int n, Map<String, Target> targets)
      throws Exception {
    List<String> order = new ArrayList<>(targets.keySet());
    java.util.Collections.rotate(order, -round);
    Map<String, Row> slice = new LinkedHashMap<>();
    for (String impl : order) {
      Target target = targets.get(impl);
      slice.put(impl, runSlice(workload, store, impl, target, n, null, round));
    }
    Row rawLettuce = slice.get(RAW_LETTUCE);
    Row rawRedisson = slice.get(RAW_REDISSON);
    for (Row row : slice.values()) {
      if (rawLettuce != null && row != rawLettuce) {
        row.ratio = row.opsPerSecond / rawLettuce.opsPerSecond;
      }
      if (rawRedisson != null && row.impl.startsWith("idem")) {
        row.ratioToRedisson = row.opsPerSecond / rawRedisson.opsPerSecond;
        row.note = String.format(Locale.ROOT, "%.2f× raw-redisson", row.ratioToRedisson);
      } else if (row == rawRedisson && row.ratio != null) {
        row.note = "ratio: raw-redisson over raw-lettuce";
      }
      if (round == 0) {
        row.note = "warm-up round, not reported";
      }
    }
  }

  /**
   * Counts the Redis commands and the Redis CPU per call of one implementation: {@code INFO
   * commandstats} and {@code INFO cpu} before and after {@link #statsCalls} calls on one thread,
   * for first executions and for replays. Run it on a Redis server nobody else uses: every other
   * client's commands count too.
   */
  private void commandStats(RedisCommands<String, String> info, String impl, Target target)
      throws Exception {
    LongAdder executions = new LongAdder();
    String prefix = "s-" + run + "-" + impl + "-" + statsRows.size() + "-";
    for (int i = 0; i < 2_000; i++) {
      target.first(prefix + "w-" + i, executions); // warm-up
    }
    String[] keys = new String[REPLAY_KEYS];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = prefix + "r-" + i;
      target.first(keys[i], executions);
    }
    for (String workload : List.of("fresh", "replay")) {
      Map<String, long[]> before = commandStats(info.info("commandstats"));
      double cpuBefore = cpuSeconds(info.info("cpu"));
      for (int i = 0; i < statsCalls; i++) {
        if (workload.equals("fresh")) {
          target.first(prefix + workload + "-" + i, executions);
        } else {
          target.replay(keys[i % keys.length], executions);
        }
      }
      double cpuAfter = cpuSeconds(info.info("cpu"));
      Map<String, long[]> after = commandStats(info.info("commandstats"));
      StringBuilder perCall = new StringBuilder();
      long commands = 0;
      long topLevelMicros = 0;
      for (Map.Entry<String, long[]> entry : after.entrySet()) {
        String command = entry.getKey();
        long[] was = before.getOrDefault(command, new long[2]);
        long calls = entry.getValue()[0] - was[0];
        if (command.equals("info") || calls == 0) {
          continue;
        }
        commands += calls;
        if (TOP_LEVEL.contains(command)) {
          topLevelMicros += entry.getValue()[1] - was[1];
        }
        perCall.append(
            String.format(Locale.ROOT, "%s %.2f, ", command, calls / (double) statsCalls));
      }
      StatsRow row =
          new StatsRow(
              impl,
              workload,
              commands / (double) statsCalls,
              perCall.length() > 2 ? perCall.substring(0, perCall.length() - 2) : "",
              topLevelMicros / (double) statsCalls,
              (cpuAfter - cpuBefore) * 1e6 / statsCalls);
      statsRows.add(row);
      System.out.println(row.format());
    }
  }

  /** Commands a client sends itself (their time includes that of the commands a script runs). */
  private static final List<String> TOP_LEVEL =
      List.of("evalsha", "eval", "set", "get", "publish", "script|load");

  private static Map<String, long[]> commandStats(String info) {
    Map<String, long[]> stats = new LinkedHashMap<>();
    for (String line : info.split("\r?\n")) {
      if (!line.startsWith("cmdstat_")) {
        continue;
      }
      String name = line.substring("cmdstat_".length(), line.indexOf(':'));
      stats.put(name, new long[] {statsField(line, "calls="), statsField(line, "usec=")});
    }
    return stats;
  }

  private static long statsField(String line, String field) {
    int from = line.indexOf(field) + field.length();
    int to = line.indexOf(',', from);
    return Long.parseLong(line.substring(from, to < 0 ? line.length() : to));
  }

  private static double cpuSeconds(String info) {
    double seconds = 0;
    for (String line : info.split("\\r?\\n")) {
      if (line.startsWith("used_cpu_sys:") || line.startsWith("used_cpu_user:")) {
        seconds += Double.parseDouble(line.substring(line.indexOf(':') + 1).strip());
      }
    }
    return seconds;
  }

  private void sql(String name, String url, String user, SQLDialect dialect, List<String> workloads)
      throws Exception {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    config.setUsername(user);
    config.setMaximumPoolSize(Arrays.stream(threads).max().orElse(16));
    config.setMinimumIdle(Arrays.stream(threads).max().orElse(16));
    config.setPoolName("idem-bench-" + name);
    try (HikariDataSource pool = new HikariDataSource(config)) {
      JooqIdempotencyStore store =
          JooqIdempotencyStore.builder(pool, dialect)
              .tableName("idem_bench")
              .build()
              .createSchemaIfMissing();
      JooqIdempotencyStore.builder(pool, dialect)
          .tableName("idem_bench_raw")
          .build()
          .createSchemaIfMissing();
      try (Connection connection = pool.getConnection();
          Statement statement = connection.createStatement()) {
        statement.execute("delete from idem_bench");
        statement.execute("delete from idem_bench_raw");
      }
      compare(name, new IdemTarget(store, null), new RawSql(pool, dialect), workloads);
      if (workloads.contains("duplicates")) {
        duplicates(name, store);
      }
    }
  }

  private void memory(List<String> workloads) throws Exception {
    // unbounded, and a new store per run so the heap only holds one run's records: a bounded
    // store evicts records under this load, in-progress ones included, and evicted keys run again
    for (int n : threads) {
      for (String workload : List.of("fresh", "replay")) {
        if (workloads.contains(workload)) {
          Target memory = new IdemTarget(InMemoryIdempotencyStore.create(), null);
          runSlice(workload, "memory", "idem", memory, n, null);
        }
      }
    }
    if (workloads.contains("duplicates")) {
      duplicates("memory", InMemoryIdempotencyStore.create());
    }
  }

  private void compare(String store, Target idem, Target raw, List<String> workloads)
      throws Exception {
    for (int n : threads) {
      for (String workload : List.of("fresh", "replay")) {
        if (workloads.contains(workload)) {
          Row baseline = runSlice(workload, store, "raw", raw, n, null);
          runSlice(workload, store, "idem", idem, n, baseline);
        }
      }
    }
  }

  private static RedisClient lettuceClient(String url) {
    RedisURI uri = RedisURI.create(url);
    uri.setTimeout(Duration.ofSeconds(5));
    return RedisClient.create(uri);
  }

  private static RedissonClient redissonClient(String url) {
    // the settings of the client RedissonIdempotencyStore.fromUrl builds, with a longer timeout:
    // a loaded two-core machine must not turn slow replies into errors
    Config config = new Config();
    config
        .setThreads(2)
        .setNettyThreads(4)
        .setCodec(org.redisson.client.codec.ByteArrayCodec.INSTANCE);
    config
        .useSingleServer()
        .setAddress(url)
        .setConnectTimeout(5_000)
        .setTimeout(5_000)
        .setRetryAttempts(1)
        .setRetryDelay(new ConstantDelay(Duration.ofMillis(200)))
        .setConnectionMinimumIdleSize(2)
        .setConnectionPoolSize(16)
        .setSubscriptionConnectionMinimumIdleSize(1)
        .setSubscriptionConnectionPoolSize(1);
    return Redisson.create(config);
  }

  // ---------------------------------------------------------------- workloads

  private Row runSlice(
      String workload, String store, String impl, Target target, int n, @Nullable Row baseline)
      throws Exception {
    return runSlice(workload, store, impl, target, n, baseline, 1);
  }

  /**
   * Runs one slice of {@code workload} ({@code fresh}: every call on a new key; {@code replay}:
   * calls on keys completed beforehand) through {@code target} on {@code n} threads, and adds its
   * row.
   */
  private Row runSlice(
      String workload,
      String store,
      String impl,
      Target target,
      int n,
      @Nullable Row baseline,
      int round)
      throws Exception {
    LongAdder executions = new LongAdder();
    String prefix = workload.charAt(0) + "-" + run + "-" + impl + "-" + n + "-" + round + "-";
    Result result;
    double perKey;
    if (workload.equals("fresh")) {
      result =
          load(
              n,
              (thread, i) -> {
                target.first(prefix + thread + "-" + i, executions);
              });
      // every call of the run, warm-up included, used a new key
      perKey = executions.sum() / (double) result.calls;
    } else {
      String[] keys = new String[REPLAY_KEYS];
      for (int i = 0; i < keys.length; i++) {
        keys[i] = prefix + i;
      }
      prepare(target, keys, executions);
      long prepared = executions.sum();
      result =
          load(
              n,
              (thread, i) -> {
                target.replay(keys[(int) ((thread * 7919L + i) % keys.length)], executions);
              });
      perKey = (executions.sum() - prepared) / (double) keys.length;
    }
    Row row = new Row(store, workload, impl, n, result, baseline, perKey);
    row.round = round;
    return add(row);
  }

  private void prepare(Target target, String[] keys, LongAdder executions) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (String key : keys) {
        done.add(
            pool.submit(
                () -> {
                  target.first(key, executions);
                  return null;
                }));
      }
      for (Future<?> future : done) {
        future.get();
      }
    } finally {
      pool.shutdown();
    }
  }

  /**
   * 1,000 keys, 8 callers each, released together; 16 threads, so two keys are in flight at once.
   */
  private void duplicates(String store, IdempotencyStore idempotencyStore) throws Exception {
    duplicates(store, "idem", idemDuplicates(idempotencyStore));
  }

  /** Idem's way of calling a duplicated key: an operation that waits, woken or polling. */
  private static DuplicateCall idemDuplicates(IdempotencyStore store) {
    Idempotency idempotency =
        Idempotency.of(
            IdempotencyConfig.builder()
                .store(store)
                .waitPolling(Duration.ofMillis(5), Duration.ofMillis(100))
                .build());
    IdempotentOperation<Receipt> op =
        idempotency.operation("bench.duplicates", Receipt.class).ttl(TTL).build();
    return (key, body) -> op.execute(key, Payments.command(key), body::call);
  }

  /** Calls a key that other callers call at the same time; the body must run once per key. */
  @FunctionalInterface
  interface DuplicateCall {
    void call(String key, Callable<Receipt> body) throws Exception;
  }

  private void duplicates(String store, String impl, DuplicateCall op) throws Exception {
    Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
    Histogram latencies = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
    AtomicLong errors = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(2 * DUPLICATE_CALLERS);
    long start = System.nanoTime();
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int k = 0; k < DUPLICATE_KEYS; k++) {
        String key = "d-" + run + "-" + impl + "-" + k;
        runs.put(key, new AtomicInteger());
        CountDownLatch ready = new CountDownLatch(DUPLICATE_CALLERS);
        for (int c = 0; c < DUPLICATE_CALLERS; c++) {
          done.add(
              pool.submit(
                  () -> {
                    ready.countDown();
                    ready.await(5, TimeUnit.SECONDS);
                    long t0 = System.nanoTime();
                    try {
                      op.call(
                          key,
                          () -> {
                            runs.get(key).incrementAndGet();
                            Thread.sleep(DUPLICATE_BODY.toMillis());
                            return new Receipt(key, Payments.command(key).amount(), "CAPTURED");
                          });
                    } catch (Exception e) {
                      errors.incrementAndGet();
                    }
                    long elapsed = System.nanoTime() - t0;
                    synchronized (latencies) {
                      latencies.recordValue(elapsed);
                    }
                    return null;
                  }));
        }
      }
      for (Future<?> future : done) {
        future.get();
      }
    } finally {
      pool.shutdown();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    int max = runs.values().stream().mapToInt(AtomicInteger::get).max().orElse(0);
    long duplicated = runs.values().stream().filter(r -> r.get() > 1).count();
    long never = runs.values().stream().filter(r -> r.get() == 0).count();
    Result result =
        new Result(
            DUPLICATE_KEYS * (long) DUPLICATE_CALLERS,
            DUPLICATE_KEYS * (long) DUPLICATE_CALLERS,
            seconds,
            latencies,
            errors.get());
    double perKey =
        runs.values().stream().mapToInt(AtomicInteger::get).sum() / (double) DUPLICATE_KEYS;
    Row row = add(new Row(store, "duplicates", impl, 2 * DUPLICATE_CALLERS, result, null, perKey));
    row.note =
        "max "
            + max
            + " executions of a key, "
            + duplicated
            + " keys run twice or more, "
            + never
            + " never run";
  }

  /** One call of a workload, for a thread and its call counter. */
  @FunctionalInterface
  interface Call {
    void run(int thread, long i) throws Exception;
  }

  private Result load(int n, Call call) throws Exception {
    long warmupNanos = warmup.toNanos();
    long measureNanos = measure.toNanos();
    ExecutorService pool = Executors.newFixedThreadPool(n);
    List<Future<Histogram>> histograms = new ArrayList<>();
    LongAdder errors = new LongAdder();
    LongAdder calls = new LongAdder();
    CountDownLatch go = new CountDownLatch(1);
    long[] window = new long[2];
    for (int t = 0; t < n; t++) {
      int thread = t;
      histograms.add(
          pool.submit(
              () -> {
                Histogram latencies = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
                go.await();
                long measureFrom = window[0];
                long end = window[1];
                for (long i = ThreadLocalRandom.current().nextInt(1_000); ; i++) {
                  long t0 = System.nanoTime();
                  if (t0 >= end) {
                    break;
                  }
                  calls.increment();
                  try {
                    call.run(thread, i);
                  } catch (Exception | Error e) {
                    errors.increment();
                    if (errors.sum() == 1) {
                      System.err.println("first error: " + e);
                    }
                  }
                  long t1 = System.nanoTime();
                  if (t0 >= measureFrom && t1 <= end) {
                    latencies.recordValue(t1 - t0);
                  }
                }
                return latencies;
              }));
    }
    window[0] = System.nanoTime() + warmupNanos;
    window[1] = window[0] + measureNanos;
    go.countDown();
    Histogram all = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
    for (Future<Histogram> histogram : histograms) {
      all.add(histogram.get());
    }
    pool.shutdown();
    return new Result(all.getTotalCount(), calls.sum(), measureNanos / 1e9, all, errors.sum());
  }

  // ---------------------------------------------------------------- reporting

  private static final class Result {
    final long ops;
    final long calls;
    final double seconds;
    final Histogram latencies;
    final long errors;

    Result(long ops, long calls, double seconds, Histogram latencies, long errors) {
      this.ops = ops;
      this.calls = calls;
      this.seconds = seconds;
      this.latencies = latencies;
      this.errors = errors;
    }
  }

  private static final class Row {
    final String store;
    final String workload;
    final String impl;
    final int threads;
    final double opsPerSecond;
    final double p50Micros;
    final double p99Micros;
    @Nullable Double ratio;
    final double executionsPerKey;
    final long errors;
    String note = "";
    int round = 1;
    @Nullable Double ratioToRedisson;

    Row(
        String store,
        String workload,
        String impl,
        int threads,
        Result result,
        @Nullable Row baseline,
        double executionsPerKey) {
      this.store = store;
      this.workload = workload;
      this.impl = impl;
      this.threads = threads;
      this.opsPerSecond = result.ops / result.seconds;
      this.p50Micros = result.latencies.getValueAtPercentile(50) / 1e3;
      this.p99Micros = result.latencies.getValueAtPercentile(99) / 1e3;
      this.ratio = baseline == null ? null : opsPerSecond / baseline.opsPerSecond;
      this.executionsPerKey = executionsPerKey;
      this.errors = result.errors;
    }

    String format() {
      return String.format(
          Locale.ROOT,
          "| %s | %s | %d | %s | %,.0f | %.0f | %.0f | %s | %.2f | %d | %s |",
          store,
          workload,
          threads,
          impl,
          opsPerSecond,
          p50Micros,
          p99Micros,
          ratio == null ? "" : String.format(Locale.ROOT, "%.2f", ratio),
          executionsPerKey,
          errors,
          note);
    }
  }

  /** Keeps {@code row} for the summary and prints it. */
  private Row add(Row row) {
    rows.add(row);
    System.out.println(row.format());
    return row;
  }

  private @Nullable Row idemRow(String store, String workload, int n) {
    return row(store, workload, "idem", n);
  }

  private @Nullable Row row(String store, String workload, String impl, int n) {
    for (Row row : rows) {
      if (row.store.equals(store)
          && row.workload.equals(workload)
          && row.threads == n
          && row.impl.equals(impl)) {
        return row;
      }
    }
    return null;
  }

  private void printTable() {
    System.out.println();
    System.out.println(
        "| store | workload | threads | impl | ops/s | p50 µs | p99 µs | ratio | executions/key"
            + " | errors | notes |");
    System.out.println("|---|---|---:|---|---:|---:|---:|---:|---:|---:|---|");
    for (Row row : rows) {
      System.out.println(row.format());
    }
  }

  /** The Redis ratios of every round and their medians, per workload and thread count. */
  private void printMedians() {
    if (!statsRows.isEmpty()) {
      System.out.println();
      System.out.println(
          "| impl | workload | commands/call | commands per call | EVALSHA/EVAL/SET/GET µs/call"
              + " | Redis CPU µs/call |");
      System.out.println("|---|---|---:|---|---:|---:|");
      for (StatsRow row : statsRows) {
        System.out.println(row.format());
      }
      // the CPU a call costs Redis is its least over the rounds: on a shared machine, the rest is
      // other processes preempting Redis
      System.out.println();
      System.out.println(
          "| impl | workload | least EVALSHA/EVAL/SET/GET µs/call | least Redis CPU µs/call |");
      System.out.println("|---|---|---:|---:|");
      Map<String, double[]> least = new LinkedHashMap<>();
      for (StatsRow row : statsRows) {
        least.merge(
            row.impl() + " | " + row.workload(),
            new double[] {row.topLevelMicros(), row.cpuMicros()},
            (a, b) -> new double[] {Math.min(a[0], b[0]), Math.min(a[1], b[1])});
      }
      least.forEach(
          (row, values) ->
              System.out.printf(Locale.ROOT, "| %s | %.2f | %.2f |%n", row, values[0], values[1]));
    }
    System.out.println();
    System.out.println(
        "| workload | threads | impl | ratio to raw-lettuce, median | each round | ratio to"
            + " raw-redisson, median | each round |");
    System.out.println("|---|---:|---|---:|---|---:|---|");
    for (String workload : List.of("fresh", "replay")) {
      for (int n : threads) {
        for (String impl : List.of(IDEM_LETTUCE, IDEM_REDISSON, RAW_REDISSON)) {
          List<Double> lettuce = new ArrayList<>();
          List<Double> redisson = new ArrayList<>();
          for (Row row : rows) {
            if (row.store.equals("redis")
                && row.workload.equals(workload)
                && row.threads == n
                && row.impl.equals(impl)
                && row.ratio != null) {
              lettuce.add(row.ratio);
              if (row.ratioToRedisson != null) {
                redisson.add(row.ratioToRedisson);
              }
            }
          }
          if (!lettuce.isEmpty()) {
            System.out.printf(
                Locale.ROOT,
                "| %s | %d | %s | %.2f | %s | %s | %s |%n",
                workload,
                n,
                impl,
                median(lettuce),
                format(lettuce),
                redisson.isEmpty() ? "" : String.format(Locale.ROOT, "%.2f", median(redisson)),
                format(redisson));
          }
        }
      }
    }
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    int middle = sorted.size() / 2;
    return sorted.size() % 2 == 1
        ? sorted.get(middle)
        : (sorted.get(middle - 1) + sorted.get(middle)) / 2;
  }

  private static String format(List<Double> values) {
    StringBuilder text = new StringBuilder();
    for (double value : values) {
      text.append(text.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.2f", value));
    }
    return text.toString();
  }

  private final List<StatsRow> statsRows = new ArrayList<>();

  /** Redis commands and CPU per call of one implementation and workload. */
  private record StatsRow(
      String impl,
      String workload,
      double commandsPerCall,
      String perCommand,
      double topLevelMicros,
      double cpuMicros) {
    String format() {
      return String.format(
          Locale.ROOT,
          "| %s | %s | %.2f | %s | %.2f | %.2f |",
          impl,
          workload,
          commandsPerCall,
          perCommand,
          topLevelMicros,
          cpuMicros);
    }
  }

  // ---------------------------------------------------------------- targets

  /** One way of making a call idempotent: through Idem, or by hand. */
  interface Target {
    /** Calls with a new key; the body runs and counts itself. */
    void first(String key, LongAdder executions) throws Exception;

    /** Calls with a completed key; the stored result comes back. */
    void replay(String key, LongAdder executions) throws Exception;
  }

  /** Idem's programmatic operation on a store, optionally near-cached. */
  static final class IdemTarget implements Target {
    private final IdempotentOperation<Receipt> op;

    IdemTarget(IdempotencyStore store, @Nullable NearCacheSettings near) {
      IdempotencyConfig.Builder config = IdempotencyConfig.builder().store(store);
      if (near != null) {
        config.nearCache(near);
      }
      Idempotency idempotency = Idempotency.of(config.build());
      this.op = idempotency.operation("bench.charge", Receipt.class).ttl(TTL).build();
    }

    @Override
    public void first(String key, LongAdder executions) {
      call(key, executions);
    }

    @Override
    public void replay(String key, LongAdder executions) {
      call(key, executions);
    }

    private void call(String key, LongAdder executions) {
      Payments.ChargeCommand cmd = Payments.command(key);
      op.execute(
          key,
          cmd,
          () -> {
            executions.increment();
            return new Receipt(cmd.orderId(), cmd.amount(), "CAPTURED");
          });
    }
  }

  /**
   * The same round trips as {@link RawLettuce} through Redisson (a pooled connection per command):
   * SET NX PX, then SET PX; GET for a replay.
   */
  static final class RawRedis implements Target {
    private final RedissonClient client;

    RawRedis(RedissonClient client) {
      this.client = client;
    }

    private RBucket<byte[]> bucket(String key) {
      return client.getBucket(
          "idem-bench-raw:{" + key + "}", org.redisson.client.codec.ByteArrayCodec.INSTANCE);
    }

    @Override
    public void first(String key, LongAdder executions) {
      RBucket<byte[]> bucket = bucket(key);
      byte[] claim = ("IN_PROGRESS:" + FINGERPRINT).getBytes(StandardCharsets.US_ASCII);
      if (!bucket.setIfAbsent(claim, Duration.ofSeconds(30))) {
        throw new IllegalStateException("key already claimed");
      }
      executions.increment();
      bucket.set(RESULT, TTL);
    }

    @Override
    public void replay(String key, LongAdder executions) {
      if (bucket(key).get() == null) {
        throw new IllegalStateException("no record");
      }
    }
  }

  /**
   * The minimum correct hand-written idempotency on Lettuce over one shared connection, what a
   * Spring Data Redis application can write in a few lines: a claim is one {@code SET key
   * IN_PROGRESS:fingerprint NX PX 30000 GET} (the old value tells a duplicate apart), the result is
   * stored with one {@code SET key result PX ttl}, a replay is one {@code GET}, and a duplicate
   * that finds the claim in progress polls with {@code GET}.
   */
  static final class RawLettuce implements Target {
    private static final byte[] CLAIM =
        ("IN_PROGRESS:" + FINGERPRINT).getBytes(StandardCharsets.US_ASCII);
    private static final SetArgs CLAIM_ARGS = SetArgs.Builder.nx().px(30_000);
    private static final SetArgs RESULT_ARGS = SetArgs.Builder.px(TTL.toMillis());
    private final RedisCommands<byte[], byte[]> redis;

    RawLettuce(RedisCommands<byte[], byte[]> redis) {
      this.redis = redis;
    }

    private static byte[] key(String key) {
      return ("idem-bench-raw:{" + key + "}").getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void first(String key, LongAdder executions) {
      byte[] redisKey = key(key);
      if (redis.setGet(redisKey, CLAIM, CLAIM_ARGS) != null) {
        throw new IllegalStateException("key already claimed");
      }
      executions.increment();
      redis.set(redisKey, RESULT, RESULT_ARGS);
    }

    @Override
    public void replay(String key, LongAdder executions) {
      if (redis.get(key(key)) == null) {
        throw new IllegalStateException("no record");
      }
    }

    /** A duplicated call: claim, or poll with GET every millisecond until the result is there. */
    void duplicate(String key, Callable<Receipt> body) throws Exception {
      byte[] redisKey = key(key);
      byte[] found = redis.setGet(redisKey, CLAIM, CLAIM_ARGS);
      if (found == null) {
        body.call();
        redis.set(redisKey, RESULT, RESULT_ARGS);
        return;
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (Arrays.equals(found, CLAIM)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("still in progress");
        }
        Thread.sleep(1);
        found = redis.get(redisKey);
      }
      if (found == null) {
        throw new IllegalStateException("claim expired");
      }
    }
  }

  /** The fewest SQL round trips by hand: insert-if-absent, conditional update; one select. */
  static final class RawSql implements Target {
    private final HikariDataSource pool;
    private final String insert;
    private final String update;
    private final String select;

    RawSql(HikariDataSource pool, SQLDialect dialect) {
      this.pool = pool;
      if (dialect == SQLDialect.POSTGRES) {
        insert =
            "insert into idem_bench_raw (idem_key, state, token, owner, fingerprint, lease_until,"
                + " created_at, expires_at) values (?, 'IN_PROGRESS', ?, 'raw', ?,"
                + " statement_timestamp() + interval '30 seconds', statement_timestamp(),"
                + " statement_timestamp() + interval '10 minutes') on conflict do nothing";
        update =
            "update idem_bench_raw set state = 'COMPLETED', outcome_kind = 'VALUE', outcome = ?,"
                + " lease_until = null, expires_at = statement_timestamp() + interval '10 minutes'"
                + " where idem_key = ? and token = ? and state = 'IN_PROGRESS'";
      } else {
        insert =
            "insert ignore into idem_bench_raw (idem_key, state, token, owner, fingerprint,"
                + " lease_until, created_at, expires_at) values (?, 'IN_PROGRESS', ?, 'raw', ?,"
                + " utc_timestamp(6) + interval 30 second, utc_timestamp(6),"
                + " utc_timestamp(6) + interval 10 minute)";
        update =
            "update idem_bench_raw set state = 'COMPLETED', outcome_kind = 'VALUE', outcome = ?,"
                + " lease_until = null, expires_at = utc_timestamp(6) + interval 10 minute"
                + " where idem_key = ? and token = ? and state = 'IN_PROGRESS'";
      }
      select =
          "select state, fingerprint, outcome_kind, outcome, expires_at from idem_bench_raw"
              + " where idem_key = ?";
    }

    @Override
    public void first(String key, LongAdder executions) throws SQLException {
      long token = System.nanoTime();
      byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
      try (Connection connection = pool.getConnection()) {
        try (PreparedStatement claim = connection.prepareStatement(insert)) {
          setKey(claim, 1, key, keyBytes);
          claim.setLong(2, token);
          claim.setString(3, FINGERPRINT);
          if (claim.executeUpdate() != 1) {
            throw new IllegalStateException("key already claimed");
          }
        }
      }
      executions.increment();
      try (Connection connection = pool.getConnection();
          PreparedStatement complete = connection.prepareStatement(update)) {
        complete.setBytes(1, RESULT);
        setKey(complete, 2, key, keyBytes);
        complete.setLong(3, token);
        if (complete.executeUpdate() != 1) {
          throw new IllegalStateException("not completed");
        }
      }
    }

    @Override
    public void replay(String key, LongAdder executions) throws SQLException {
      try (Connection connection = pool.getConnection();
          PreparedStatement read = connection.prepareStatement(select)) {
        setKey(read, 1, key, key.getBytes(StandardCharsets.UTF_8));
        try (ResultSet row = read.executeQuery()) {
          if (!row.next() || row.getBytes(4) == null) {
            throw new IllegalStateException("no record");
          }
        }
      }
    }

    private void setKey(PreparedStatement statement, int index, String key, byte[] bytes)
        throws SQLException {
      if (insert.startsWith("insert ignore")) {
        statement.setBytes(index, bytes); // MariaDB's key column is varbinary
      } else {
        statement.setString(index, key);
      }
    }
  }
}
