package dev.idem.benchmarks;

import dev.idem.Idempotency;
import dev.idem.IdempotencyConfig;
import dev.idem.IdempotentOperation;
import dev.idem.NearCacheSettings;
import dev.idem.benchmarks.Payments.ChargeCommand;
import dev.idem.benchmarks.Payments.PaymentService;
import dev.idem.benchmarks.Payments.Receipt;
import dev.idem.store.memory.InMemoryIdempotencyStore;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One call of an idempotent method on the in-memory store, against a direct call of the same method
 * measured in the same run: the first execution of a key (claim, body, complete) and the replay of
 * a completed key (claim, fingerprint check, decode), through each way of calling Idem.
 *
 * <ul>
 *   <li>{@code direct}: the method itself, the baseline;
 *   <li>{@code operation}: the programmatic {@link IdempotentOperation};
 *   <li>{@code aspect}: {@link Idempotency#invoke}, what the woven {@code @Idempotent} aspect calls
 *       (SpEL key over the method's parameters, fingerprint of all arguments);
 *   <li>{@code operation_near} and {@code aspect_near}: the same with the near cache on;
 *   <li>{@code operation_nopayload}: the operation without a payload, so without a fingerprint
 *       (what a replay costs when the key alone identifies the request).
 * </ul>
 *
 * <p>Each implementation sits behind the tiny {@link Caller} adapter, after Caffeine's {@code
 * GetPutBenchmark}. Every iteration gets a new store holding at most {@value #STORE_SIZE} records,
 * so first executions run against a store in steady state; {@code replay} cycles through {@value
 * #REPLAY_KEYS} keys completed during setup.
 *
 * <p>Run (about 7 minutes):
 *
 * <pre>{@code
 * mvn -B -pl idem-benchmarks -am -Pbenchmarks -DskipTests package
 * java -jar idem-benchmarks/target/benchmarks.jar CallBenchmark -rf json -rff call.json
 * }</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
// JIT compilation settles only after ~10 s of a benchmark on a 2-core machine: three
// warm-up seconds left iterations several times slower than the steady state
@Warmup(iterations = 12, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 2,
    jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class CallBenchmark {

  static final int REPLAY_KEYS = 1 << 10;
  static final long STORE_SIZE = 1 << 13;

  /** Which way of calling the method is measured. */
  @Param({"direct", "operation", "aspect", "operation_near", "aspect_near", "operation_nopayload"})
  public String path = "direct";

  private final PaymentService service = new PaymentService();
  private final ChargeCommand[] replayed = new ChargeCommand[REPLAY_KEYS];
  private @Nullable Idempotency idempotency;
  private Caller caller = service::charge;

  /** Calls the charge method one way. */
  @FunctionalInterface
  interface Caller {
    Receipt charge(ChargeCommand cmd) throws Throwable;
  }

  /** Per-thread position in the key sequences. */
  @State(Scope.Thread)
  public static class Cursor {
    int replay;
    long fresh;
    final String prefix = "fresh-" + Thread.currentThread().getId() + "-";
  }

  /** Makes a fresh store and completes the replayed keys. */
  @Setup(Level.Iteration)
  public void setUp() throws Throwable {
    caller = caller(path);
    for (int i = 0; i < REPLAY_KEYS; i++) {
      replayed[i] = Payments.command("order-" + i);
      caller.charge(replayed[i]);
    }
  }

  /** Stops the iteration's instance. */
  @TearDown(Level.Iteration)
  public void tearDown() {
    if (idempotency != null) {
      idempotency.close();
      idempotency = null;
    }
  }

  private Caller caller(String path) {
    boolean near = path.endsWith("_near");
    // bounded, so that first executions measure a store in steady state (as TTL expiry keeps a
    // real one) rather than the garbage collector copying an ever-growing heap
    IdempotencyConfig.Builder config =
        IdempotencyConfig.builder()
            .store(InMemoryIdempotencyStore.builder().maximumSize(STORE_SIZE).build());
    if (near) {
      config.nearCache(NearCacheSettings.of(2 * REPLAY_KEYS, Duration.ofMinutes(5)));
    }
    switch (path) {
      case "direct":
        return service::charge;
      case "operation_nopayload":
        {
          Idempotency idem = Idempotency.of(config.build());
          idempotency = idem;
          IdempotentOperation<Receipt> op =
              idem.operation("payments.charge", Receipt.class).build();
          return cmd -> op.execute(cmd.orderId(), null, () -> service.charge(cmd));
        }
      case "operation":
      case "operation_near":
        {
          Idempotency idem = Idempotency.of(config.build());
          idempotency = idem;
          IdempotentOperation<Receipt> op =
              idem.operation("payments.charge", Receipt.class).build();
          return cmd -> op.execute(cmd.orderId(), cmd, () -> service.charge(cmd));
        }
      case "aspect":
      case "aspect_near":
        {
          Idempotency idem = Idempotency.of(config.build());
          idempotency = idem;
          idem.validate(Payments.CHARGE);
          return cmd -> {
            @SuppressWarnings("unchecked")
            Receipt receipt =
                (Receipt)
                    idem.invoke(Payments.CHARGE, new Object[] {cmd}, () -> service.charge(cmd));
            return receipt;
          };
        }
      default:
        throw new IllegalArgumentException("unknown path " + path);
    }
  }

  /**
   * Calls with a key never used before: the body runs.
   *
   * @param cursor this thread's key sequence
   * @return the receipt
   * @throws Throwable never
   */
  @Benchmark
  public Receipt firstExecution(Cursor cursor) throws Throwable {
    return caller.charge(Payments.command(cursor.prefix + cursor.fresh++));
  }

  /**
   * Calls with a completed key: the stored receipt is replayed.
   *
   * @param cursor this thread's key sequence
   * @return the receipt
   * @throws Throwable never
   */
  @Benchmark
  public Receipt replay(Cursor cursor) throws Throwable {
    return caller.charge(replayed[cursor.replay++ & (REPLAY_KEYS - 1)]);
  }
}
