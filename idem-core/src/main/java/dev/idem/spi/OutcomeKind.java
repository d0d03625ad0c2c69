package dev.idem.spi;

/** What a completed record's outcome bytes hold. */
public enum OutcomeKind {
  /** The encoded return value (JSON); {@code null} is encoded as the JSON literal null. */
  VALUE,
  /** The method returns {@code void}; no bytes. */
  VOID,
  /** An exception listed in {@code replayOn}: its type (one of the listed ones) and message. */
  EXCEPTION,
  /**
   * The body succeeded but its result was not stored (too large or not serializable); the bytes
   * hold the reason as UTF-8 text. Retries get {@code IdempotencyReplayUnavailableException}.
   */
  DROPPED
}
