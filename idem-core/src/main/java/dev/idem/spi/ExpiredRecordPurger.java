package dev.idem.spi;

/**
 * A store capability: deletes expired records from a backend that does not expire them by itself
 * (SQL). Meant to be called periodically by a scheduler of the application's choice.
 */
public interface ExpiredRecordPurger {

  /**
   * Deletes at most {@code maxRecords} records that expired before the store's current time.
   *
   * @param maxRecords the batch size; positive
   * @return how many records were deleted; less than {@code maxRecords} means none are left
   * @throws dev.idem.IdempotencyStoreException if the store fails
   */
  int purgeExpired(int maxRecords);
}
