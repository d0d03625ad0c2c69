package dev.idem;

import org.jspecify.annotations.Nullable;

/**
 * The idempotency store could not be reached or failed (HTTP 503). The only exception a store
 * throws; the driver's exception is the cause. When it is thrown at claim time the body has not run
 * (Idem fails closed unless the policy opts into fail-open).
 */
public final class IdempotencyStoreException extends IdempotencyException {

  private final String store;
  private final String storeOperation;

  private IdempotencyStoreException(
      String store, String storeOperation, String message, @Nullable Throwable cause) {
    super(null, message, cause);
    this.store = store;
    this.storeOperation = storeOperation;
  }

  /**
   * Creates the exception a store throws when one of its operations fails.
   *
   * @param store the store's name, as {@code IdempotencyStore.name()}
   * @param storeOperation the SPI operation that failed: claim, complete, release, renew, find,
   *     purge
   * @param cause the driver's exception
   * @return the exception
   */
  public static IdempotencyStoreException of(String store, String storeOperation, Throwable cause) {
    return new IdempotencyStoreException(
        store,
        storeOperation,
        "Idempotency store '" + store + "' failed on " + storeOperation + ": " + cause,
        cause);
  }

  /**
   * Creates the exception for a store failure described by a message rather than a cause.
   *
   * @param store the store's name
   * @param storeOperation the SPI operation that failed
   * @param message what went wrong, without raw keys
   * @return the exception
   */
  public static IdempotencyStoreException of(String store, String storeOperation, String message) {
    return new IdempotencyStoreException(
        store,
        storeOperation,
        "Idempotency store '" + store + "' failed on " + storeOperation + ": " + message,
        null);
  }

  /**
   * Returns the name of the store that failed.
   *
   * @return the store name
   */
  public String store() {
    return store;
  }

  /**
   * Returns the store operation that failed.
   *
   * @return claim, complete, release, renew, find or purge
   */
  public String storeOperation() {
    return storeOperation;
  }

  @Override
  public int httpStatus() {
    return 503;
  }
}
