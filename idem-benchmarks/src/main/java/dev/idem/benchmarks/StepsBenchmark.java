package dev.idem.benchmarks;

import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import dev.idem.Idempotency;
import dev.idem.IdempotencyConfig;
import dev.idem.benchmarks.Payments.ChargeCommand;
import dev.idem.benchmarks.Payments.Receipt;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The steps of one call that can be run on their own through public API, to see where {@link
 * CallBenchmark}'s time goes: the payload fingerprint ({@link Idempotency#fingerprint(Object)}:
 * canonical JSON + SHA-256), and the Jackson work of storing and replaying the result, with the
 * configuration's {@code ObjectMapper} against the declared type as the result codec does. Key
 * evaluation is not public on its own: {@code CallBenchmark}'s {@code aspect} and {@code operation}
 * rows differ by it (SpEL) and by the fingerprint of the argument array.
 *
 * <p>Run (about 2 minutes):
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
  private final Idempotency idempotency = Idempotency.of(config);
  private final ObjectWriter writer = config.objectMapper().writerFor(Receipt.class);
  private final ObjectReader reader = config.objectMapper().readerFor(Receipt.class);
  private final ChargeCommand command = Payments.command("order-1");
  private final Object[] arguments = {command};
  private final Receipt receipt = new Payments.PaymentService().charge(command);
  private byte[] encoded = new byte[0];

  /**
   * Prepares the stored form of the receipt.
   *
   * @throws IOException never
   */
  @Setup
  public void encode() throws IOException {
    encoded = writer.writeValueAsBytes(receipt);
  }

  /** Closes the instance. */
  @TearDown
  public void close() {
    idempotency.close();
  }

  /**
   * The fingerprint of an {@code @Idempotent} call's arguments (all of them, the default).
   *
   * @return the fingerprint
   */
  @Benchmark
  public String annotatedFingerprint() {
    return idempotency.fingerprint(arguments);
  }

  /**
   * The fingerprint of an operation's payload, the command.
   *
   * @return the fingerprint
   */
  @Benchmark
  public String operationFingerprint() {
    return idempotency.fingerprint(command);
  }

  /**
   * Writing the receipt as the result codec stores it (Jackson, against the declared type).
   *
   * @return the bytes
   * @throws IOException never
   */
  @Benchmark
  public byte[] encodeResult() throws IOException {
    return writer.writeValueAsBytes(receipt);
  }

  /**
   * Reading a stored receipt for a replay (Jackson, against the declared type).
   *
   * @return the receipt
   * @throws IOException never
   */
  @Benchmark
  public Receipt decodeResult() throws IOException {
    return reader.readValue(encoded);
  }
}
