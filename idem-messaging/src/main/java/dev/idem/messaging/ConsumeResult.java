package dev.idem.messaging;

import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The result of {@link IdempotentConsumer#handle}: what to do with the delivery, and the failure
 * behind it, if any. Immutable.
 */
public final class ConsumeResult {

  private static final ConsumeResult PROCESSED = new ConsumeResult(Disposition.PROCESSED, null);
  private static final ConsumeResult DUPLICATE = new ConsumeResult(Disposition.DUPLICATE, null);

  private final Disposition disposition;
  private final @Nullable Throwable failure;

  private ConsumeResult(Disposition disposition, @Nullable Throwable failure) {
    this.disposition = disposition;
    this.failure = failure;
  }

  /**
   * Returns the result of a handler that ran and completed.
   *
   * @return the result
   */
  public static ConsumeResult processed() {
    return PROCESSED;
  }

  /**
   * Returns the result of a duplicate that was skipped.
   *
   * @return the result
   */
  public static ConsumeResult duplicate() {
    return DUPLICATE;
  }

  /**
   * Returns a result with a failure.
   *
   * @param disposition what to do with the delivery
   * @param failure why
   * @return the result
   */
  public static ConsumeResult failed(Disposition disposition, Throwable failure) {
    if (disposition.acknowledge()) {
      throw new IllegalArgumentException(disposition + " carries no failure");
    }
    return new ConsumeResult(disposition, Objects.requireNonNull(failure, "failure"));
  }

  /**
   * Returns what to do with the delivery.
   *
   * @return the disposition
   */
  public Disposition disposition() {
    return disposition;
  }

  /**
   * Returns the failure behind a delivery that is not acknowledged.
   *
   * @return the failure: the handler's exception, or an Idem exception
   */
  public Optional<Throwable> failure() {
    return Optional.ofNullable(failure);
  }

  @Override
  public String toString() {
    return failure == null ? disposition.name() : disposition + "[" + failure + "]";
  }
}
