package dev.idem.spi;

import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Atomic, per-key storage of idempotency records: the only thing a backend has to provide.
 *
 * <p><b>Atomicity.</b> Each operation is linearizable per key: two concurrent claims of an absent
 * key never both acquire it. Each is one round trip to the backend on the paths a call normally
 * takes (claiming a new key, replaying a completed one, completing, releasing); a store may take a
 * second round trip on a rare path, as the Redis stores do when a claim meets a key held in
 * progress.
 *
 * <p><b>Time.</b> Leases and time-to-live are computed with the store's clock (Redis {@code PX},
 * SQL {@code now()}, the injected {@link java.time.Clock} for in-JVM stores), never with the
 * caller's, so clock skew between JVMs cannot cause a premature takeover.
 *
 * <p><b>Tokens and fencing.</b> Every acquisition returns a fencing token. Tokens are positive and
 * increase per key: a takeover returns a token greater than the one it replaces, and a claim of a
 * key whose record was released or expired returns a token greater than any token the store
 * previously issued for that key (stores derive fresh tokens from a store-wide counter or from a
 * clock in microseconds). A store that creates the record of an absent key with one plain
 * conditional write (the Redis stores) cannot read the store's clock there and takes that token
 * from the claiming JVM's clock; it is then greater than the key's earlier tokens unless that clock
 * is behind the clock that issued them by more than the record's time to live. {@link #complete},
 * {@link #release} and {@link #renew} act only when the presented token equals the record's current
 * token and the record is {@link RecordState#IN_PROGRESS}; otherwise they change nothing and return
 * false. The engine compares tokens only for equality, so fencing never depends on their order.
 *
 * <p><b>Immutability.</b> A {@link RecordState#COMPLETED} record never changes until it expires: it
 * is never taken over, renewed, released or completed again. This is what makes near caching safe.
 *
 * <p><b>Expiry.</b> An {@code IN_PROGRESS} record expires no earlier than its lease end and no
 * earlier than {@code ttl} after its claim; a {@code COMPLETED} record expires {@code ttl} after
 * completion. An expired record is treated as absent by every operation, whether or not the backend
 * has physically removed it yet.
 *
 * <p><b>Errors.</b> Implementations throw only {@link dev.idem.IdempotencyStoreException}, with the
 * driver's exception as the cause, and never put raw keys in messages above DEBUG.
 *
 * <p><b>Threads.</b> Implementations are thread-safe.
 *
 * <p><b>Keys.</b> Keys reach the store already composed and validated by the engine: at most 255
 * characters, no control characters. Stores compare keys exactly (case- and whitespace-sensitive).
 */
public interface IdempotencyStore extends AutoCloseable {

  /**
   * Returns the short technology name of this store, used as the {@code store} tag of metrics and
   * in error messages, for example {@code memory}, {@code postgres}, {@code redis}.
   *
   * @return the store name
   */
  String name();

  /**
   * Atomically claims a key for execution.
   *
   * <ul>
   *   <li>No live record: creates an {@code IN_PROGRESS} record owned by {@code owner}, with a
   *       fresh token, the fingerprint, a lease ending {@code lease} from now, and returns {@link
   *       ClaimResult.Acquired} with {@code takeover == false}.
   *   <li>An {@code IN_PROGRESS} record whose lease has ended: takes it over (new token greater
   *       than the old one, new owner, new fingerprint, new lease) and returns {@link
   *       ClaimResult.Acquired} with {@code takeover == true}.
   *   <li>An {@code IN_PROGRESS} record with a live lease: returns {@link ClaimResult.InProgress}
   *       with the record, unchanged.
   *   <li>A {@code COMPLETED} record: returns {@link ClaimResult.Completed} with the record,
   *       unchanged.
   * </ul>
   *
   * @param key the composed key
   * @param fingerprint the payload fingerprint to store, or null when the operation has none
   * @param owner a description of the claimant (node and thread), for diagnostics only
   * @param lease how long the claim stays exclusive without renewal; positive
   * @param ttl how long the record lives; positive
   * @return the outcome of the claim
   * @throws dev.idem.IdempotencyStoreException if the store fails; the claim may or may not have
   *     been made, and the caller must not run the body
   */
  ClaimResult claim(
      String key, @Nullable String fingerprint, String owner, Duration lease, Duration ttl);

  /**
   * Completes an {@code IN_PROGRESS} record held with {@code token}: stores the outcome, marks it
   * {@code COMPLETED} and sets it to expire {@code ttl} from now.
   *
   * @param key the composed key
   * @param token the token returned by the claim
   * @param outcome the outcome to store
   * @param ttl how long the completed record lives; positive
   * @return true if the record was completed; false if the token is not the current one (the record
   *     was taken over, released, completed or has expired), in which case nothing changed
   * @throws dev.idem.IdempotencyStoreException if the store fails
   */
  boolean complete(String key, long token, Outcome outcome, Duration ttl);

  /**
   * Deletes an {@code IN_PROGRESS} record held with {@code token}, so that the next claim of the
   * key acquires it.
   *
   * @param key the composed key
   * @param token the token returned by the claim
   * @return true if the record was deleted; false if the token is not the current one or the record
   *     is completed or absent, in which case nothing changed
   * @throws dev.idem.IdempotencyStoreException if the store fails
   */
  boolean release(String key, long token);

  /**
   * Sets the lease of an {@code IN_PROGRESS} record held with {@code token} to end {@code lease}
   * from now, and moves the record's expiry to at least that lease end (the expiry is never
   * shortened).
   *
   * @param key the composed key
   * @param token the token returned by the claim
   * @param lease the new lease, from now; positive
   * @return true if the lease was extended; false if the token is not the current one or the record
   *     is completed or absent, in which case nothing changed
   * @throws dev.idem.IdempotencyStoreException if the store fails
   */
  boolean renew(String key, long token, Duration lease);

  /**
   * Removes the record of a key whatever its state, token or owner: an operator's repair (a key
   * stuck {@code IN_PROGRESS} whose owner is gone, a completed record that must be forgotten), not
   * a step of the engine's algorithm. Atomic per key, like every operation.
   *
   * <p><b>Fencing.</b> A caller still holding a token of the removed record can no longer complete,
   * release or renew it, and the next claim of the key acquires it with a token greater than any
   * the key had. Waiting duplicates are woken where the store notifies them. A store that keeps
   * tombstones to keep tokens growing (Redis) may keep one here too.
   *
   * @param key the composed key
   * @return true if a record was removed (a live one, or an expired one not yet purged); false if
   *     there was none
   * @throws dev.idem.IdempotencyStoreException if the store fails
   */
  boolean delete(String key);

  /**
   * Reads the live record of a key.
   *
   * @param key the composed key
   * @return the record, or empty if there is none or it has expired
   * @throws dev.idem.IdempotencyStoreException if the store fails
   */
  Optional<IdempotencyRecord> find(String key);

  /**
   * Returns the completion notifier of this store, if it can wake waiting duplicates when a record
   * is completed or released. Stores without one are polled.
   *
   * @return the notifier, or empty
   */
  default Optional<CompletionNotifier> completionNotifier() {
    return Optional.empty();
  }

  /**
   * Returns the purger of this store, if its expired records must be deleted explicitly (stores
   * whose backend expires entries by itself return empty).
   *
   * @return the purger, or empty
   */
  default Optional<ExpiredRecordPurger> purger() {
    return Optional.empty();
  }

  /**
   * Releases resources the store created itself (clients, threads). Resources passed in by the
   * application are left open. The default does nothing.
   */
  @Override
  default void close() {}
}
