package dev.idem.benchmarks;

import dev.idem.IdempotencyConfig;
import dev.idem.benchmarks.Payments.ChargeCommand;
import dev.idem.benchmarks.Payments.Receipt;
import dev.idem.internal.AnnotatedMethod;
import dev.idem.internal.Fingerprinter;
import dev.idem.internal.KeyValues;
import dev.idem.internal.Keys;
import dev.idem.internal.ResultCodec;
import dev.idem.spi.Outcome;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The steps of one call on their own, to see where {@link CallBenchmark}'s time goes: evaluating
 * the key (SpEL for {@code @Idempotent}, a plain value for operations) and composing it, the
 * payload fingerprint (canonical JSON + SHA-256), and encoding and decoding the result.
 *
 * <p>Run (about 3 minutes):
 *
 * <pre>{@code
 * mvn -B -pl idem-benchmarks -am -Pbenchmarks -DskipTests package
 * java -jar idem-benchmarks/target/benchmarks.jar StepsBenchmark -rf json -rff steps.json
 * }</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
// JIT compilation settles only after ~10 s of a benchmark on a 2-core machine: three
// warm-up seconds left iterations several times slower than the steady state
@Warmup(iterations = 12, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
public class StepsBenchmark {

  private final IdempotencyConfig config = IdempotencyConfig.ofDefaults();
  private final Fingerprinter fingerprinter = new Fingerprinter(config.objectMapper());
  private final AnnotatedMethod annotated = AnnotatedMethod.of(Payments.CHARGE, config);
  private final ResultCodec codec =
      ResultCodec.forType(config.objectMapper(), Receipt.class, config.maxResultBytes());
  private final ChargeCommand command = Payments.command("order-1");
  private final Object[] arguments = {command};
  private final Receipt receipt = new Payments.PaymentService().charge(command);
  private final byte[] encoded = codec.encodeValue(receipt).unsafeBytes();

  /**
   * The key of an {@code @Idempotent} call: the compiled SpEL expression {@code #cmd.orderId} over
   * the arguments, then the composed store key.
   *
   * @return the key
   */
  @Benchmark
  public String annotatedKey() {
    return Keys.compose(
        "idem", "payments.charge", null, annotated.keyValue(arguments, fingerprinter));
  }

  /**
   * The key of a programmatic operation: the key value as text, then the composed store key.
   *
   * @return the key
   */
  @Benchmark
  public String operationKey() {
    return Keys.compose(
        "idem", "payments.charge", null, KeyValues.toKeyString(command.orderId(), fingerprinter));
  }

  /**
   * The fingerprint of an {@code @Idempotent} call's arguments (all of them, the default).
   *
   * @return the fingerprint
   */
  @Benchmark
  public String annotatedFingerprint() {
    return annotated.fingerprint(arguments, fingerprinter);
  }

  /**
   * The fingerprint of an operation's payload, the command.
   *
   * @return the fingerprint
   */
  @Benchmark
  public String operationFingerprint() {
    return fingerprinter.fingerprint(command);
  }

  /**
   * Encoding the receipt for the store.
   *
   * @return the outcome
   */
  @Benchmark
  public Outcome encodeResult() {
    return codec.encodeValue(receipt);
  }

  /**
   * Decoding a stored receipt for a replay.
   *
   * @return the receipt
   * @throws IOException never
   */
  @Benchmark
  public Object decodeResult() throws IOException {
    return codec.decodeValue(encoded);
  }
}
