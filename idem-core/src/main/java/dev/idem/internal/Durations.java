package dev.idem.internal;

import java.time.Duration;

/** Checks the durations of settings; text is parsed by {@link dev.idem.PolicyAttributes}. */
public final class Durations {

  private Durations() {}

  /**
   * Checks that a duration is positive.
   *
   * @param duration the duration
   * @param what what it is, for the message
   * @return the duration
   * @throws IllegalArgumentException if it is zero or negative
   */
  public static Duration requirePositive(Duration duration, String what) {
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException(what + " must be a positive duration, got " + duration);
    }
    return duration;
  }
}
