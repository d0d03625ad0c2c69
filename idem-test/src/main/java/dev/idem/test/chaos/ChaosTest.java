package dev.idem.test.chaos;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.TestTemplate;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs a test method once per chaos trial, each with its own seed, handing it a {@link ChaosTrial}
 * that builds seeded {@link FaultInjectingStore}s and {@link RetrySafety} harnesses. The display
 * name shows each trial's seed; a failing trial's message repeats it with the injected faults, and
 * {@code @ChaosTest(seed = ...)} replays exactly that trial.
 *
 * <pre>{@code
 * @ChaosTest(trials = 5)
 * void chargeIsRetrySafe(ChaosTrial trial) {
 *   FaultInjectingStore store = trial.standardFaults(InMemoryIdempotencyStore.create(), LEASE);
 *   ... configure Idem with the store ...
 *   trial.retrySafety(() -> payments.charge(cmd)).effects(gateway::charges).assertRetrySafe();
 * }
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
@TestTemplate
@ExtendWith(ChaosExtension.class)
public @interface ChaosTest {

  /**
   * How many trials to run, each with a seed of its own.
   *
   * @return the number of trials; 5 by default
   */
  int trials() default 5;

  /**
   * A seed to replay: one trial with exactly this seed. Zero (the default) draws fresh seeds,
   * unless the system property {@code idem.chaos.seed} names one.
   *
   * @return the seed, or 0
   */
  long seed() default 0;
}
