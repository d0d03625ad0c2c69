package dev.idem.test.chaos;

import dev.idem.spi.IdempotencyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * One trial of a {@link ChaosTest}: its seed, and builders of fault-injecting stores and harnesses
 * seeded with it. The stores it built are described (seed and faults) when the trial fails.
 */
public final class ChaosTrial {

  private final int number;
  private final long seed;
  private final List<FaultInjectingStore> stores = new ArrayList<>();

  ChaosTrial(int number, long seed) {
    this.number = number;
    this.seed = seed;
  }

  /**
   * Returns the trial's number, from 1.
   *
   * @return the number
   */
  public int number() {
    return number;
  }

  /**
   * Returns the trial's seed; {@code @ChaosTest(seed = ...)} replays the trial.
   *
   * @return the seed
   */
  public long seed() {
    return seed;
  }

  /**
   * Returns a store injecting {@linkplain FaultInjectingStore#standard the faults Idem promises to
   * absorb}, seeded with this trial's seed.
   *
   * @param delegate the store the application uses
   * @param lease the lease of the tested operation
   * @return the store
   */
  public FaultInjectingStore standardFaults(IdempotencyStore delegate, Duration lease) {
    return remember(FaultInjectingStore.standard(delegate, seed, lease));
  }

  /**
   * Returns a builder of a store with faults of your choice, seeded with this trial's seed.
   *
   * @param delegate the store the application uses
   * @return the builder; the store it builds is not described on failure unless passed to {@link
   *     #remember}
   */
  public FaultInjectingStore.Builder faults(IdempotencyStore delegate) {
    return FaultInjectingStore.builder(delegate).seed(seed);
  }

  /**
   * Registers a store whose seed and faults a failure of this trial describes.
   *
   * @param store the store
   * @return the store
   */
  public FaultInjectingStore remember(FaultInjectingStore store) {
    synchronized (stores) {
      stores.add(store);
    }
    return store;
  }

  /**
   * Returns a harness for an operation, attached to the last store this trial built.
   *
   * @param operation one call of the operation
   * @param <T> the result type
   * @return the harness
   */
  public <T> RetrySafety<T> retrySafety(Callable<T> operation) {
    RetrySafety<T> harness = RetrySafety.of(operation);
    synchronized (stores) {
      if (!stores.isEmpty()) {
        harness.faults(stores.get(stores.size() - 1));
      }
    }
    return harness;
  }

  String describe() {
    StringBuilder text =
        new StringBuilder("chaos trial ")
            .append(number)
            .append(" failed; replay it with @ChaosTest(seed = ")
            .append(seed)
            .append("L) or -Didem.chaos.seed=")
            .append(seed);
    synchronized (stores) {
      for (FaultInjectingStore store : stores) {
        text.append("\n").append(store.describe());
      }
    }
    return text.toString();
  }

  @Override
  public String toString() {
    return "trial " + number + ", seed " + seed;
  }
}
