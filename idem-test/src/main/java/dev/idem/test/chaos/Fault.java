package dev.idem.test.chaos;

import java.time.Duration;

/**
 * One fault a {@link FaultInjectingStore} injected, in the order it happened.
 *
 * @param sequence the fault's number in this store's trace, from 1
 * @param operation the store operation it hit
 * @param key the composed key of the call
 * @param call the number of earlier calls of this operation on this key (0 for the first)
 * @param kind what was done
 * @param duration the delay or pause, or zero
 */
public record Fault(
    long sequence, StoreOperation operation, String key, int call, Kind kind, Duration duration) {

  /** What a fault does to the operation it hits. */
  public enum Kind {
    /** The operation runs late, by {@link Fault#duration()}. */
    DELAY,
    /** The operation fails with {@code IdempotencyStoreException} and is not applied. */
    FAIL,
    /**
     * The operation is applied but its reply is lost: the caller gets {@code
     * IdempotencyStoreException} ("it worked but the caller timed out").
     */
    LOSE_REPLY,
    /**
     * The claim's holder freezes as a paused JVM would: its lease renewals never reach the store
     * and its completion arrives {@link Fault#duration()} late, so another caller may take the key
     * over meanwhile.
     */
    ZOMBIE
  }

  @Override
  public String toString() {
    return "#"
        + sequence
        + " "
        + operation
        + " call "
        + call
        + " of '"
        + key
        + "': "
        + kind
        + (duration.isZero() ? "" : " " + duration.toMillis() + " ms");
  }
}
