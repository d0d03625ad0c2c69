package dev.idem.messaging;

/**
 * What a broker adapter does with a delivery after {@link IdempotentConsumer#handle}: acknowledge
 * it, have it redelivered, or route it to the dead-letter destination.
 */
public enum Disposition {
  /** The handler ran and its outcome is stored: acknowledge. */
  PROCESSED(true),
  /** The message was handled before (the record says so): acknowledge, and do not run it again. */
  DUPLICATE(true),
  /**
   * The same message is being handled elsewhere right now (and the wait, if any, timed out): have
   * it redelivered later (nack with requeue; Kafka: seek back).
   */
  IN_PROGRESS(false),
  /**
   * The handler or the store failed; the key is released and nothing was committed: have the
   * message redelivered (nack with requeue; Kafka: seek back).
   */
  RETRY(false),
  /**
   * The handler failed with a permanent failure (stored, so duplicates fail the same way without
   * running), or the id was reused with a different payload: reject without requeue, so the broker
   * dead-letters it.
   */
  DEAD_LETTER(false),
  /**
   * The message has no usable id, so it cannot be deduplicated: it was not handled; reject without
   * requeue, so the broker dead-letters it (never processed twice, never dropped silently).
   */
  INVALID(false);

  private final boolean acknowledge;

  Disposition(boolean acknowledge) {
    this.acknowledge = acknowledge;
  }

  /**
   * Returns whether the delivery is acknowledged as done.
   *
   * @return true for {@link #PROCESSED} and {@link #DUPLICATE}
   */
  public boolean acknowledge() {
    return acknowledge;
  }

  /**
   * Returns whether the broker should deliver the message again.
   *
   * @return true for {@link #IN_PROGRESS} and {@link #RETRY}
   */
  public boolean redeliver() {
    return this == IN_PROGRESS || this == RETRY;
  }
}
