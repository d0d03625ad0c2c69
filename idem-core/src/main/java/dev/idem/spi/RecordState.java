package dev.idem.spi;

/** The state of an idempotency record. */
public enum RecordState {
  /** Claimed: a call holds (or held) a lease and its body is running or crashed. */
  IN_PROGRESS,
  /** Completed: the outcome is stored and replayed until the record expires. */
  COMPLETED
}
