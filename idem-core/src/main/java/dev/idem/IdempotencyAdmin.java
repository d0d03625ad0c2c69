package dev.idem;

import dev.idem.internal.Engine;
import dev.idem.internal.Fingerprinter;
import dev.idem.internal.KeyValues;
import dev.idem.internal.Keys;
import dev.idem.internal.Sha256;
import dev.idem.spi.IdempotencyRecord;
import dev.idem.spi.Outcome;
import dev.idem.spi.OutcomeKind;
import dev.idem.spi.RecordState;
import java.lang.System.Logger.Level;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * An operator's view of the records of an {@link Idempotency} instance: finds the record of an
 * operation's key ("why did this request replay?") and deletes it ("this key is stuck"). Obtained
 * from {@link Idempotency#admin()}; thread-safe.
 *
 * <pre>{@code
 * IdempotencyAdmin admin = idem.admin();
 * admin.find("payments.charge", "order-42").ifPresent(System.out::println);
 * admin.delete("payments.charge", "order-42");
 * }</pre>
 *
 * <p><b>Keys.</b> The store key is composed exactly as a call composes it, from the instance's key
 * prefix, the operation name, the scope (absent unless given: an operator's thread has no scope of
 * its own) and the key value, which is converted as {@link IdempotentOperation#execute} converts it
 * (strings, numbers, UUIDs and enums as text, other values as canonical JSON). The key of an
 * {@code @IdempotentEndpoint} request of the Spring Boot starter is the list {@code [principal,
 * key]}, the principal null when the request was anonymous: {@code Arrays.asList(null, "k-1")}.
 *
 * <p><b>Privacy.</b> Views carry the record's metadata and the size of its stored outcome, not the
 * outcome itself unless asked for, and never the raw key: {@link RecordView#keySha256()} is the
 * SHA-256 of the store key, the form the audit log uses.
 *
 * <p><b>Deletion.</b> {@link #delete} removes the record whatever its state through {@link
 * dev.idem.spi.IdempotencyStore#delete}: a caller still running under it can no longer store its
 * outcome (fencing), and the next call with the key runs the body again. The near cache of this
 * instance forgets the record; those of other JVMs keep a completed record until their own time to
 * live. Each deletion is logged at INFO on the logger {@code dev.idem.admin} with the operation
 * name and the key's SHA-256.
 */
public final class IdempotencyAdmin {

  private static final System.Logger AUDIT = System.getLogger("dev.idem.admin");

  private final IdempotencyConfig config;
  private final Engine engine;
  private final Fingerprinter fingerprinter;

  IdempotencyAdmin(IdempotencyConfig config, Engine engine, Fingerprinter fingerprinter) {
    this.config = config;
    this.engine = engine;
    this.fingerprinter = fingerprinter;
  }

  /**
   * Returns the admin view of an instance; the same as {@link Idempotency#admin()}.
   *
   * @param idempotency the instance
   * @return its admin view
   */
  public static IdempotencyAdmin of(Idempotency idempotency) {
    return idempotency.admin();
  }

  /**
   * Finds the live record of an unscoped key, without its stored outcome.
   *
   * @param operation the operation name
   * @param key the key value, as the operation's calls pass it
   * @return the record, or empty if there is none or it has expired
   * @throws IllegalArgumentException if the operation name is invalid
   * @throws IdempotencyKeyException if the key is null, blank or invalid
   * @throws IdempotencyStoreException if the store fails
   */
  public Optional<RecordView> find(String operation, Object key) {
    return find(operation, key, null, false);
  }

  /**
   * Finds the live record of a key.
   *
   * @param operation the operation name
   * @param key the key value, as the operation's calls pass it
   * @param scope the scope the calls ran in (tenant, principal), or null for none
   * @param includeBody whether the view carries the stored outcome's bytes (which may hold customer
   *     data)
   * @return the record, or empty if there is none or it has expired
   * @throws IllegalArgumentException if the operation name is invalid
   * @throws IdempotencyKeyException if the key or scope is null, blank or invalid
   * @throws IdempotencyStoreException if the store fails
   */
  public Optional<RecordView> find(
      String operation, Object key, @Nullable String scope, boolean includeBody) {
    String storeKey = storeKey(operation, key, scope);
    return engine
        .find(storeKey)
        .map(record -> RecordView.of(operation, Sha256.hex(storeKey), record, includeBody));
  }

  /**
   * Deletes the record of an unscoped key, whatever its state, and logs the deletion.
   *
   * @param operation the operation name
   * @param key the key value, as the operation's calls pass it
   * @return true if a record was removed; false if there was none
   * @throws IllegalArgumentException if the operation name is invalid
   * @throws IdempotencyKeyException if the key is null, blank or invalid
   * @throws IdempotencyStoreException if the store fails
   */
  public boolean delete(String operation, Object key) {
    return delete(operation, key, null);
  }

  /**
   * Deletes the record of a key, whatever its state, and logs the deletion at INFO (operation name
   * and the SHA-256 of the store key, never the key).
   *
   * @param operation the operation name
   * @param key the key value, as the operation's calls pass it
   * @param scope the scope the calls ran in (tenant, principal), or null for none
   * @return true if a record was removed; false if there was none
   * @throws IllegalArgumentException if the operation name is invalid
   * @throws IdempotencyKeyException if the key or scope is null, blank or invalid
   * @throws IdempotencyStoreException if the store fails
   */
  public boolean delete(String operation, Object key, @Nullable String scope) {
    String storeKey = storeKey(operation, key, scope);
    String hash = Sha256.hex(storeKey);
    boolean removed = engine.delete(storeKey);
    AUDIT.log(
        Level.INFO,
        "Idempotency record {0} by an operator: operation ''{1}'', key sha256 {2}",
        removed ? "deleted" : "not found for deletion",
        operation,
        hash);
    return removed;
  }

  /**
   * Returns the SHA-256 of a key's store key, in hex: what views and the audit log show instead of
   * the key.
   *
   * @param operation the operation name
   * @param key the key value
   * @param scope the scope, or null for none
   * @return 64 hex digits
   * @throws IllegalArgumentException if the operation name is invalid
   * @throws IdempotencyKeyException if the key or scope is null, blank or invalid
   */
  public String keySha256(String operation, Object key, @Nullable String scope) {
    return Sha256.hex(storeKey(operation, key, scope));
  }

  private String storeKey(String operation, Object key, @Nullable String scope) {
    Keys.requireValidName(Objects.requireNonNull(operation, "operation"));
    return Keys.compose(
        config.keyPrefix(), operation, scope, KeyValues.toKeyString(key, fingerprinter));
  }

  /**
   * What an operator sees of a record: its metadata, the size of its stored outcome and, only when
   * asked for, the outcome's bytes.
   *
   * @param operation the operation name
   * @param keySha256 the SHA-256 of the store key, in hex
   * @param state the state
   * @param token the current fencing token
   * @param owner the claimant that holds or completed the record (node and thread)
   * @param createdAt when the record was first claimed (store clock)
   * @param leaseUntil when the lease ends, while {@code IN_PROGRESS}; null once completed
   * @param expiresAt when the record expires (store clock)
   * @param outcomeKind the kind of the stored outcome; null while in progress
   * @param fingerprint the payload fingerprint, or null when the operation has none
   * @param outcomeBytes the size of the stored outcome in bytes; 0 while in progress
   * @param body the stored outcome's bytes (JSON for values and exceptions, UTF-8 text for a
   *     dropped result's reason), only when asked for and completed; else null
   */
  public record RecordView(
      String operation,
      String keySha256,
      RecordState state,
      long token,
      String owner,
      Instant createdAt,
      @Nullable Instant leaseUntil,
      Instant expiresAt,
      @Nullable OutcomeKind outcomeKind,
      @Nullable String fingerprint,
      int outcomeBytes,
      byte @Nullable [] body) {

    static RecordView of(
        String operation, String keySha256, IdempotencyRecord record, boolean includeBody) {
      Outcome outcome = record.outcome();
      return new RecordView(
          operation,
          keySha256,
          record.state(),
          record.token(),
          record.owner(),
          record.createdAt(),
          record.leaseUntil(),
          record.expiresAt(),
          outcome == null ? null : outcome.kind(),
          record.fingerprint(),
          outcome == null ? 0 : outcome.size(),
          includeBody && outcome != null ? outcome.bytes() : null);
    }

    @Override
    public String toString() {
      return "RecordView[operation="
          + operation
          + ", keySha256="
          + keySha256
          + ", state="
          + state
          + ", token="
          + token
          + ", owner="
          + owner
          + ", createdAt="
          + createdAt
          + ", leaseUntil="
          + leaseUntil
          + ", expiresAt="
          + expiresAt
          + ", outcomeKind="
          + outcomeKind
          + ", fingerprint="
          + fingerprint
          + ", outcomeBytes="
          + outcomeBytes
          + (body == null ? "" : ", body=" + body.length + " bytes")
          + "]";
    }
  }
}
